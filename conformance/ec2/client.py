"""What the suite talks through: botocore's EC2 client, raw signed requests for the wire checks,
and the tracker that deletes what a test created.

Nothing here knows which server it talks to. Requests are signed by botocore's own SigV4 signer
(the one boto3 and awscli use), so the suite checks a server against what real clients send.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol, cast
from urllib.parse import urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.client import ClientMeta
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, WaiterError
from botocore.paginate import Paginator
from botocore.session import Session
from botocore.waiter import Waiter

from conformance.ec2.checks import WAIT, error_of

API_VERSION: Final = "2016-11-15"  # the version botocore speaks (spec §2.1)
FORM: Final = "application/x-www-form-urlencoded; charset=utf-8"
SUITE_TAG: Final = {"Key": "cf-suite", "Value": "1"}  # on everything the suite creates


def new_name() -> str:
    """A name prefix no other test (or earlier run) uses, so a shared account is no obstacle."""
    return f"cf-{uuid.uuid4().hex[:10]}"


def tag_spec(resource_type: str, **tags: str) -> list[dict[str, Any]]:
    """``TagSpecifications`` for a create call: the suite's tag plus ``tags``."""
    pairs = [SUITE_TAG, *({"Key": k, "Value": v} for k, v in tags.items())]
    return [{"ResourceType": resource_type, "Tags": pairs}]


@dataclass(frozen=True, slots=True)
class Keys:
    """The access key pair of one account."""

    access_key: str
    secret_key: str


@dataclass(frozen=True, slots=True)
class Target:
    """The endpoint, credentials and launch settings the suite was pointed at."""

    endpoint: str
    region: str
    keys: Keys
    other_keys: Keys | None
    image_id: str | None
    instance_type: str
    zone: str | None


class Ec2(Protocol):
    """botocore's EC2 client as the tests use it.

    botocore builds one method per operation (``describe_instances``, ``run_instances``, ...)
    from the service model at run time, so botocore-stubs can only name the fixed ones; every
    operation method takes the operation's members as keywords and returns the parsed answer.
    """

    @property
    def meta(self) -> ClientMeta: ...

    def get_waiter(self, waiter_name: str) -> Waiter: ...

    def get_paginator(self, operation_name: str) -> Paginator[Any]: ...

    def __getattr__(self, operation: str) -> Callable[..., dict[str, Any]]: ...


def make_client(
    session: Session, target: Target, keys: Keys, *, validate: bool = True, attempts: int = 3
) -> Ec2:
    """An EC2 client on the target, signed with ``keys``. ``validate=False`` lets a request
    without a member the model requires reach the server (for ``MissingParameter``)."""
    config = Config(
        parameter_validation=validate,
        retries={"mode": "standard", "total_max_attempts": attempts},
        connect_timeout=10,
        read_timeout=120,
    )
    client = session.create_client(
        "ec2",
        region_name=target.region,
        endpoint_url=target.endpoint,
        aws_access_key_id=keys.access_key,
        aws_secret_access_key=keys.secret_key,
        config=config,
    )
    return cast(Ec2, client)


def post(
    http: httpx.Client, target: Target, params: Mapping[str, str], keys: Keys | None
) -> httpx.Response:
    """A Query request by form POST, as botocore sends it (spec §2.1), signed with SigV4
    (spec §2.4) when ``keys`` is given and unsigned otherwise."""
    body = urlencode(dict(params))
    request = AWSRequest("POST", target.endpoint, data=body, headers={"Content-Type": FORM})
    if keys is not None:
        credentials = Credentials(keys.access_key, keys.secret_key)
        SigV4Auth(credentials, "ec2", target.region).add_auth(request)
    return http.post(target.endpoint, content=body, headers=dict(request.headers.items()))


Delete = Callable[["Ec2", str], object]
# How each tracked kind (but instances, which are terminated) is deleted.
_DELETE: Final[Mapping[str, Delete]] = {
    "volume": lambda ec2, volume_id: ec2.delete_volume(VolumeId=volume_id),
    "snapshot": lambda ec2, snapshot_id: ec2.delete_snapshot(SnapshotId=snapshot_id),
    "security-group": lambda ec2, group_id: ec2.delete_security_group(GroupId=group_id),
    "key-pair": lambda ec2, name: ec2.delete_key_pair(KeyName=name),
}
# The answers that mean "already gone": a test may delete what it created itself.
_GONE: Final = frozenset(
    {
        "InvalidInstanceID.NotFound",
        "InvalidVolume.NotFound",
        "InvalidSnapshot.NotFound",
        "InvalidGroup.NotFound",
        "InvalidKeyPair.NotFound",
    }
)


