"""A Machine created through CIMI boots a real guest, and the native API manages the same machine.

The Machine's template names a Credential imported from an OpenSSH public key and carries a
user script as userData; the guest's serial console shows the key's fingerprints and the
script's output. The ``cs`` client then stops the VM by the Machine's UUID and CIMI shows the
Machine STOPPED, before CIMI deletes it.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
from cs import CloudStack

from core.services.container import Services
from core.views import NewAccount
from gateway.app import create_app
from tests.contract.cimi import client, entry_point, operation, until_job_done
from tests.integration.conftest import wait_for
from tests.integration.test_lifecycle import BOOT, READY, USER_DATA
from tests.integration.test_occi import guest_fingerprints, openssh_public_key
from tests.serving import served

NAME = "cimi-guest"
MACHINE_CREATE = "http://schemas.dmtf.org/cimi/1/MachineCreate"
ACTION = "http://schemas.dmtf.org/cimi/1/action/"


def named(http: httpx.Client, collection: str, items: str, name: str) -> str:
    """The id of the one resource called ``name`` in a collection the CloudEntryPoint leads to."""
    listed = http.get(entry_point(http)[collection]["href"])
    assert listed.status_code == 200, listed.text
    [found] = [r["id"] for r in listed.json().get(items, []) if r["name"] == name]
    return str(found)


def import_credential(http: httpx.Client, public_key: str) -> str:
    """A Credential from the key's OpenSSH line; its ``key`` is byte[], base64 in JSON."""
    made = http.post(
        entry_point(http)["credentials"]["href"],
        json={
            "name": "cimi-it-key",
            "credentialTemplate": {"key": base64.b64encode(public_key.encode()).decode()},
        },
    )
    assert made.status_code == 201, made.text
    return made.headers["location"]


def create_machine(http: httpx.Client, template: dict[str, Any]) -> str:
    """Creates a Machine, waits for its Job to succeed and answers the Machine's href."""
    created = http.post(
        entry_point(http)["machines"]["href"],
        json={"resourceURI": MACHINE_CREATE, "name": NAME, "machineTemplate": template},
    )
    assert created.status_code == 202, created.text
    job = until_job_done(http, created.headers["cimi-job-uri"], timeout=300)
    assert job["state"] == "SUCCESS", job
    assert job["targetResource"]["href"] == created.headers["location"]
    return created.headers["location"]


def machine_template(http: httpx.Client, public_key: str) -> dict[str, Any]:
    """tiny-linux on t1.micro with a new Credential for ``public_key`` and the user script."""
    config = named(http, "machineConfigs", "machineConfigurations", "t1.micro")
    image = named(http, "machineImages", "machineImages", "tiny-linux")
    return {
        "machineConfig": {"href": config},
        "machineImage": {"href": image},
        "credential": {"href": import_credential(http, public_key)},
        "userData": base64.b64encode(USER_DATA).decode(),
    }


def jobs_on(http: httpx.Client, location: str) -> list[tuple[str, str]]:
    """The (action, state) of every CIMI Job whose target is the resource at ``location``."""
    listed = http.get(entry_point(http)["jobs"]["href"])
    assert listed.status_code == 200, listed.text
    return [
        (job["action"], job["state"])
        for job in listed.json().get("jobs", [])
        if (job.get("targetResource") or {}).get("href") == location
    ]


def machine_state(http: httpx.Client, location: str) -> str:
    shown = http.get(location)
    assert shown.status_code == 200, shown.text
    return str(shown.json()["state"])


def native_client(url: str, account: NewAccount) -> CloudStack:
    return CloudStack(
        endpoint=f"{url}/client/api",
        key=account.access_key,
        secret=account.secret_key,
        poll_interval=0.5,
        job_timeout=180,
    )


def test_cimi_machine_boots_a_real_guest_that_native_stops(cloud: Services) -> None:
    account = cloud.identity.create_account("cimi-it")
    caller = cloud.identity.caller_for(account.account.name)
    public_key = openssh_public_key()

    with served(create_app(cloud), lifespan="off") as url, client(url, account) as http:
        location = create_machine(http, machine_template(http, public_key))
        machine_id = uuid.UUID(location.rsplit("/", 1)[1])
        assert machine_state(http, location) == "STARTED"
        instance = cloud.compute.get_instance(caller, str(machine_id))
        assert instance.name == NAME

        def ready_console() -> str | None:
            text = cloud.compute.console_output(caller, instance.ref).decode(errors="replace")
            return text if READY in text else None

        console = wait_for("the guest ready on its console", ready_console, timeout=300)
        assert BOOT in console
        assert f"cloudgate-instance-id: {machine_id}" in console
        for line in guest_fingerprints(public_key):
            assert line in console
        assert "user-script-says-42" in console  # the script ran, not only arrived
        assert "cloudgate-user-script-end rc=0" in console

        cs = native_client(url, account)
        stopped = cs.stopVirtualMachine(id=str(machine_id), fetch_result=True)["virtualmachine"]
        assert stopped["state"] == "Stopped"
        assert machine_state(http, location) == "STOPPED"
        assert (f"{ACTION}stop", "SUCCESS") in jobs_on(http, location)  # native's job, seen here

        deleted = http.delete(operation(http.get(location).json(), "delete"))
        assert deleted.status_code == 202, deleted.text
        job = until_job_done(http, deleted.headers["cimi-job-uri"], timeout=300)
        assert job["state"] == "SUCCESS", job
        assert http.get(location).status_code == 404
