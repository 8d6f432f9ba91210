"""CloudStack's softer life cycle through core: destroy keeps the disks, recover brings the
instance back, expunge (by hand or after the delay) ends it; restore, new offering, new key and
update change an existing instance. On SQLite and libvirt's test driver."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import libvirt
import pytest
from lxml import etree

from core.db.base import utcnow
from core.enums import EventType, JobKind, JobStatus, VolumeType
from core.errors import CapacityUnavailable, InvalidState, NotFound
from core.hosts.driver import PowerState
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView, VolumeQuery
from tests.unit.helpers import behind_cores_back, host_driver

S = InstanceState


def running(services: Services, caller: Caller, **overrides: object) -> str:
    request = LaunchRequest(**{"image": "tiny-linux", "flavor": "t1.micro", **overrides})  # type: ignore[arg-type]
    [instance] = services.compute.launch(caller, request).instances
    services.workers.run_pending()
    assert services.compute.get_instance(caller, instance.ref).state is S.RUNNING
    return instance.ref


def state(services: Services, caller: Caller, ref: str) -> InstanceState:
    return services.compute.get_instance(caller, ref).state


def stopped(services: Services, caller: Caller, **overrides: object) -> str:
    ref = running(services, caller, **overrides)
    services.compute.stop_instances(caller, [ref])
    services.workers.run_pending()
    assert state(services, caller, ref) is S.STOPPED
    return ref


def destroyed(services: Services, caller: Caller) -> str:
    ref = running(services, caller)
    [change] = services.compute.destroy_instances(caller, [ref])
    assert (change.item.previous, change.item.current) == (S.RUNNING, S.SHUTTING_DOWN)
    services.workers.run_pending()
    assert state(services, caller, ref) is S.DESTROYED
    return ref


def guest_xml(services: Services, caller: Caller, ref: str) -> etree._Element:
    guest = services.compute.get_instance(caller, ref).id
    conn = behind_cores_back(services)
    try:
        xml = conn.lookupByUUIDString(str(guest)).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    finally:
        conn.close()
    return etree.fromstring(xml.encode())


def event_types(services: Services, caller: Caller) -> list[EventType]:
    return [e.type for e in services.events.list_events(caller).items]


def test_destroy_keeps_the_guest_and_disks_and_recover_brings_it_back(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = destroyed(services, admin)
    view = services.compute.get_instance(admin, ref)
    driver = host_driver(services)
    assert driver.has_guest(view.id)
    assert driver.power_state(view.id) is PowerState.SHUTOFF
    [root] = services.storage.list_volumes(admin, VolumeQuery()).items
    assert root.volume_type is VolumeType.ROOT and root.instance_ref == ref

    [change] = services.compute.recover_instances(admin, [ref])
    assert (change.item.previous, change.item.current, change.job_id) == (
        S.DESTROYED,
        S.STOPPED,
        None,
    )
    services.compute.start_instances(admin, [ref])
    services.workers.run_pending()
    assert state(services, admin, ref) is S.RUNNING
    assert EventType.VM_RECOVER in event_types(services, admin)


def test_destroying_again_queues_nothing_and_recovering_a_live_instance_is_refused(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = destroyed(services, admin)
    [again] = services.compute.destroy_instances(admin, [ref])
    assert (again.item.current, again.job_id) == (S.DESTROYED, None)
    services.compute.recover_instances(admin, [ref])
    with pytest.raises(InvalidState):
        services.compute.recover_instances(admin, [ref])


def test_expunge_ends_a_destroyed_instance_and_removes_its_guest(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = destroyed(services, admin)
    [change] = services.compute.expunge_instances(admin, [ref])
    assert (change.item.previous, change.item.current) == (S.DESTROYED, S.SHUTTING_DOWN)
    services.workers.run_pending()
    assert state(services, admin, ref) is S.TERMINATED
    assert not host_driver(services).has_guest(services.compute.get_instance(admin, ref).id)
    assert services.storage.list_volumes(admin, VolumeQuery()).items == []
    assert EventType.VM_EXPUNGE in event_types(services, admin)


def test_the_sweep_expunges_only_what_waited_out_the_delay(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = destroyed(services, admin)
    assert services.compute.expunge_due() == 0  # the default delay is a day
    later = utcnow() + dt.timedelta(seconds=services.settings.expunge_delay + 1)
    assert services.compute.expunge_due(later) == 1
    assert state(services, admin, ref) is S.SHUTTING_DOWN
    services.workers.run_pending()
    assert state(services, admin, ref) is S.TERMINATED
    assert services.compute.expunge_due(later) == 0


def test_restore_rebuilds_the_root_disk_from_a_new_image_and_keeps_running(
    services: Services, admin: Caller, image: ImageView, tmp_path: Path
) -> None:
    disk = tmp_path / "bigger.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "9G"], check=True)
    bigger = services.images.register(admin, disk, name="bigger", public=True)
    ref = running(services, admin)

    change = services.compute.restore_instance(admin, ref, image=bigger.ref)
    assert (change.item.previous, change.item.current) == (S.RUNNING, S.RESTORING)
    services.workers.run_pending()
    view = services.compute.get_instance(admin, ref)
    assert (view.state, view.image_name) == (S.RUNNING, "bigger")
    [root] = services.storage.list_volumes(admin, VolumeQuery()).items
    assert root.size_bytes == 9 * 1024**3
    [job] = [j for j in services.jobs.list_jobs(admin).items if j.kind is JobKind.RESTORE_INSTANCE]
    assert (job.status, job.error_text) == (JobStatus.SUCCEEDED, None)


def test_restoring_a_stopped_instance_leaves_it_stopped(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = stopped(services, admin)
    services.compute.restore_instance(admin, ref)
    services.workers.run_pending()
    assert state(services, admin, ref) is S.STOPPED


def test_a_new_offering_waits_for_a_stopped_instance_and_reaches_the_domain_at_start(
    services: Services, admin: Caller, image: ImageView
) -> None:
    wide = services.catalog.create_flavor(admin, "wide", vcpus=2, memory_mib=1024, disk_gib=8)
    ref = running(services, admin)
    with pytest.raises(InvalidState):
        services.compute.change_flavor(admin, ref, wide.name)
    services.compute.stop_instances(admin, [ref])
    services.workers.run_pending()

    view = services.compute.change_flavor(admin, ref, wide.name)
    assert (view.flavor_name, view.vcpus, view.memory_mib) == ("wide", 2, 1024)
    services.compute.start_instances(admin, [ref])
    services.workers.run_pending()
    domain = guest_xml(services, admin, ref)
    assert domain.findtext("vcpu") == "2"
    memory = domain.find("memory")
    assert memory is not None and int(memory.text or 0) == 1024 * 1024  # libvirt keeps KiB
    assert EventType.VM_UPGRADE in event_types(services, admin)


def test_an_offering_the_host_cannot_hold_is_refused(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = stopped(services, admin)
    huge = services.catalog.create_flavor(
        admin, "huge", vcpus=1, memory_mib=1024 * 1024, disk_gib=8
    )
    with pytest.raises(CapacityUnavailable):
        services.compute.change_flavor(admin, ref, huge.name)
    assert services.compute.get_instance(admin, ref).flavor_name == "t1.micro"


def test_reset_key_needs_a_stopped_instance_and_a_key_of_its_account(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    services.key_pairs.create_key_pair(alice, "first")
    services.key_pairs.create_key_pair(alice, "second")
    services.key_pairs.create_key_pair(admin, "admins")
    ref = running(services, alice, key_name="first")
    with pytest.raises(InvalidState):
        services.compute.reset_key(alice, ref, "second")
    services.compute.stop_instances(alice, [ref])
    services.workers.run_pending()
    with pytest.raises(NotFound):
        services.compute.reset_key(admin, ref, "admins")  # the key must be the owner's
    assert services.compute.reset_key(alice, ref, "second").item.key_name == "second"
    services.compute.start_instances(alice, [ref])
    services.workers.run_pending()
    assert state(services, alice, ref) is S.RUNNING


def test_update_renames_and_replaces_user_data(
    services: Services, alice: Caller, image: ImageView
) -> None:
    ref = running(services, alice, user_data=b"old")
    view = services.compute.update_instance(alice, ref, name="web-1", user_data=b"new")
    assert (view.name, view.user_data, view.state) == ("web-1", b"new", S.RUNNING)
    assert EventType.VM_UPDATE in event_types(services, alice)
    with pytest.raises(InvalidState):  # as EC2 asks: user data only while stopped
        services.compute.update_instance(alice, ref, user_data=b"newer", stopped_only=True)
    assert services.compute.get_instance(alice, ref).user_data == b"new"
    services.compute.stop_instances(alice, [ref])
    services.workers.run_pending()
    view = services.compute.update_instance(alice, ref, user_data=b"newer", stopped_only=True)
    assert view.user_data == b"newer"