class Resources:
    """What one test (or one module) creates in one account, deleted again at teardown.

    The suite may run against a shared, real cloud, so nothing may be left behind: instances
    are terminated (and waited for) first, then everything else is deleted newest first. A
    resource the test deleted itself is fine; one that cannot be deleted fails the teardown,
    so a leak is never silent.
    """

    def __init__(self, ec2: Ec2, zone: str) -> None:
        self.ec2 = ec2
        self.zone = zone
        self._instances: list[str] = []
        self._others: list[tuple[str, str]] = []  # (kind, id), oldest first

    def track(self, kind: str, resource_id: str) -> None:
        """Delete ``resource_id`` at teardown; ``kind`` is ``instance`` or a key of ``_DELETE``."""
        if kind == "instance":
            self._instances.append(resource_id)
        else:
            assert kind in _DELETE, kind
            self._others.append((kind, resource_id))

    def security_group(
        self, name: str, description: str = "cf conformance", **tags: str
    ) -> dict[str, Any]:
        """A security group (in the default VPC), tagged; returns ``CreateSecurityGroup``'s
        answer with ``GroupId``."""
        created = self.ec2.create_security_group(
            GroupName=name,
            Description=description,
            TagSpecifications=tag_spec("security-group", **tags),
        )
        self.track("security-group", created["GroupId"])
        return created

    def key_pair(self, name: str) -> dict[str, Any]:
        created = self.ec2.create_key_pair(KeyName=name)
        self.track("key-pair", name)
        return created

    def volume(self, size: int = 1, **tags: str) -> dict[str, Any]:
        """A data volume of ``size`` GiB in the suite's zone, tagged; returns ``CreateVolume``'s
        answer without waiting for it to be available."""
        created = self.ec2.create_volume(
            Size=size, AvailabilityZone=self.zone, TagSpecifications=tag_spec("volume", **tags)
        )
        self.track("volume", created["VolumeId"])
        return created

    def instances(self, reservation: Mapping[str, Any]) -> list[str]:
        """Tracks every instance of a ``RunInstances`` answer; returns their ids."""
        ids = [i["InstanceId"] for i in reservation["Instances"]]
        for instance_id in ids:
            self.track("instance", instance_id)
        return ids

    def adopt(self, answer: Mapping[str, Any]) -> None:
        """Tracks whatever a create call that should have been refused made after all."""
        self.instances({"Instances": answer.get("Instances", [])})
        if "KeyFingerprint" in answer:
            self.track("key-pair", answer["KeyName"])
        elif "SnapshotId" in answer and "StartTime" in answer:
            self.track("snapshot", answer["SnapshotId"])
        elif "VolumeId" in answer and "Size" in answer:
            self.track("volume", answer["VolumeId"])
        elif "GroupId" in answer:
            self.track("security-group", answer["GroupId"])

    def close(self) -> None:
        leaks = self._terminate()
        for kind, resource_id in reversed(self._others):
            failure = self._delete(kind, resource_id)
            if failure:
                leaks.append(failure)
        self._instances.clear()
        self._others.clear()
        assert not leaks, f"could not clean up: {leaks}"

    def _terminate(self) -> list[str]:
        failures: list[str] = []
        waiting: list[str] = []
        for instance_id in dict.fromkeys(self._instances):  # one by one: one already gone
            try:  # must not spare the others
                self.ec2.terminate_instances(InstanceIds=[instance_id])
                waiting.append(instance_id)
            except ClientError as error:
                if error_of(error)[0] not in _GONE:
                    failures.append(f"instance {instance_id}: {error}")
        if waiting:
            try:
                terminated = self.ec2.get_waiter("instance_terminated")
                terminated.wait(InstanceIds=waiting, WaiterConfig=WAIT)
            except WaiterError as error:
                failures.append(f"instances {waiting} not terminated: {error}")
        return failures

    def _delete(self, kind: str, resource_id: str) -> str | None:
        try:
            _DELETE[kind](self.ec2, resource_id)
        except ClientError as error:
            code, _ = error_of(error)
            if code in _GONE:
                return None
            if kind == "volume" and code == "IncorrectState":
                return self._settle_volume(resource_id)
            return f"{kind} {resource_id}: {error}"
        return None

    def _settle_volume(self, volume_id: str) -> str | None:
        """A volume that cannot be deleted now: one still being created is deleted once it is
        available, one already being deleted (by its test) is waited out."""
        try:
            [volume] = self.ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
            if volume["State"] == "creating":
                available = self.ec2.get_waiter("volume_available")
                available.wait(VolumeIds=[volume_id], WaiterConfig=WAIT)
                self.ec2.delete_volume(VolumeId=volume_id)
            elif volume["State"] not in ("deleting", "deleted"):
                return f"volume {volume_id} cannot be deleted while {volume['State']}"
            self.ec2.get_waiter("volume_deleted").wait(VolumeIds=[volume_id], WaiterConfig=WAIT)
        except ClientError as error:
            return None if error_of(error)[0] in _GONE else f"volume {volume_id}: {error}"
        except WaiterError as error:
            return f"volume {volume_id}: {error}"
        return None
