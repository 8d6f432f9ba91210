"""A compute made with the real rOCCI-cli boots a real guest, and EC2 manages the same machine.

The guest's serial console shows what its config drive gave it: the compute's UUID, the title
as its hostname, the key of the ``public_key`` context and the ``user_data`` script, which runs.
boto3 then stops the instance by its EC2 id and rOCCI-cli describes the compute as inactive.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.services.container import Services
from core.views import ImageQuery, NewAccount
from gateway.app import create_app
from tests.contract import ec2 as ec2_api
from tests.integration.conftest import wait_for
from tests.integration.test_lifecycle import BOOT, READY, USER_DATA
from tests.rocci import Basic, run_occi
from tests.serving import served

TITLE = "occi-guest"
COMPUTE_LOCATION = re.compile(r"^/occi/compute/([0-9a-f-]{36})$", re.MULTILINE)


def openssh_public_key() -> str:
    """A fresh key as the line an EGI user passes to ``--context public_key=``."""
    key = Ed25519PrivateKey.generate().public_key()
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{line.decode()} occi-it@example"


def guest_fingerprints(public_key: str) -> list[str]:
    """The lines the guest prints for a key: MD5 and SHA-256 of its blob, as ssh-keygen -l."""
    blob = base64.b64decode(public_key.split()[1])
    md5 = ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
    sha256 = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return [f"cloudgate-ssh-key-md5: {md5}", f"cloudgate-ssh-key-sha256: SHA256:{sha256}"]


def rocci(endpoint: str, account: NewAccount, *args: str) -> str:
    """What rOCCI-cli prints for one command run with the account's username and password."""
    run = run_occi(endpoint, *args, auth=Basic(account.username, account.password))
    assert run.returncode == 0, run.stderr
    return run.stdout


def assert_contextualized(console: str, compute_id: uuid.UUID, public_key: str) -> None:
    """The config drive reached the guest: its id, the title as hostname, key and user data."""
    assert BOOT in console
    assert f"cloudgate-instance-id: {compute_id}" in console
    assert f"cloudgate-hostname: {TITLE}" in console
    for line in guest_fingerprints(public_key):
        assert line in console
    assert f"cloudgate-user-data-begin\n{USER_DATA.decode()}" in console
    assert "user-script-says-42" in console  # the script ran, not only arrived
    assert "cloudgate-user-script-end rc=0" in console


def test_rocci_compute_boots_a_real_guest_that_ec2_stops(cloud: Services, tmp_path: Path) -> None:
    account = cloud.identity.create_account("occi-it")
    caller = cloud.identity.caller_for(account.account.name)
    [image] = cloud.images.list_images(caller, ImageQuery(names=["tiny-linux"])).items
    [flavor] = [f for f in cloud.catalog.list_flavors() if f.name == "t1.micro"]
    public_key = openssh_public_key()
    script = tmp_path / "user-data.sh"
    script.write_bytes(USER_DATA)

    with served(create_app(cloud), lifespan="off") as url:
        endpoint = f"{url}/occi/"
        os_tpls = rocci(endpoint, account, "--action", "list", "--resource", "os_tpl")
        assert f"os_tpl#image-{image.id}" in os_tpls
        resource_tpls = rocci(endpoint, account, "--action", "list", "--resource", "resource_tpl")
        assert f"resource_tpl#flavor-{flavor.id}" in resource_tpls
        created = rocci(
            endpoint, account,
            "--action", "create", "--resource", "compute",
            "--mixin", f"os_tpl#image-{image.id}",
            "--mixin", f"resource_tpl#flavor-{flavor.id}",
            "--attribute", f"occi.core.title={TITLE}",
            "--context", f"public_key={public_key}",
            "--context", f"user_data=file://{script}",
        )  # fmt: skip
        match = COMPUTE_LOCATION.search(created)
        assert match, created
        location = match.group(0)
        compute_id = uuid.UUID(match.group(1))
        instance = cloud.compute.get_instance(caller, str(compute_id))
        assert (instance.name, instance.image_id, instance.flavor_id) == (
            TITLE,
            image.id,
            flavor.id,
        )

        def ready_console() -> str | None:
            text = cloud.compute.console_output(caller, instance.ref).decode(errors="replace")
            return text if READY in text else None

        console = wait_for("the guest ready on its console", ready_console, timeout=300)
        assert_contextualized(console, compute_id, public_key)
        running = rocci(endpoint, account, "--action", "describe", "--resource", location)
        assert "occi.compute.state = active" in running
        assert f"occi.compute.hostname = {TITLE}" in running

        ec2 = ec2_api.client(url, account)
        instance_id = f"i-{instance.ref}"
        ec2.stop_instances(InstanceIds=[instance_id])
        ec2.get_waiter("instance_stopped").wait(
            InstanceIds=[instance_id], WaiterConfig=ec2_api.fast(attempts=180)
        )
        stopped = rocci(endpoint, account, "--action", "describe", "--resource", location)
        assert "occi.compute.state = inactive" in stopped

        rocci(endpoint, account, "--action", "delete", "--resource", location)
        ec2.get_waiter("instance_terminated").wait(
            InstanceIds=[instance_id], WaiterConfig=ec2_api.fast(attempts=120)
        )
