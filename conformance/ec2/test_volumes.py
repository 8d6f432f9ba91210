"""Volumes and snapshots with boto3's waiters (spec §2.7, §2.8): a 1 GiB volume in the suite's
zone becomes ``available``, a snapshot of it ``completed``; both are described by id, and after
deletion each is gone (``InvalidVolume.NotFound``/``InvalidSnapshot.NotFound``)."""

from __future__ import annotations

from typing import Final

from conformance.ec2.checks import WAIT, id_pattern, until_not_found
from conformance.ec2.client import Ec2, Resources

VOLUME_ID: Final = id_pattern("vol")
SNAPSHOT_ID: Final = id_pattern("snap")


def test_volume_becomes_available_and_is_deleted(
    ec2: Ec2, resources: Resources, zone: str, unique: str
) -> None:
    created = resources.volume(1, **{"cf-name": unique})
    volume_id = created["VolumeId"]
    assert VOLUME_ID.fullmatch(volume_id), volume_id
    assert (created["Size"], created["AvailabilityZone"]) == (1, zone)
    assert created["State"] in ("creating", "available"), created["State"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=WAIT)
    [volume] = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    assert (volume["State"], volume["Size"], volume["AvailabilityZone"]) == ("available", 1, zone)
    assert {"Key": "cf-name", "Value": unique} in volume["Tags"]

    ec2.delete_volume(VolumeId=volume_id)
    ec2.get_waiter("volume_deleted").wait(VolumeIds=[volume_id], WaiterConfig=WAIT)
    until_not_found(lambda: ec2.describe_volumes(VolumeIds=[volume_id]), "InvalidVolume.NotFound")


def test_snapshot_completes_and_is_deleted(ec2: Ec2, resources: Resources) -> None:
    volume_id = resources.volume(1)["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=WAIT)
    created = ec2.create_snapshot(VolumeId=volume_id, Description="cf conformance")
    snapshot_id = created["SnapshotId"]
    resources.track("snapshot", snapshot_id)
    assert SNAPSHOT_ID.fullmatch(snapshot_id), snapshot_id
    assert created["VolumeId"] == volume_id
    assert created["State"] in ("pending", "completed"), created["State"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=WAIT)
    [snapshot] = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert (snapshot["State"], snapshot["VolumeId"], snapshot["VolumeSize"]) == (
        "completed",
        volume_id,
        1,
    )
    assert snapshot["Description"] == "cf conformance"

    ec2.delete_snapshot(SnapshotId=snapshot_id)
    until_not_found(
        lambda: ec2.describe_snapshots(SnapshotIds=[snapshot_id]), "InvalidSnapshot.NotFound"
    )
