"""boto3, unmodified, against the gateway on 127.0.0.1: client calls, the resource API, waiters
and paginators, on guests of libvirt's test driver."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import update

from core.db.models import Instance
from core.services.container import Services
from core.views import ImageView, NewAccount
from tests.contract.conftest import ServedCloud
from tests.contract.ec2 import client, fast, resource


@pytest.fixture
def served_cloud(fresh_cloud: ServedCloud) -> ServedCloud:
    """A cloud per test: the test driver's one host holds six t2.nano (3 GiB of memory), the
    paginator test launches all six, and most tests here leave instances running."""
    return fresh_cloud


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return (
        caught.value.response["Error"]["Code"],
        caught.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def ami(image: ImageView) -> str:
    return f"ami-{image.ref}"


def launch(ec2: Any, image_id: str, count: int = 1, **extra: Any) -> list[str]:
    reservation = ec2.run_instances(
        ImageId=image_id,
        MinCount=count,
        MaxCount=count,
        InstanceType="t2.nano",
        **extra,
    )
    return [i["InstanceId"] for i in reservation["Instances"]]


def test_regions_zones_account_attributes_and_instance_types(ec2: Any) -> None:
    [region] = ec2.describe_regions()["Regions"]
    assert region["RegionName"] == "cloudgate-1"
    [zone] = ec2.describe_availability_zones()["AvailabilityZones"]
    assert (zone["ZoneName"], zone["State"], zone["RegionName"]) == (
        "cloudgate-1a",
        "available",
        "cloudgate-1",
    )
    attributes = ec2.describe_account_attributes(AttributeNames=["supported-platforms"])
    [platforms] = attributes["AccountAttributes"]
    assert platforms["AttributeValues"] == [{"AttributeValue": "VPC"}]
    types = ec2.describe_instance_types(
        Filters=[{"Name": "vcpu-info.default-vcpus", "Values": ["2"]}]
    )["InstanceTypes"]
    assert sorted(t["InstanceType"] for t in types) == ["m1.large", "t2.medium"]
    [micro] = ec2.describe_instance_types(InstanceTypes=["t2.micro"])["InstanceTypes"]
    assert micro["MemoryInfo"]["SizeInMiB"] == 1024


def test_key_pairs_show_the_fingerprints_aws_shows(ec2: Any) -> None:
    created = ec2.create_key_pair(KeyName="made-here")
    private = serialization.load_pem_private_key(created["KeyMaterial"].encode(), None)
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert created["KeyFingerprint"] == colon_hex(hashlib.sha1(pkcs8).digest())

    own = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    openssh = own.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    imported = ec2.import_key_pair(KeyName="brought", PublicKeyMaterial=openssh)
    spki = own.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert imported["KeyFingerprint"] == colon_hex(hashlib.md5(spki).digest())

    listed = ec2.describe_key_pairs(KeyPairIds=[imported["KeyPairId"]])["KeyPairs"]
    assert [p["KeyName"] for p in listed] == ["brought"]
    by_filter = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["made-*"]}])
    assert [p["KeyName"] for p in by_filter["KeyPairs"]] == ["made-here"]
    with pytest.raises(ClientError) as duplicate:
        ec2.create_key_pair(KeyName="brought")
    assert error_code(duplicate) == ("InvalidKeyPair.Duplicate", 400)
    with pytest.raises(ClientError) as bad:
        ec2.import_key_pair(KeyName="bad", PublicKeyMaterial=b"ssh-rsa notakey")
    assert error_code(bad) == ("InvalidKeyPair.Format", 400)
    ec2.delete_key_pair(KeyName="made-here")
    ec2.delete_key_pair(KeyName="made-here")  # gone already: still a success, as on AWS
    assert [p["KeyName"] for p in ec2.describe_key_pairs()["KeyPairs"]] == ["brought"]


def test_instance_life_cycle_with_waiters(ec2: Any, image: ImageView) -> None:
    ec2.create_key_pair(KeyName="k")
    ids = launch(
        ec2,
        ami(image),
        2,
        KeyName="k",
        UserData="echo hello",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=fast())
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": ["w?b"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )["Reservations"]
    [reservation] = reservations
    instances = reservation["Instances"]
    assert sorted(i["InstanceId"] for i in instances) == sorted(ids)
    first = instances[0]
    assert (first["KeyName"], first["InstanceType"], first["State"]) == (
        "k",
        "t2.nano",
        {"Code": 16, "Name": "running"},
    )
    assert first["PrivateIpAddress"].startswith("10.254.")
    assert first["SecurityGroups"][0]["GroupName"] == "default"
    assert first["BlockDeviceMappings"][0]["Ebs"]["VolumeId"].startswith("vol-")
    user_data = ec2.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    assert {s["InstanceStatus"]["Status"] for s in user_data} == {"ok"}
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=ids, WaiterConfig=fast())

    stopped = ec2.stop_instances(InstanceIds=ids[:1])["StoppingInstances"]
    assert stopped[0]["PreviousState"]["Name"] == "running"
    ec2.get_waiter("instance_stopped").wait(InstanceIds=ids[:1], WaiterConfig=fast())
    assert ec2.describe_instance_status(InstanceIds=ids[:1])["InstanceStatuses"] == []
    everything = ec2.describe_instance_status(InstanceIds=ids[:1], IncludeAllInstances=True)
    assert everything["InstanceStatuses"][0]["InstanceState"]["Name"] == "stopped"
    ec2.start_instances(InstanceIds=ids[:1])
    ec2.get_waiter("instance_running").wait(InstanceIds=ids[:1], WaiterConfig=fast())
    ec2.reboot_instances(InstanceIds=ids[1:])

    console = ec2.get_console_output(InstanceId=ids[0])
    assert console["InstanceId"] == ids[0]
    assert ec2.get_password_data(InstanceId=ids[0])["PasswordData"] == ""

    terminated = ec2.terminate_instances(InstanceIds=ids)["TerminatingInstances"]
    assert {t["CurrentState"]["Name"] for t in terminated} == {"shutting-down"}
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=fast())
    still_there = ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"]
    assert {i["State"]["Code"] for i in still_there} == {48}


def test_resource_api_launches_waits_and_tags(
    base_url: str, ec2_account: NewAccount, image: ImageView
) -> None:
    ec2 = resource(base_url, ec2_account)
    [instance] = ec2.create_instances(
        ImageId=f"ami-{image.ref}", MinCount=1, MaxCount=1, InstanceType="t2.nano"
    )
    instance.wait_until_running(WaiterConfig=fast())
    instance.reload()
    assert instance.state["Name"] == "running"
    assert instance.image_id == f"ami-{image.ref}"
    instance.create_tags(Tags=[{"Key": "role", "Value": "db"}])
    instance.reload()
    assert instance.tags == [{"Key": "role", "Value": "db"}]
    assert [
        i.id for i in ec2.instances.filter(Filters=[{"Name": "tag:role", "Values": ["db"]}])
    ] == [instance.id]
    volume = ec2.create_volume(Size=1, AvailabilityZone="cloudgate-1a")
    volume.meta.client.get_waiter("volume_available").wait(
        VolumeIds=[volume.id], WaiterConfig=fast()
    )
    volume.attach_to_instance(InstanceId=instance.id, Device="/dev/sdf")
    volume.meta.client.get_waiter("volume_in_use").wait(VolumeIds=[volume.id], WaiterConfig=fast())
    volume.reload()
    assert volume.attachments[0]["Device"] == "/dev/vdf"
    instance.terminate()
    instance.wait_until_terminated(WaiterConfig=fast())
    volume.reload()
    assert volume.state == "available"


def test_paginators_walk_every_item_once(ec2: Any, image: ImageView) -> None:
    ids = launch(ec2, ami(image), 6)  # six of 512 MiB fill the test driver's 3 GiB host
    pages = ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5})
    seen = [i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]
    assert sorted(seen) == sorted(ids)
    first = ec2.describe_instances(MaxResults=5)
    assert sum(len(r["Instances"]) for r in first["Reservations"]) == 5
    assert ec2.describe_instances(MaxResults=5)["NextToken"] == first["NextToken"]
    last = ec2.describe_instances(MaxResults=5, NextToken=first["NextToken"])
    assert sum(len(r["Instances"]) for r in last["Reservations"]) == 1
    assert "NextToken" not in last

    for n in range(11):
        ec2.create_security_group(GroupName=f"g{n}", Description="paged")
    groups = ec2.get_paginator("describe_security_groups").paginate(
        PaginationConfig={"PageSize": 5}
    )
    sizes = [len(page["SecurityGroups"]) for page in groups]
    assert sizes == [5, 5, 2]  # eleven and the default group


def test_client_token_makes_run_instances_idempotent(ec2: Any, image: ImageView) -> None:
    first = ec2.run_instances(
        ImageId=f"ami-{image.ref}", MinCount=1, MaxCount=1, InstanceType="t2.nano", ClientToken="t1"
    )
    again = ec2.run_instances(
        ImageId=f"ami-{image.ref}", MinCount=1, MaxCount=1, InstanceType="t2.nano", ClientToken="t1"
    )
    assert again["ReservationId"] == first["ReservationId"]
    assert again["Instances"][0]["InstanceId"] == first["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as mismatch:
        ec2.run_instances(
            ImageId=f"ami-{image.ref}",
            MinCount=1,
            MaxCount=1,
            InstanceType="t2.micro",
            ClientToken="t1",
        )
    assert error_code(mismatch) == ("IdempotentParameterMismatch", 400)
    reservations = ec2.describe_instances()["Reservations"]
    assert sum(len(r["Instances"]) for r in reservations) == 1


def test_dry_run_validates_first_then_answers_412(
    ec2: Any, image: ImageView, services: Services
) -> None:
    with pytest.raises(ClientError) as bad:
        ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, DryRun=True)
    assert error_code(bad) == ("InvalidAMIID.NotFound", 400)
    with pytest.raises(ClientError) as dry:
        ec2.run_instances(
            ImageId=f"ami-{image.ref}", MinCount=1, MaxCount=1, InstanceType="t2.nano", DryRun=True
        )
    assert error_code(dry) == ("DryRunOperation", 412)
    with pytest.raises(ClientError) as listing:
        ec2.describe_instances(DryRun=True)
    assert error_code(listing) == ("DryRunOperation", 412)
    [instance_id] = launch(ec2, ami(image))
    with pytest.raises(ClientError) as too_small:  # core's own checks run in a DryRun
        ec2.create_volume(Size=0, AvailabilityZone="cloudgate-1a", DryRun=True)
    assert error_code(too_small) == ("InvalidParameterValue", 400)
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=fast())
    with pytest.raises(ClientError) as stop:
        ec2.stop_instances(InstanceIds=[instance_id], DryRun=True)
    assert error_code(stop) == ("DryRunOperation", 412)
    assert ec2.describe_instances()["Reservations"][0]["Instances"][0]["State"]["Name"] == (
        "running"
    )
    with pytest.raises(ClientError) as volume:
        ec2.create_volume(Size=1, AvailabilityZone="cloudgate-1a", DryRun=True)
    assert error_code(volume) == ("DryRunOperation", 412)
    assert ec2.describe_volumes(Filters=[{"Name": "size", "Values": ["1"]}])["Volumes"] == []
    reservations = ec2.describe_instances()["Reservations"]
    assert [i["InstanceId"] for r in reservations for i in r["Instances"]] == [instance_id]


def test_security_groups_and_rules(ec2: Any) -> None:
    web = ec2.create_security_group(GroupName="web", Description="web servers")["GroupId"]
    admin = ec2.create_security_group(GroupName="admin", Description="bastions")["GroupId"]
    added = ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "UserIdGroupPairs": [{"GroupId": admin}],
            },
        ],
    )["SecurityGroupRules"]
    assert [r["SecurityGroupRuleId"][:4] for r in added] == ["sgr-", "sgr-"]
    with pytest.raises(ClientError) as duplicate:
        ec2.authorize_security_group_ingress(
            GroupId=web, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0"
        )
    assert error_code(duplicate) == ("InvalidPermission.Duplicate", 400)
    ec2.authorize_security_group_egress(
        GroupId=web,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )
    [group] = ec2.describe_security_groups(GroupIds=[web])["SecurityGroups"]
    assert sorted(p["FromPort"] for p in group["IpPermissions"]) == [22, 80]
    ssh = next(p for p in group["IpPermissions"] if p["FromPort"] == 22)
    assert ssh["UserIdGroupPairs"][0]["GroupId"] == admin
    assert group["IpPermissionsEgress"][0]["IpProtocol"] == "-1"
    by_port = ec2.describe_security_groups(
        Filters=[{"Name": "ip-permission.from-port", "Values": ["80"]}]
    )["SecurityGroups"]
    assert [g["GroupName"] for g in by_port] == ["web"]

    ec2.revoke_security_group_ingress(
        GroupId=web, SecurityGroupRuleIds=[added[1]["SecurityGroupRuleId"]]
    )
    ec2.revoke_security_group_ingress(
        GroupName="web", IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0"
    )
    with pytest.raises(ClientError) as unknown:
        ec2.revoke_security_group_ingress(
            GroupId=web, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0"
        )
    assert error_code(unknown) == ("InvalidPermission.NotFound", 400)
    assert ec2.describe_security_groups(GroupIds=[web])["SecurityGroups"][0]["IpPermissions"] == []
    ec2.delete_security_group(GroupId=web)
    ec2.delete_security_group(GroupName="admin")
    names = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert names == ["default"]


def test_minus_one_means_any_on_the_wire(ec2: Any) -> None:
    """EC2's -1 (any ICMP type or code, every tcp port) comes back as sent, and a rule sent
    again with -1 is a duplicate."""
    group = ec2.create_security_group(GroupName="pings", Description="icmp")["GroupId"]
    ranges = [{"CidrIp": "10.0.0.0/8"}]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": ranges},
            {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": ranges},
            {"IpProtocol": "tcp", "FromPort": -1, "ToPort": -1, "IpRanges": ranges},
        ],
    )
    [shown] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert sorted(
        (p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in shown["IpPermissions"]
    ) == [
        ("icmp", -1, -1),
        ("icmp", 8, -1),
        ("tcp", 0, 65535),
    ]
    with pytest.raises(ClientError) as duplicate:
        ec2.authorize_security_group_ingress(
            GroupId=group, IpProtocol="icmp", FromPort=-1, ToPort=-1, CidrIp="10.0.0.0/8"
        )
    assert error_code(duplicate) == ("InvalidPermission.Duplicate", 400)
    ec2.revoke_security_group_ingress(
        GroupId=group, IpProtocol="icmp", FromPort=8, ToPort=-1, CidrIp="10.0.0.0/8"
    )
    ec2.delete_security_group(GroupId=group)


def test_volumes_snapshots_and_resizing(ec2: Any, image: ImageView) -> None:
    [instance_id] = launch(ec2, ami(image))
    volume = ec2.create_volume(
        Size=1,
        AvailabilityZone="cloudgate-1a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "k", "Value": "v"}]}],
    )
    assert volume["Tags"] == [{"Key": "k", "Value": "v"}]
    volume_id = volume["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=fast())
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=fast())
    attached = ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/xvdg")
    assert (attached["Device"], attached["State"]) == ("/dev/vdg", "attaching")
    ec2.get_waiter("volume_in_use").wait(VolumeIds=[volume_id], WaiterConfig=fast())
    # "in-use" comes with the attachment still "attaching", as on AWS; this cloud resizes a
    # volume only once its attachment settled, so wait for that (the condition, not a time)
    deadline = time.monotonic() + 60
    while (
        ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["Attachments"][0]["State"]
        != "attached"
    ):
        assert time.monotonic() < deadline, "the attachment never settled"
        time.sleep(0.2)
    on_instance = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}]
    )["Volumes"]
    assert sorted(v["Size"] for v in on_instance) == [1, 8]  # the data volume and the root
    modified = ec2.modify_volume(VolumeId=volume_id, Size=2)["VolumeModification"]
    assert (modified["OriginalSize"], modified["TargetSize"]) == (1, 2)
    ec2.detach_volume(VolumeId=volume_id, InstanceId=instance_id)
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=fast())
    assert ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["Size"] == 2

    snapshot_id = ec2.create_snapshot(VolumeId=volume_id, Description="backup")["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=fast())
    [snapshot] = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert (snapshot["VolumeId"], snapshot["Description"], snapshot["VolumeSize"]) == (
        volume_id,
        "backup",
        2,
    )
    restored = ec2.create_volume(
        SnapshotId=snapshot_id, AvailabilityZone="cloudgate-1a", ClientToken="restore-1"
    )
    replayed = ec2.create_volume(
        SnapshotId=snapshot_id, AvailabilityZone="cloudgate-1a", ClientToken="restore-1"
    )
    assert replayed["VolumeId"] == restored["VolumeId"]  # a retry makes no second volume
    with pytest.raises(ClientError) as mismatch:
        ec2.create_volume(Size=5, AvailabilityZone="cloudgate-1a", ClientToken="restore-1")
    assert error_code(mismatch) == ("IdempotentParameterMismatch", 400)
    assert restored["SnapshotId"] == snapshot_id
    ec2.get_waiter("volume_available").wait(VolumeIds=[restored["VolumeId"]], WaiterConfig=fast())
    ec2.delete_volume(VolumeId=restored["VolumeId"])
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    ec2.delete_volume(VolumeId=volume_id)
    ec2.get_waiter("volume_deleted").wait(VolumeIds=[volume_id], WaiterConfig=fast())


def test_elastic_addresses(ec2: Any, image: ImageView) -> None:
    [instance_id] = launch(ec2, ami(image))
    [other_id] = launch(ec2, ami(image))
    allocation = ec2.allocate_address(Domain="vpc")
    association = ec2.associate_address(
        AllocationId=allocation["AllocationId"], InstanceId=instance_id
    )["AssociationId"]
    [address] = ec2.describe_addresses(AllocationIds=[allocation["AllocationId"]])["Addresses"]
    assert (address["InstanceId"], address["AssociationId"]) == (instance_id, association)
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["PublicIpAddress"] == allocation["PublicIp"]
    with pytest.raises(ClientError) as taken:
        ec2.associate_address(AllocationId=allocation["AllocationId"], InstanceId=other_id)
    assert error_code(taken) == ("Resource.AlreadyAssociated", 400)
    ec2.disassociate_address(AssociationId=association)
    assert "InstanceId" not in ec2.describe_addresses()["Addresses"][0]
    ec2.release_address(PublicIp=allocation["PublicIp"])
    assert ec2.describe_addresses()["Addresses"] == []


def test_tags_on_several_kinds(ec2: Any, image: ImageView) -> None:
    [instance_id] = launch(
        ec2,
        ami(image),
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "disk", "Value": "root"}]}],
    )
    [root] = ec2.describe_volumes(Filters=[{"Name": "tag:disk", "Values": ["root"]}])["Volumes"]
    assert root["Attachments"][0]["InstanceId"] == instance_id
    volume_id = ec2.create_volume(Size=1, AvailabilityZone="cloudgate-1a")["VolumeId"]
    ec2.create_tags(
        Resources=[instance_id, volume_id],
        Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "1"}],
    )
    on_volumes = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["volume"]}])
    assert sorted(t["Key"] for t in on_volumes["Tags"]) == ["cost", "disk", "team"]
    ec2.delete_tags(Resources=[instance_id], Tags=[{"Key": "team", "Value": "red"}])
    ec2.delete_tags(Resources=[volume_id], Tags=[{"Key": "team"}])
    left = {(t["ResourceId"], t["Key"]) for t in ec2.describe_tags()["Tags"]}
    assert left == {
        (instance_id, "team"),
        (instance_id, "cost"),
        (volume_id, "cost"),
        (root["VolumeId"], "disk"),
    }


def test_images_captured_described_launched_and_deregistered(ec2: Any, image: ImageView) -> None:
    assert [i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"]] == [
        f"ami-{image.ref}"
    ]
    [instance_id] = launch(ec2, ami(image))
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=fast())
    image_id = ec2.create_image(
        InstanceId=instance_id,
        Name="golden",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "v", "Value": "1"}]}],
    )["ImageId"]
    ec2.get_waiter("image_available").wait(ImageIds=[image_id], WaiterConfig=fast())
    [mine] = ec2.describe_images(Owners=["self"])["Images"]
    assert (mine["ImageId"], mine["Name"], mine["Tags"]) == (
        image_id,
        "golden",
        [{"Key": "v", "Value": "1"}],
    )
    assert mine["SourceInstanceId"] == instance_id
    [copy] = launch(ec2, image_id)
    assert (
        ec2.describe_instances(InstanceIds=[copy])["Reservations"][0]["Instances"][0]["ImageId"]
        == image_id
    )
    ec2.deregister_image(ImageId=image_id)
    assert ec2.describe_images(Owners=["self"])["Images"] == []


def test_user_data_is_base64_on_the_wire(ec2: Any, image: ImageView, services: Services) -> None:
    [instance_id] = launch(ec2, ami(image), UserData="#!/bin/sh\necho hi\n")
    view = services.compute.get_instance(
        services.identity.caller_for("admin"), instance_id.removeprefix("i-")
    )
    assert view.user_data == b"#!/bin/sh\necho hi\n"  # botocore sent it base64-encoded


def test_terminated_instances_drop_out_of_listings_after_an_hour(
    ec2: Any, image: ImageView, services: Services
) -> None:
    [old, recent] = launch(ec2, ami(image), 2)
    ec2.terminate_instances(InstanceIds=[old, recent])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[old, recent], WaiterConfig=fast())
    with services.db.transaction() as session:
        session.execute(
            update(Instance)
            .where(Instance.ref == old.removeprefix("i-"))
            .values(terminated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
        )
    listed = ec2.describe_instances()["Reservations"][0]["Instances"]
    assert [i["InstanceId"] for i in listed] == [recent]
    statuses = ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
    assert [s["InstanceId"] for s in statuses] == [recent]
    named = ec2.describe_instances(InstanceIds=[old])["Reservations"][0]["Instances"]
    assert named[0]["State"]["Name"] == "terminated"  # asked for by id, it is still shown


def test_instance_attributes_and_termination_protection(ec2: Any, image: ImageView) -> None:
    [instance_id] = launch(ec2, ami(image), DisableApiTermination=True)
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=fast())
    guarded = ec2.describe_instance_attribute(
        InstanceId=instance_id, Attribute="disableApiTermination"
    )
    assert guarded["DisableApiTermination"] == {"Value": True}
    with pytest.raises(ClientError) as refused:
        ec2.terminate_instances(InstanceIds=[instance_id])
    assert error_code(refused) == ("OperationNotPermitted", 400)
    with pytest.raises(ClientError) as running:
        ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t2.micro"})
    assert error_code(running) == ("IncorrectInstanceState", 400)
    with pytest.raises(ClientError) as running:
        ec2.modify_instance_attribute(InstanceId=instance_id, UserData={"Value": b"#!/bin/sh\n"})
    assert error_code(running) == ("IncorrectInstanceState", 400)

    ec2.stop_instances(InstanceIds=[instance_id])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id], WaiterConfig=fast())
    ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": "t2.micro"})
    ec2.modify_instance_attribute(InstanceId=instance_id, UserData={"Value": b"#!/bin/sh\n"})
    ec2.modify_instance_attribute(InstanceId=instance_id, Attribute="disableApiStop", Value="true")
    attribute = ec2.describe_instance_attribute
    assert attribute(InstanceId=instance_id, Attribute="instanceType")["InstanceType"] == {
        "Value": "t2.micro"
    }
    assert attribute(InstanceId=instance_id, Attribute="userData")["UserData"] == {
        "Value": "IyEvYmluL3NoCg=="
    }
    assert attribute(InstanceId=instance_id, Attribute="disableApiStop")["DisableApiStop"] == {
        "Value": True
    }
    ec2.modify_instance_attribute(InstanceId=instance_id, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[instance_id])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=fast())


def test_image_attributes_and_copies(
    base_url: str, ec2: Any, image: ImageView, services: Services
) -> None:
    public = ec2.describe_image_attribute(ImageId=ami(image), Attribute="launchPermission")
    assert public["LaunchPermissions"] == [{"Group": "all"}]

    def copy() -> str:
        return str(
            ec2.copy_image(
                SourceImageId=ami(image), SourceRegion="cloudgate-1", Name="mine", ClientToken="c1"
            )["ImageId"]
        )

    copy_id = copy()
    assert copy() == copy_id  # a retry with the same token makes no second image
    ec2.get_waiter("image_available").wait(ImageIds=[copy_id], WaiterConfig=fast())
    assert [i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]] == [copy_id]
    ec2.modify_image_attribute(ImageId=copy_id, Description={"Value": "my copy"})
    described = ec2.describe_image_attribute(ImageId=copy_id, Attribute="description")
    assert described["Description"] == {"Value": "my copy"}
    with pytest.raises(ClientError) as publish:
        ec2.modify_image_attribute(ImageId=copy_id, LaunchPermission={"Add": [{"Group": "all"}]})
    assert error_code(publish) == ("UnauthorizedOperation", 403)

    admin = client(base_url, services.identity.create_account("ec2-admin", admin=True))
    admin.modify_image_attribute(
        ImageId=copy_id, Attribute="launchPermission", OperationType="add", UserGroups=["all"]
    )
    assert ec2.describe_image_attribute(ImageId=copy_id, Attribute="launchPermission")[
        "LaunchPermissions"
    ] == [{"Group": "all"}]
    admin.reset_image_attribute(ImageId=copy_id, Attribute="launchPermission")
    assert ec2.describe_images(ImageIds=[copy_id])["Images"][0]["Public"] is False

    volume_id = ec2.create_volume(Size=1, AvailabilityZone="cloudgate-1a")["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=fast())
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=fast())
    copied = ec2.copy_snapshot(
        SourceSnapshotId=snapshot_id, SourceRegion="cloudgate-1", Description="offsite"
    )["SnapshotId"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[copied], WaiterConfig=fast())
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    [left] = ec2.describe_snapshots(SnapshotIds=[copied])["Snapshots"]
    assert (left["State"], left["Description"]) == ("completed", "offsite")


def test_vpcs_subnets_and_interfaces(ec2: Any, image: ImageView) -> None:
    [default_vpc] = ec2.describe_vpcs()["Vpcs"]
    assert (default_vpc["IsDefault"], default_vpc["CidrBlock"]) == (True, "10.254.0.0/16")
    [default_subnet] = ec2.describe_subnets()["Subnets"]
    assert (default_subnet["DefaultForAz"], default_subnet["VpcId"]) == (
        True,
        default_vpc["VpcId"],
    )
    vpc_id = ec2.create_vpc(
        CidrBlock="10.20.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "lab"}]}],
    )["Vpc"]["VpcId"]
    tagged = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["lab"]}])["Vpcs"]
    assert [v["VpcId"] for v in tagged] == [vpc_id]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.20.1.0/24")["Subnet"]
    assert (subnet["VpcId"], subnet["CidrBlock"], subnet["AvailableIpAddressCount"]) == (
        vpc_id,
        "10.20.1.0/24",
        253,
    )
    with pytest.raises(ClientError) as outside:
        ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.21.0.0/24")
    assert error_code(outside) == ("InvalidSubnet.Range", 400)

    [instance_id] = launch(ec2, ami(image), SubnetId=subnet["SubnetId"])
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    [counted] = ec2.describe_subnets(SubnetIds=[subnet["SubnetId"]])["Subnets"]
    assert counted["AvailableIpAddressCount"] == 252  # one address taken by the instance
    assert (instance["VpcId"], instance["SubnetId"]) == (vpc_id, subnet["SubnetId"])
    assert instance["PrivateIpAddress"].startswith("10.20.1.")
    [interface] = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}]
    )["NetworkInterfaces"]
    assert (interface["SubnetId"], interface["PrivateIpAddress"]) == (
        subnet["SubnetId"],
        instance["PrivateIpAddress"],
    )
    with pytest.raises(ClientError) as busy:
        ec2.delete_vpc(VpcId=vpc_id)
    assert error_code(busy) == ("DependencyViolation", 400)

    ec2.terminate_instances(InstanceIds=[instance_id])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=fast())
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    deadline = time.monotonic() + 30
    while ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        assert time.monotonic() < deadline, "the subnet was not deleted"
        time.sleep(0.3)
    ec2.delete_vpc(VpcId=vpc_id)
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]] == [default_vpc["VpcId"]]
