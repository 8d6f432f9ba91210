"""``DryRun=true`` (spec §2.11): a request that would succeed answers ``DryRunOperation`` with
status 412 and changes nothing; a request that would fail answers its own error, not 412."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest

from conformance.ec2.checks import BAD_PERMISSIONS, refused, unknown
from conformance.ec2.client import Ec2, Resources, Target, new_name, tag_spec

DRY_RUN: Final = ("DryRunOperation", 412)


def by(name: str, value: str) -> list[dict[str, Any]]:
    return [{"Name": name, "Values": [value]}]


def test_create_security_group(ec2: Ec2, resources: Resources, unique: str) -> None:
    answer = refused(
        lambda: ec2.create_security_group(GroupName=unique, Description="cf", DryRun=True),
        resources.adopt,
    )
    assert answer == DRY_RUN
    assert ec2.describe_security_groups(Filters=by("group-name", unique))["SecurityGroups"] == []


def test_create_key_pair(ec2: Ec2, resources: Resources, unique: str) -> None:
    answer = refused(lambda: ec2.create_key_pair(KeyName=unique, DryRun=True), resources.adopt)
    assert answer == DRY_RUN
    assert ec2.describe_key_pairs(Filters=by("key-name", unique))["KeyPairs"] == []


def test_create_volume(ec2: Ec2, resources: Resources, zone: str, unique: str) -> None:
    answer = refused(
        lambda: ec2.create_volume(
            Size=1,
            AvailabilityZone=zone,
            TagSpecifications=tag_spec("volume", **{"cf-name": unique}),
            DryRun=True,
        ),
        resources.adopt,
    )
    assert answer == DRY_RUN
    assert ec2.describe_volumes(Filters=by("tag:cf-name", unique))["Volumes"] == []


def test_run_instances(
    ec2: Ec2, resources: Resources, target: Target, image_id: str, zone: str, unique: str
) -> None:
    answer = refused(
        lambda: ec2.run_instances(
            ImageId=image_id,
            InstanceType=target.instance_type,
            MinCount=1,
            MaxCount=1,
            Placement={"AvailabilityZone": zone},
            TagSpecifications=tag_spec("instance", **{"cf-name": unique}),
            DryRun=True,
        ),
        resources.adopt,
    )
    assert answer == DRY_RUN
    assert ec2.describe_instances(Filters=by("tag:cf-name", unique))["Reservations"] == []


def test_delete_security_group_keeps_it(ec2: Ec2, resources: Resources, unique: str) -> None:
    group = resources.security_group(unique)["GroupId"]
    assert refused(lambda: ec2.delete_security_group(GroupId=group, DryRun=True)) == DRY_RUN
    kept = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert [g["GroupId"] for g in kept] == [group]


@pytest.mark.parametrize(
    "describe",
    [
        pytest.param(lambda e: e.describe_security_groups(DryRun=True), id="security-groups"),
        pytest.param(lambda e: e.describe_volumes(DryRun=True), id="volumes"),
        pytest.param(lambda e: e.describe_instances(DryRun=True), id="instances"),
        pytest.param(lambda e: e.describe_availability_zones(DryRun=True), id="zones"),
    ],
)
def test_describe(ec2: Ec2, describe: Callable[[Ec2], dict[str, Any]]) -> None:
    assert refused(lambda: describe(ec2)) == DRY_RUN


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(
            lambda e, z: e.create_volume(Size=0, AvailabilityZone=z, DryRun=True),
            "InvalidParameterValue",
            id="volume-of-zero-gib",
        ),
        pytest.param(
            lambda e, z: e.delete_security_group(GroupId=unknown("sg"), DryRun=True),
            "InvalidGroup.NotFound",
            id="unknown-group",
        ),
        pytest.param(
            lambda e, z: e.run_instances(
                ImageId=unknown("ami"), MinCount=1, MaxCount=1, DryRun=True
            ),
            "InvalidAMIID.NotFound",
            id="unknown-image",
        ),
        pytest.param(
            lambda e, z: e.describe_volumes(VolumeIds=["vol-nothex"], DryRun=True),
            "InvalidVolumeID.Malformed",
            id="malformed-id",
        ),
        pytest.param(
            lambda e, z: e.import_key_pair(
                KeyName=new_name(), PublicKeyMaterial=b"ssh-rsa not-a-key", DryRun=True
            ),
            "InvalidKeyPair.Format",
            id="malformed-public-key",
        ),
        pytest.param(
            lambda e, z: e.create_tags(
                Resources=[unknown("vol")], Tags=[{"Key": "k", "Value": "v"}], DryRun=True
            ),
            "InvalidVolume.NotFound",
            id="tag-unknown-volume",
        ),
    ],
)
def test_validation_wins_over_dry_run(
    ec2: Ec2,
    resources: Resources,
    zone: str,
    call: Callable[[Ec2, str], dict[str, Any]],
    code: str,
) -> None:
    assert refused(lambda: call(ec2, zone), resources.adopt) == (code, 400)


@pytest.mark.parametrize(
    "call",
    [
        *(
            pytest.param(
                lambda e, g, p=permission: e.authorize_security_group_ingress(
                    GroupId=g, IpPermissions=[p], DryRun=True
                ),
                id=name,
            )
            for name, permission in BAD_PERMISSIONS.items()
        ),
        pytest.param(
            lambda e, g: e.create_tags(
                Resources=[g], Tags=[{"Key": "aws:cf", "Value": "v"}], DryRun=True
            ),
            id="reserved-tag-key",
        ),
    ],
)
def test_validation_wins_over_dry_run_on_a_group(
    ec2: Ec2, resources: Resources, unique: str, call: Callable[[Ec2, str], dict[str, Any]]
) -> None:
    """Bad values for a group that exists: ``InvalidParameterValue``, and the group unchanged."""
    group = resources.security_group(unique)["GroupId"]
    assert refused(lambda: call(ec2, group)) == ("InvalidParameterValue", 400)
    [kept] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert kept["IpPermissions"] == []
    assert not any(t["Key"].startswith("aws:") for t in kept.get("Tags", []))
