"""A VM deployed through the native API with the real ``cs`` client boots a real guest; a new key
and offering reach the guest at its next start, a restore boots it from a fresh root disk, and
its whole life shows in listEvents in order."""

from __future__ import annotations

import base64

from cs import CloudStack

from core.services.container import Services
from gateway.app import create_app
from tests.integration.conftest import wait_for
from tests.integration.test_lifecycle import BOOT, READY, USER_DATA, console, ready_console
from tests.serving import served


def test_deploy_boots_a_guest_and_its_events_are_listed_in_order(cloud: Services) -> None:
    account = cloud.identity.create_account("native-it")
    with served(create_app(cloud), lifespan="off") as url:
        cs = CloudStack(
            endpoint=f"{url}/client/api",
            key=account.access_key,
            secret=account.secret_key,
            poll_interval=0.5,
            job_timeout=180,
        )
        key = cs.createSSHKeyPair(name="it-key")["keypair"]
        [zone] = cs.listZones()["zone"]
        [offering] = cs.listServiceOfferings(name="t1.micro")["serviceoffering"]
        [template] = cs.listTemplates(templatefilter="executable", name="tiny-linux")["template"]
        vm = cs.deployVirtualMachine(
            zoneid=zone["id"],
            serviceofferingid=offering["id"],
            templateid=template["id"],
            name="native-guest",
            keypair="it-key",
            userdata=base64.b64encode(USER_DATA).decode(),
            fetch_result=True,
        )["virtualmachine"]
        assert vm["state"] == "Running"
        text = wait_for("the guest ready on its console", lambda: ready_console(cloud, vm["id"]))
        assert BOOT in text
        assert f"cloudgate-instance-id: {vm['id']}" in text
        assert f"cloudgate-ssh-key-md5: {key['fingerprint']}" in text
        assert "user-script-says-42" in text

        assert cs.stopVirtualMachine(id=vm["id"], fetch_result=True)["virtualmachine"]["state"] == (
            "Stopped"
        )
        second = cs.createSSHKeyPair(name="it-key-2")["keypair"]
        cs.resetSSHKeyForVirtualMachine(id=vm["id"], keypair="it-key-2", fetch_result=True)
        [smaller] = cs.listServiceOfferings(name="t2.nano")["serviceoffering"]
        cs.changeServiceForVirtualMachine(id=vm["id"], serviceofferingid=smaller["id"])
        started = cs.startVirtualMachine(id=vm["id"], fetch_result=True)["virtualmachine"]
        assert (started["state"], started["memory"]) == ("Running", 512)
        wait_for(
            "the new key on the console",
            lambda: f"cloudgate-ssh-key-md5: {second['fingerprint']}" in console(cloud, vm["id"]),
        )

        boots = console(cloud, vm["id"]).count(READY)
        restored = cs.restoreVirtualMachine(virtualmachineid=vm["id"], fetch_result=True)
        assert restored["virtualmachine"]["state"] == "Running"
        wait_for(
            "a boot from the fresh root disk",
            lambda: console(cloud, vm["id"]).count(READY) > boots,
        )

        destroyed = cs.destroyVirtualMachine(id=vm["id"], fetch_result=True)["virtualmachine"]
        assert destroyed["state"] == "Destroyed"
        cs.destroyVirtualMachine(id=vm["id"], expunge=True, fetch_result=True)
        assert cs.listVirtualMachines() == {}

        events = cs.listEvents(resourceid=vm["id"], fetch_list=True)
    oldest_first = [(e["type"], e["state"]) for e in reversed(events)]
    jobs = ("Scheduled", "Started", "Completed")
    assert oldest_first == [
        *(("VM.CREATE", state) for state in jobs),
        *(("VM.STOP", state) for state in jobs),
        ("VM.RESETSSHKEY", "Completed"),  # changes of a stopped VM: no host work, no job
        ("VM.UPGRADE", "Completed"),
        *((kind, state) for kind in ("VM.START", "VM.RESTORE") for state in jobs),
        *((kind, state) for kind in ("VM.DESTROY", "VM.EXPUNGE") for state in jobs),
    ]
    by_id = {e["id"]: e for e in events}
    for event in events:
        if event["state"] != "Scheduled" and event["type"] not in ("VM.RESETSSHKEY", "VM.UPGRADE"):
            parent = by_id[event["parentid"]]
            assert (parent["type"], parent["state"]) == (event["type"], "Scheduled")
