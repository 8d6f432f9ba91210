"""An instance launched with boto3 boots a real guest: the waiter sees it running, and
GetConsoleOutput (the guest's own serial log) shows the boot marker, the key boto3 was handed
at CreateKeyPair, and the output of the user data script."""

from __future__ import annotations

import base64
import hashlib

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives import serialization

from core.services.container import Services
from gateway.app import create_app
from tests.integration.conftest import wait_for
from tests.integration.test_lifecycle import BOOT, READY, USER_DATA
from tests.serving import served


def openssh_md5(private_pem: str) -> str:
    """What the guest prints for its key: the MD5 of the OpenSSH public key blob."""
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    blob = base64.b64decode(line.split()[1])
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())


def test_boto3_launch_boots_a_real_guest(cloud: Services) -> None:
    account = cloud.identity.create_account("ec2-it")
    with served(create_app(cloud), lifespan="off") as url:
        ec2 = boto3.session.Session(
            aws_access_key_id=account.access_key,
            aws_secret_access_key=account.secret_key,
            region_name="cloudgate-1",
        ).client("ec2", endpoint_url=url, config=Config(retries={"total_max_attempts": 1}))
        created = ec2.create_key_pair(KeyName="it-key")
        [listed] = ec2.describe_key_pairs(KeyNames=["it-key"])["KeyPairs"]
        assert listed["KeyFingerprint"] == created["KeyFingerprint"]
        [image] = ec2.describe_images(Filters=[{"Name": "name", "Values": ["tiny-linux"]}])[
            "Images"
        ]
        [instance] = ec2.run_instances(
            ImageId=image["ImageId"],
            InstanceType="t1.micro",
            MinCount=1,
            MaxCount=1,
            KeyName="it-key",
            UserData=USER_DATA.decode(),
        )["Instances"]
        instance_id = instance["InstanceId"]
        assert instance["State"]["Name"] == "pending"
        ec2.get_waiter("instance_running").wait(
            InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 180}
        )

        def ready() -> str | None:
            output = ec2.get_console_output(InstanceId=instance_id).get("Output", "")
            return output if READY in output else None

        output = wait_for("the guest ready on GetConsoleOutput", ready)
        assert BOOT in output
        assert f"cloudgate-ssh-key-md5: {openssh_md5(created['KeyMaterial'])}" in output
        assert "user-script-says-42" in output

        ec2.terminate_instances(InstanceIds=[instance_id])
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
