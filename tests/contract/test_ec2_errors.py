"""Bad input through boto3: each refusal carries EC2's code and status, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from core.services.container import Services
from tests.contract.conftest import ServedCloud
from tests.contract.ec2 import client, fast
from tests.unit.helpers import row_counts

UNKNOWN_INSTANCE = "i-0123456789abcdef0"


@pytest.fixture(scope="module")
def world(served_cloud: ServedCloud) -> dict[str, Any]:
    """A running instance, a terminated one and a volume, for the refusals to aim at: made
    once for the module, since every test here checks that its refusal changes nothing."""
    ec2 = client(served_cloud.url, served_cloud.account("ec2-user"), retries=1)
    ami = f"ami-{served_cloud.image().ref}"
    [running, gone] = [
        i["InstanceId"]
        for i in ec2.run_instances(ImageId=ami, MinCount=2, MaxCount=2, InstanceType="t2.nano")[
            "Instances"
        ]
    ]
    ec2.get_waiter("instance_running").wait(InstanceIds=[running, gone], WaiterConfig=fast())
    ec2.terminate_instances(InstanceIds=[gone])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[gone], WaiterConfig=fast())
    volume = ec2.create_volume(Size=1, AvailabilityZone="cloudgate-1a")["VolumeId"]
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume], WaiterConfig=fast())
    root = ec2.describe_instances(InstanceIds=[running])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"
    ][0]["Ebs"]["VolumeId"]
    return {
        "ec2": ec2,
        "ami": ami,
        "running": running,
        "gone": gone,
        "volume": volume,
        "root": root,
    }


Call = Callable[[dict[str, Any]], object]

BAD_CALLS: list[tuple[str, Call, str, int]] = [
    (
        "malformed-instance-id",
        lambda w: w["ec2"].describe_instances(InstanceIds=["i-bad"]),
        "InvalidInstanceID.Malformed",
        400,
    ),
    (
        "unknown-instance-id",
        lambda w: w["ec2"].describe_instances(InstanceIds=[UNKNOWN_INSTANCE]),
        "InvalidInstanceID.NotFound",
        400,
    ),
    (
        "ids-with-max-results",
        lambda w: w["ec2"].describe_instances(InstanceIds=[w["running"]], MaxResults=5),
        "InvalidParameterCombination",
        400,
    ),
    (
        "max-results-too-small",
        lambda w: w["ec2"].describe_instances(MaxResults=4),
        "InvalidParameterValue",
        400,
    ),
    (
        "bad-next-token",
        lambda w: w["ec2"].describe_instances(NextToken="bogus"),
        "InvalidParameterValue",
        400,
    ),
    (
        "unknown-filter",
        lambda w: w["ec2"].describe_instances(Filters=[{"Name": "nope", "Values": ["x"]}]),
        "InvalidParameterValue",
        400,
    ),
    (
        "malformed-ami",
        lambda w: w["ec2"].run_instances(ImageId="ami-x", MinCount=1, MaxCount=1),
        "InvalidAMIID.Malformed",
        400,
    ),
    (
        "unknown-ami",
        lambda w: w["ec2"].run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1),
        "InvalidAMIID.NotFound",
        400,
    ),
    (
        "unknown-instance-type",
        lambda w: w["ec2"].run_instances(
            ImageId=w["ami"], MinCount=1, MaxCount=1, InstanceType="x9.huge"
        ),
        "InvalidParameterValue",
        400,
    ),
    (
        "unknown-key-pair",
        lambda w: w["ec2"].run_instances(ImageId=w["ami"], MinCount=1, MaxCount=1, KeyName="nope"),
        "InvalidKeyPair.NotFound",
        400,
    ),
    (
        "min-count-zero",
        lambda w: w["ec2"].run_instances(ImageId=w["ami"], MinCount=0, MaxCount=1),
        "InvalidParameterValue",
        400,
    ),
    (
        "over-the-instance-limit",
        lambda w: w["ec2"].run_instances(ImageId=w["ami"], MinCount=100, MaxCount=100),
        "InstanceLimitExceeded",
        400,
    ),
    (
        "no-capacity",
        lambda w: w["ec2"].run_instances(
            ImageId=w["ami"], MinCount=5, MaxCount=5, InstanceType="m1.large"
        ),
        "InsufficientInstanceCapacity",
        500,
    ),
    (
        "other-zone",
        lambda w: w["ec2"].run_instances(
            ImageId=w["ami"], MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "us-east-1a"}
        ),
        "InvalidParameterValue",
        400,
    ),
    (
        "unsupported-kernel",
        lambda w: w["ec2"].run_instances(
            ImageId=w["ami"], MinCount=1, MaxCount=1, KernelId="aki-12345678"
        ),
        "Unsupported",
        400,
    ),
    (
        "tag-spec-for-another-type",
        lambda w: w["ec2"].run_instances(
            ImageId=w["ami"],
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}],
        ),
        "InvalidParameterValue",
        400,
    ),
    (
        "reserved-tag-key",
        lambda w: w["ec2"].run_instances(
            ImageId=w["ami"],
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "aws:x", "Value": "b"}]}
            ],
        ),
        "InvalidParameterValue",
        400,
    ),
    (
        "stop-a-terminated-instance",
        lambda w: w["ec2"].stop_instances(InstanceIds=[w["gone"]]),
        "IncorrectInstanceState",
        400,
    ),
    (
        "start-one-good-one-unknown",
        lambda w: w["ec2"].stop_instances(InstanceIds=[w["running"], UNKNOWN_INSTANCE]),
        "InvalidInstanceID.NotFound",
        400,
    ),
    (
        "delete-a-root-volume",
        lambda w: w["ec2"].delete_volume(VolumeId=w["root"]),
        "IncorrectState",
        400,
    ),
    (
        "bad-device-name",
        lambda w: w["ec2"].attach_volume(
            VolumeId=w["volume"], InstanceId=w["running"], Device="/dev/hda"
        ),
        "InvalidParameterValue",
        400,
    ),
    (
        "detach-an-available-volume",
        lambda w: w["ec2"].detach_volume(VolumeId=w["volume"]),
        "IncorrectState",
        400,
    ),
    (
        "shrink-a-volume",
        lambda w: w["ec2"].modify_volume(VolumeId=w["volume"], Size=0),
        "InvalidParameterValue",
        400,
    ),
    (
        "volume-without-size",
        lambda w: w["ec2"].create_volume(AvailabilityZone="cloudgate-1a"),
        "MissingParameter",
        400,
    ),
    (
        "unknown-snapshot",
        lambda w: w["ec2"].create_volume(
            AvailabilityZone="cloudgate-1a", SnapshotId="snap-0123456789abcdef0"
        ),
        "InvalidSnapshot.NotFound",
        400,
    ),
    (
        "delete-the-default-group",
        lambda w: w["ec2"].delete_security_group(GroupName="default"),
        "CannotDelete",
        400,
    ),
    (
        "unknown-group",
        lambda w: w["ec2"].delete_security_group(GroupId="sg-0123456789abcdef0"),
        "InvalidGroup.NotFound",
        400,
    ),
    (
        "rule-with-bad-ports",
        lambda w: w["ec2"].authorize_security_group_ingress(
            GroupName="default", IpProtocol="tcp", FromPort=90, ToPort=80, CidrIp="0.0.0.0/0"
        ),
        "InvalidParameterValue",
        400,
    ),
    (
        "tag-an-unknown-kind",
        lambda w: w["ec2"].create_tags(Resources=["foo-123"], Tags=[{"Key": "a", "Value": "b"}]),
        "InvalidID",
        400,
    ),
    (
        "release-unknown-address",
        lambda w: w["ec2"].release_address(AllocationId="eipalloc-0123456789abcdef0"),
        "InvalidAllocationID.NotFound",
        400,
    ),
    (
        "unknown-key-pair-id",
        lambda w: w["ec2"].describe_key_pairs(KeyPairIds=["key-0123456789abcdef0"]),
        "InvalidKeyPair.NotFound",
        400,
    ),
    (
        "deregister-someone-elses-image",
        lambda w: w["ec2"].deregister_image(ImageId=w["ami"]),
        "AuthFailure",
        400,
    ),
]


@pytest.mark.parametrize(
    ("name", "bad", "code", "status"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS]
)
def test_bad_input_gets_ec2s_error_and_changes_nothing(
    world: dict[str, Any], services: Services, name: str, bad: Call, code: str, status: int
) -> None:
    before = row_counts(services)
    with pytest.raises(ClientError) as refused:
        bad(world)
    error = refused.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert error["Error"]["Message"]
    assert error["ResponseMetadata"]["RequestId"]
    assert row_counts(services) == before, name


def test_other_tenants_resources_are_invisible(
    base_url: str, services: Services, world: dict[str, Any]
) -> None:
    mallory = client(base_url, services.identity.create_account("mallory"), retries=1)
    for attempt in (
        lambda: mallory.describe_instances(InstanceIds=[world["running"]]),
        lambda: mallory.terminate_instances(InstanceIds=[world["running"]]),
    ):
        with pytest.raises(ClientError) as refused:
            attempt()
        assert refused.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
    with pytest.raises(ClientError) as volume:
        mallory.delete_volume(VolumeId=world["volume"])
    assert volume.value.response["Error"]["Code"] == "InvalidVolume.NotFound"
    assert mallory.describe_instances()["Reservations"] == []
    assert mallory.describe_volumes()["Volumes"] == []
    state = world["ec2"].describe_instances(InstanceIds=[world["running"]])
    assert state["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
