"""Error codes for bad ids and bad input (spec §2.6, §2.8): an id that does not look like one of
its kind is ``Invalid<X>ID.Malformed``, a well-formed id nobody has is the kind's ``NotFound``;
a missing member is ``MissingParameter``, an impossible value ``InvalidParameterValue``; all
with status 400, a message and a request id, and a refused create leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.ec2.checks import BAD_PERMISSIONS, refused, unknown
from conformance.ec2.client import Ec2, Resources, tag_spec


@dataclass(frozen=True, slots=True)
class Context:
    zone: str
    name: str  # the test's unique name: refused creates carry it as the tag cf-name


Call = Callable[[Ec2, Context], Mapping[str, Any]]

# (call, code), each named by its id
IDS: list[object] = [
    pytest.param(
        lambda e, c: e.describe_instances(InstanceIds=["i-nothex"]),
        "InvalidInstanceID.Malformed",
        id="instance-malformed",
    ),
    pytest.param(
        lambda e, c: e.describe_instances(InstanceIds=[unknown("vol")]),
        "InvalidInstanceID.Malformed",
        id="instance-id-of-another-kind",
    ),
    pytest.param(
        lambda e, c: e.describe_instances(InstanceIds=[unknown("i")]),
        "InvalidInstanceID.NotFound",
        id="instance-not-found",
    ),
    pytest.param(
        lambda e, c: e.terminate_instances(InstanceIds=[unknown("i")]),
        "InvalidInstanceID.NotFound",
        id="terminate-not-found",
    ),
    pytest.param(
        lambda e, c: e.describe_volumes(VolumeIds=["vol-nothex"]),
        "InvalidVolumeID.Malformed",
        id="volume-malformed",
    ),
    pytest.param(
        lambda e, c: e.describe_volumes(VolumeIds=[unknown("vol")]),
        "InvalidVolume.NotFound",
        id="volume-not-found",
    ),
    pytest.param(
        lambda e, c: e.delete_volume(VolumeId=unknown("vol")),
        "InvalidVolume.NotFound",
        id="delete-volume-not-found",
    ),
    pytest.param(
        lambda e, c: e.describe_images(ImageIds=["ami-nothex"]),
        "InvalidAMIID.Malformed",
        id="image-malformed",
    ),
    pytest.param(
        lambda e, c: e.describe_images(ImageIds=[unknown("ami")]),
        "InvalidAMIID.NotFound",
        id="image-not-found",
    ),
    pytest.param(
        lambda e, c: e.run_instances(
            ImageId=unknown("ami"),
            MinCount=1,
            MaxCount=1,
            TagSpecifications=tag_spec("instance", **{"cf-name": c.name}),
        ),
        "InvalidAMIID.NotFound",
        id="launch-image-not-found",
    ),
    pytest.param(
        lambda e, c: e.describe_snapshots(SnapshotIds=["snap-nothex"]),
        "InvalidSnapshotID.Malformed",
        id="snapshot-malformed",
    ),
    pytest.param(
        lambda e, c: e.describe_snapshots(SnapshotIds=[unknown("snap")]),
        "InvalidSnapshot.NotFound",
        id="snapshot-not-found",
    ),
    pytest.param(
        lambda e, c: e.create_volume(
            AvailabilityZone=c.zone,
            SnapshotId=unknown("snap"),
            TagSpecifications=tag_spec("volume", **{"cf-name": c.name}),
        ),
        "InvalidSnapshot.NotFound",
        id="volume-from-snapshot-not-found",
    ),
    pytest.param(
        lambda e, c: e.describe_security_groups(GroupIds=["sg-nothex"]),
        "InvalidGroupId.Malformed",
        id="group-malformed",
    ),
    pytest.param(
        lambda e, c: e.describe_security_groups(GroupIds=[unknown("sg")]),
        "InvalidGroup.NotFound",
        id="group-not-found",
    ),
    pytest.param(
        lambda e, c: e.delete_security_group(GroupId=unknown("sg")),
        "InvalidGroup.NotFound",
        id="delete-group-not-found",
    ),
    pytest.param(
        lambda e, c: e.describe_key_pairs(KeyNames=[c.name]),
        "InvalidKeyPair.NotFound",
        id="key-pair-not-found",
    ),
]

VALUES: list[object] = [
    pytest.param(
        lambda e, c: e.create_volume(
            AvailabilityZone=c.zone, TagSpecifications=tag_spec("volume", **{"cf-name": c.name})
        ),
        "MissingParameter",
        id="volume-without-size-or-snapshot",
    ),
    pytest.param(
        lambda e, c: e.create_volume(
            AvailabilityZone=c.zone,
            Size=0,
            TagSpecifications=tag_spec("volume", **{"cf-name": c.name}),
        ),
        "InvalidParameterValue",
        id="volume-of-zero-gib",
    ),
    pytest.param(
        lambda e, c: e.create_volume(
            AvailabilityZone=f"{c.zone}-cf-nowhere",
            Size=1,
            TagSpecifications=tag_spec("volume", **{"cf-name": c.name}),
        ),
        "InvalidParameterValue",
        id="volume-in-unknown-zone",
    ),
]

# Members the model requires, left out: botocore would refuse these before sending them, so
# they go through a client that does not validate.
MISSING: list[object] = [
    pytest.param(lambda e, c: e.create_key_pair(), id="create-key-pair-without-name"),
    pytest.param(lambda e, c: e.delete_volume(), id="delete-volume-without-id"),
    pytest.param(
        lambda e, c: e.create_security_group(GroupName=c.name),
        id="security-group-without-description",
    ),
    pytest.param(lambda e, c: e.delete_snapshot(), id="delete-snapshot-without-id"),
]


def _nothing_named(ec2: Ec2, name: str) -> None:
    """No volume, instance, security group or key pair a refused create may have left."""
    tagged = [{"Name": "tag:cf-name", "Values": [name]}]
    assert ec2.describe_volumes(Filters=tagged)["Volumes"] == []
    assert ec2.describe_instances(Filters=tagged)["Reservations"] == []
    named = [{"Name": "group-name", "Values": [name]}]
    assert ec2.describe_security_groups(Filters=named)["SecurityGroups"] == []
    keys = [{"Name": "key-name", "Values": [name]}]
    assert ec2.describe_key_pairs(Filters=keys)["KeyPairs"] == []


@pytest.mark.parametrize(("call", "code"), IDS + VALUES)
def test_bad_input_gets_its_code(
    ec2: Ec2, resources: Resources, zone: str, unique: str, call: Call, code: str
) -> None:
    context = Context(zone, unique)
    assert refused(lambda: call(ec2, context), resources.adopt) == (code, 400)
    _nothing_named(ec2, unique)


@pytest.mark.parametrize("call", MISSING)
def test_missing_member_is_missing_parameter(
    unchecked: Ec2, resources: Resources, zone: str, unique: str, call: Call
) -> None:
    context = Context(zone, unique)
    assert refused(lambda: call(unchecked, context), resources.adopt) == ("MissingParameter", 400)
    _nothing_named(unchecked, unique)


@pytest.mark.parametrize(
    "permission", [pytest.param(p, id=name) for name, p in BAD_PERMISSIONS.items()]
)
def test_bad_rule_is_invalid_parameter_value(
    ec2: Ec2, resources: Resources, unique: str, permission: Mapping[str, Any]
) -> None:
    group = resources.security_group(unique)["GroupId"]
    answer = refused(
        lambda: ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])
    )
    assert answer == ("InvalidParameterValue", 400)
    [described] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert described["IpPermissions"] == [], "a refused rule was added"


def test_unknown_instance_type_is_invalid_parameter_value(
    ec2: Ec2, resources: Resources, image_id: str, unique: str
) -> None:
    answer = refused(
        lambda: ec2.run_instances(
            ImageId=image_id,
            InstanceType="cf.bogus",
            MinCount=1,
            MaxCount=1,
            TagSpecifications=tag_spec("instance", **{"cf-name": unique}),
        ),
        resources.adopt,
    )
    assert answer == ("InvalidParameterValue", 400)
    _nothing_named(ec2, unique)
