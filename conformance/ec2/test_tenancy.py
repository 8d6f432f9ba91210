"""Accounts are walled off: a second, unrelated account neither sees nor deletes the first
one's security group, volume, key pair or instance. Each attempt answers the kind's
``NotFound``, as if the resource did not exist, and the resource is untouched; names belong to
an account, so the second one may reuse them. Needs ``--ec2-access-key-2`` and
``--ec2-secret-key-2``; the instance test also ``--ec2-image-id``."""

from __future__ import annotations

from conformance.ec2.checks import WAIT, refused
from conformance.ec2.client import Ec2, Resources, Target, tag_spec


def test_security_group(
    ec2: Ec2, other_ec2: Ec2, other_resources: Resources, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)["GroupId"]
    not_found = ("InvalidGroup.NotFound", 400)
    assert refused(lambda: other_ec2.describe_security_groups(GroupIds=[group])) == not_found
    assert refused(lambda: other_ec2.delete_security_group(GroupId=group)) == not_found
    listed = other_ec2.describe_security_groups()["SecurityGroups"]
    assert group not in {g["GroupId"] for g in listed}
    by_id = other_ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group]}])
    assert by_id["SecurityGroups"] == []
    other_resources.security_group(unique)  # the same name, in another account
    [kept] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert kept["GroupName"] == unique


def test_volume(ec2: Ec2, other_ec2: Ec2, resources: Resources) -> None:
    volume = resources.volume(1)["VolumeId"]
    not_found = ("InvalidVolume.NotFound", 400)
    assert refused(lambda: other_ec2.describe_volumes(VolumeIds=[volume])) == not_found
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig=WAIT)
    assert refused(lambda: other_ec2.delete_volume(VolumeId=volume)) == not_found
    assert volume not in {v["VolumeId"] for v in other_ec2.describe_volumes()["Volumes"]}
    [kept] = ec2.describe_volumes(VolumeIds=[volume])["Volumes"]
    assert kept["State"] == "available"


def test_key_pair(
    ec2: Ec2, other_ec2: Ec2, other_resources: Resources, resources: Resources, unique: str
) -> None:
    mine = resources.key_pair(unique)
    assert refused(lambda: other_ec2.describe_key_pairs(KeyNames=[unique])) == (
        "InvalidKeyPair.NotFound",
        400,
    )
    theirs = other_resources.key_pair(unique)  # names belong to an account
    assert theirs["KeyFingerprint"] != mine["KeyFingerprint"]
    other_ec2.delete_key_pair(KeyName=unique)
    [kept] = ec2.describe_key_pairs(KeyNames=[unique])["KeyPairs"]
    assert kept["KeyFingerprint"] == mine["KeyFingerprint"]


def test_instance(
    ec2: Ec2,
    other_ec2: Ec2,
    resources: Resources,
    target: Target,
    image_id: str,
    zone: str,
    unique: str,
) -> None:
    reservation = ec2.run_instances(
        ImageId=image_id,
        InstanceType=target.instance_type,
        MinCount=1,
        MaxCount=1,
        Placement={"AvailabilityZone": zone},
        TagSpecifications=tag_spec("instance", Name=unique),
    )
    [instance] = resources.instances(reservation)
    not_found = ("InvalidInstanceID.NotFound", 400)
    assert refused(lambda: other_ec2.describe_instances(InstanceIds=[instance])) == not_found
    assert refused(lambda: other_ec2.terminate_instances(InstanceIds=[instance])) == not_found
    assert refused(lambda: other_ec2.stop_instances(InstanceIds=[instance])) == not_found
    tagged = other_ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [unique]}])
    assert tagged["Reservations"] == []
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig=WAIT)
