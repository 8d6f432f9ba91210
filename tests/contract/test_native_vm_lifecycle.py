"""CloudStack's fuller VM life cycle with the ``cs`` client from PyPI: destroy and recover,
expunge, restore, a new offering, a new SSH key, update, volume resize and usage figures."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from core.views import ImageView
from tests.contract.conftest import ServedCloud
from tests.contract.native import NativeUser

GIB = 1024**3


@pytest.fixture
def served_cloud(fresh_cloud: ServedCloud) -> ServedCloud:
    """A cloud per test: the test driver's one host holds five t1.micro (3 GiB of memory), and
    these tests leave their virtual machines running, stopped or destroyed (which still hold
    memory until expunged), up to two each."""
    return fresh_cloud


@pytest.fixture
def cs(native_user: NativeUser) -> CloudStack:
    return CloudStack(
        endpoint=native_user.endpoint,
        key=native_user.key,
        secret=native_user.secret,
        poll_interval=0.1,
        job_timeout=60,
    )


def offering_id(cs: CloudStack, name: str) -> str:
    [found] = [o for o in cs.listServiceOfferings()["serviceoffering"] if o["name"] == name]
    return str(found["id"])


def deploy(cs: CloudStack, image: ImageView, **more: Any) -> dict[str, Any]:
    [zone] = cs.listZones()["zone"]
    deployed: dict[str, Any] = cs.deployVirtualMachine(
        zoneid=zone["id"],
        serviceofferingid=offering_id(cs, "t1.micro"),
        templateid=str(image.id),
        fetch_result=True,
        **more,
    )["virtualmachine"]
    return deployed


def listed_state(cs: CloudStack, vm_id: str) -> str | None:
    found = cs.listVirtualMachines(id=vm_id).get("virtualmachine", [])
    return found[0]["state"] if found else None


def test_destroy_then_recover_then_expunge(cs: CloudStack, image: ImageView) -> None:
    vm = deploy(cs, image)
    destroyed = cs.destroyVirtualMachine(id=vm["id"], fetch_result=True)
    assert destroyed["virtualmachine"]["state"] == "Destroyed"
    assert listed_state(cs, vm["id"]) == "Destroyed"  # still listed: it can be recovered
    volumes = cs.listVolumes(virtualmachineid=vm["id"])["volume"]
    assert [v["type"] for v in volumes] == ["ROOT"]

    recovered = cs.recoverVirtualMachine(id=vm["id"])
    assert recovered["virtualmachine"]["state"] == "Stopped"
    started = cs.startVirtualMachine(id=vm["id"], fetch_result=True)
    assert started["virtualmachine"]["state"] == "Running"

    cs.destroyVirtualMachine(id=vm["id"], fetch_result=True)
    cs.expungeVirtualMachine(id=vm["id"], fetch_result=True)
    assert listed_state(cs, vm["id"]) is None
    assert cs.listVolumes() == {}
    types = [e["type"] for e in cs.listEvents(fetch_list=True)]
    assert {"VM.DESTROY", "VM.RECOVER", "VM.EXPUNGE"} <= set(types)


def test_recovering_a_running_vm_is_refused(cs: CloudStack, image: ImageView) -> None:
    vm = deploy(cs, image)
    with pytest.raises(CloudStackApiException) as raised:
        cs.recoverVirtualMachine(id=vm["id"])
    assert raised.value.error["errorcode"] == 431
    assert listed_state(cs, vm["id"]) == "Running"


def test_restore_reinstalls_and_keeps_the_vm_running(cs: CloudStack, image: ImageView) -> None:
    vm = deploy(cs, image)
    restored = cs.restoreVirtualMachine(virtualmachineid=vm["id"], fetch_result=True)
    assert restored["virtualmachine"]["state"] == "Running"
    assert restored["virtualmachine"]["templateid"] == str(image.id)
    job = cs.listAsyncJobs()["asyncjobs"][0]
    assert job["cmd"].endswith("RestoreVMCmd")


def test_change_offering_needs_a_stopped_vm(cs: CloudStack, image: ImageView) -> None:
    vm = deploy(cs, image)
    bigger = offering_id(cs, "t2.micro")
    with pytest.raises(CloudStackApiException) as raised:
        cs.changeServiceForVirtualMachine(id=vm["id"], serviceofferingid=bigger)
    assert raised.value.error["errorcode"] == 431
    cs.stopVirtualMachine(id=vm["id"], fetch_result=True)
    changed = cs.changeServiceForVirtualMachine(id=vm["id"], serviceofferingid=bigger)
    assert changed["virtualmachine"]["serviceofferingname"] == "t2.micro"
    assert changed["virtualmachine"]["memory"] == 1024
    started = cs.startVirtualMachine(id=vm["id"], fetch_result=True)
    assert started["virtualmachine"]["serviceofferingid"] == bigger


def test_reset_ssh_key_of_a_stopped_vm(cs: CloudStack, image: ImageView) -> None:
    cs.createSSHKeyPair(name="old")
    cs.createSSHKeyPair(name="new")
    vm = deploy(cs, image, keypair="old")
    with pytest.raises(CloudStackApiException) as raised:  # running: a failed job
        cs.resetSSHKeyForVirtualMachine(id=vm["id"], keypair="new", fetch_result=True)
    assert raised.value.args[0] == "Job failure"
    cs.stopVirtualMachine(id=vm["id"], fetch_result=True)
    reset = cs.resetSSHKeyForVirtualMachine(id=vm["id"], keypair="new", fetch_result=True)
    assert reset["virtualmachine"]["keypair"] == "new"


def test_update_and_read_back_user_data(cs: CloudStack, image: ImageView) -> None:
    vm = deploy(cs, image)
    data = base64.b64encode(b"#cloud-config\n").decode()
    updated = cs.updateVirtualMachine(id=vm["id"], displayname="renamed", userdata=data)
    assert updated["virtualmachine"]["displayname"] == "renamed"
    read = cs.getVirtualMachineUserData(virtualmachineid=vm["id"])
    assert read["virtualmachineuserdata"] == {"virtualmachineid": vm["id"], "userdata": data}
    with pytest.raises(CloudStackApiException) as raised:
        cs.updateVirtualMachine(id=vm["id"], userdata="not base64!")
    assert raised.value.error["errorcode"] == 431


def test_resize_volume_grows_and_refuses_to_shrink(cs: CloudStack, image: ImageView) -> None:
    [zone] = cs.listZones()["zone"]
    [small] = [o for o in cs.listDiskOfferings()["diskoffering"] if o["name"] == "Small"]
    created = cs.createVolume(
        name="data", zoneid=zone["id"], diskofferingid=small["id"], fetch_result=True
    )["volume"]
    resized = cs.resizeVolume(id=created["id"], size=8, fetch_result=True)
    assert resized["volume"]["size"] == 8 * GIB
    with pytest.raises(CloudStackApiException) as raised:
        cs.resizeVolume(id=created["id"], size=2, fetch_result=True)
    assert raised.value.error["errorcode"] == 431
    assert cs.listVolumes(id=created["id"])["volume"][0]["size"] == 8 * GIB


def test_usage_sums_what_the_account_holds(cs: CloudStack, image: ImageView) -> None:
    running = deploy(cs, image)
    stopped = deploy(cs, image)
    cs.stopVirtualMachine(id=stopped["id"], fetch_result=True)
    [zone] = cs.listZones()["zone"]
    [custom] = [o for o in cs.listDiskOfferings()["diskoffering"] if o["name"] == "Custom"]
    cs.createVolume(
        name="data", zoneid=zone["id"], diskofferingid=custom["id"], size=3, fetch_result=True
    )
    [record] = cs.listUsageRecords()["usagerecord"]
    assert record["account"] == running["account"]
    assert (record["vmrunning"], record["vmstopped"], record["vmtotal"]) == (1, 1, 2)
    assert (record["cpunumber"], record["memory"]) == (1, 613)  # running only
    assert (record["cputotal"], record["memorytotal"]) == (2, 2 * 613)
    assert record["serviceofferings"] == [{"name": "t1.micro", "running": 1}]
    assert record["rootvolumesize"] == 2 * 8 * GIB
    assert record["datavolumesize"] == 3 * GIB
    assert record["diskofferings"] == [{"name": "Custom", "count": 1}]
