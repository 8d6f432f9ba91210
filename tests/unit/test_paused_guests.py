"""Guests their host holds paused, on libvirt's test driver: QEMU pauses a guest whose disk
write fails (a full storage pool, libvirt's reason IOERROR), someone on the host may suspend
one (reason USER, the only pause the test driver makes). The driver tells them apart, the
reconciler keeps the instance running but impaired with one event per pause and resumes a
guest paused on a disk error once its pool has room, and stop and reboot handle a paused
guest instead of leaving the instance in error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import libvirt
import pytest

from core.db.models import Instance
from core.enums import EventLevel, EventType, JobStatus
from core.hosts.driver import GuestInfo, PowerState
from core.hosts.libvirt_driver import power_state_of
from core.hosts.reconciler import RESUME_FREE_BYTES, ReconcileReport, pool_has_room
from core.services.container import Services
from core.states import GuestPause, InstanceState
from core.views import Caller, EventView, ImageView
from tests.unit.helpers import behind_cores_back, host_driver
from tests.unit.test_storage import running_instance

FILLER = "not-ours-filler.img"


@pytest.mark.parametrize(
    ("state", "reason", "power"),
    [
        (
            libvirt.VIR_DOMAIN_PAUSED,
            libvirt.VIR_DOMAIN_PAUSED_IOERROR,
            PowerState.PAUSED_ON_DISK_ERROR,
        ),
        (libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_USER, PowerState.PAUSED_BY_USER),
        (libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_STARTING_UP, PowerState.PAUSED),
        (libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_MIGRATION, PowerState.PAUSED),
        (libvirt.VIR_DOMAIN_PMSUSPENDED, libvirt.VIR_DOMAIN_PMSUSPENDED_UNKNOWN, PowerState.PAUSED),
        (libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_UNPAUSED, PowerState.RUNNING),
        (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED, PowerState.SHUTOFF),
    ],
)
def test_the_driver_tells_why_a_guest_is_paused(state: int, reason: int, power: PowerState) -> None:
    assert power_state_of(state, reason) is power


def _suspended(services: Services, admin: Caller) -> tuple[str, uuid.UUID, libvirt.virDomain]:
    ref = running_instance(services, admin)
    guest = services.compute.get_instance(admin, ref).id
    dom = behind_cores_back(services).lookupByUUIDString(str(guest))
    dom.suspend()
    return ref, guest, dom


def _events(services: Services, admin: Caller, guest: uuid.UUID) -> list[EventView]:
    """The instance's events since its launch, oldest first."""
    listed = services.events.list_events(admin, resource_id=guest).items
    kept = [e for e in listed if e.type in (EventType.VM_STOP, EventType.VM_START)]
    return sorted(kept, key=lambda e: e.seq)


def test_the_driver_reports_and_resumes_a_guest_suspended_on_its_host(
    services: Services, admin: Caller, image: ImageView
) -> None:
    _ref, guest, dom = _suspended(services, admin)
    driver = host_driver(services)
    assert driver.power_state(guest) is PowerState.PAUSED_BY_USER
    assert GuestInfo(guest, PowerState.PAUSED_BY_USER) in driver.guests()
    assert driver.resume(guest) is PowerState.RUNNING
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert driver.resume(guest) is PowerState.RUNNING  # a running guest is left alone


def test_a_suspended_guest_makes_its_instance_impaired_with_one_event_per_pause(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref, guest, dom = _suspended(services, admin)
    passes = [services.reconciler.reconcile_once() for _ in range(3)]
    assert [p.paused for p in passes] == [[guest], [], []]
    instance = services.compute.get_instance(admin, ref)
    assert (instance.state, instance.guest_pause) == (InstanceState.RUNNING, GuestPause.BY_USER)
    assert dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED  # someone paused it: it stays paused
    [paused] = _events(services, admin, guest)
    assert (paused.level, paused.description) == (
        EventLevel.WARN,
        f"instance {instance.name}: {GuestPause.BY_USER.value}",
    )

    dom.resume()
    assert services.reconciler.reconcile_once().resumed == [guest]
    instance = services.compute.get_instance(admin, ref)
    assert (instance.state, instance.state_reason, instance.guest_pause) == (
        InstanceState.RUNNING,
        "",
        None,
    )
    assert [(e.type, e.level, e.description) for e in _events(services, admin, guest)] == [
        (EventType.VM_STOP, EventLevel.WARN, paused.description),
        (
            EventType.VM_START,
            EventLevel.INFO,
            f"instance {instance.name}: the guest runs again, after it was paused",
        ),
    ]
    assert services.reconciler.reconcile_once().resumed == []


def _align_as_paused_on_disk_error(
    services: Services, guest: uuid.UUID, *, room: bool
) -> ReconcileReport:
    """What a pass does with the guest when the host reports it paused on a disk error, which
    the test driver cannot make: the guest is really paused, only the reason is given."""
    report = ReconcileReport()
    with services.db.transaction() as session:
        services.reconciler.align(
            session,
            host_driver(services),
            session.get_one(Instance, guest),
            GuestInfo(guest, PowerState.PAUSED_ON_DISK_ERROR),
            report,
            room=lambda: room,
        )
    return report


def test_a_guest_paused_on_a_disk_error_waits_for_room_then_is_resumed(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref, guest, dom = _suspended(services, admin)
    assert _align_as_paused_on_disk_error(services, guest, room=False).paused == [guest]
    assert _align_as_paused_on_disk_error(services, guest, room=False).paused == []
    assert dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
    instance = services.compute.get_instance(admin, ref)
    assert (instance.state, instance.guest_pause) == (InstanceState.RUNNING, GuestPause.DISK_ERROR)
    [paused] = _events(services, admin, guest)
    assert paused.level is EventLevel.ERROR
    assert "its disk could not be written" in paused.description

    assert _align_as_paused_on_disk_error(services, guest, room=True).resumed == [guest]
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    instance = services.compute.get_instance(admin, ref)
    assert (instance.state_reason, instance.guest_pause) == ("", None)
    [_paused, running] = _events(services, admin, guest)
    assert (running.level, running.description) == (
        EventLevel.INFO,
        f"instance {instance.name}: the guest runs again, "
        "resumed once its host's storage pool had room again",
    )


@pytest.fixture
def nearly_full_pool(services: Services) -> Iterator[None]:
    """Our pool on the test driver with less free space than a resume needs: a volume of
    someone else's (its name is not one of ours, so the reconciler leaves it) takes the rest."""
    driver = host_driver(services)
    pool = behind_cores_back(services).storagePoolLookupByName(services.settings.pool_name)
    taken = driver.pool_free_bytes() - RESUME_FREE_BYTES // 2
    pool.createXML(
        f"<volume><name>{FILLER}</name><capacity>{taken}</capacity>"
        f"<allocation>{taken}</allocation></volume>",
        0,
    )
    try:
        yield
    finally:
        pool.storageVolLookupByName(FILLER).delete(0)


def test_the_pool_has_room_once_enough_of_it_is_free(services: Services) -> None:
    assert pool_has_room(host_driver(services))


@pytest.mark.usefixtures("nearly_full_pool")
def test_a_nearly_full_pool_has_no_room(services: Services) -> None:
    assert host_driver(services).pool_free_bytes() < RESUME_FREE_BYTES
    assert not pool_has_room(host_driver(services))


def test_an_instance_in_error_whose_guest_is_paused_is_running_and_impaired(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref, guest, _dom = _suspended(services, admin)
    with services.db.transaction() as session:
        row = session.get_one(Instance, guest)
        row.state = InstanceState.ERROR
        row.state_reason = "the host failed to stop the guest: Requested operation is not valid"
    assert services.reconciler.reconcile_once().powered_on == [guest]
    instance = services.compute.get_instance(admin, ref)
    assert (instance.state, instance.guest_pause) == (InstanceState.RUNNING, GuestPause.BY_USER)
    [repaired, paused] = _events(services, admin, guest)
    assert "it was in error: the host failed to stop the guest" in repaired.description
    assert paused.description.endswith(GuestPause.BY_USER.value)


def test_a_stop_forces_a_paused_guest_off(
    services: Services, admin: Caller, image: ImageView
) -> None:
    """A paused guest cannot see an ACPI request (QEMU's libvirt refuses to send it)."""
    ref, _guest, dom = _suspended(services, admin)
    [stopping] = services.compute.stop_instances(admin, [ref])
    assert services.workers.run_pending() == 1
    job = services.jobs.get_job(admin, str(stopping.job_id))
    assert (job.status, job.result) == (JobStatus.SUCCEEDED, {"forced": True})
    assert services.compute.get_instance(admin, ref).state is InstanceState.STOPPED
    assert dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF


def test_a_reboot_resumes_a_paused_guest_first(
    services: Services, admin: Caller, image: ImageView
) -> None:
    """QEMU's libvirt accepts a reboot of a paused guest and nothing happens."""
    ref, _guest, dom = _suspended(services, admin)
    [rebooting] = services.compute.reboot_instances(admin, [ref])
    assert services.workers.run_pending() == 1
    job = services.jobs.get_job(admin, str(rebooting.job_id))
    assert (job.status, job.result) == (JobStatus.SUCCEEDED, {"rebooted": True, "resumed": True})
    assert services.compute.get_instance(admin, ref).state is InstanceState.RUNNING
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING


def test_a_failed_reboot_leaves_the_instance_running_not_in_error(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = running_instance(services, admin)
    guest = services.compute.get_instance(admin, ref).id
    dom = behind_cores_back(services).lookupByUUIDString(str(guest))
    dom.destroy()
    dom.undefine()  # the reboot cannot find it
    services.compute.reboot_instances(admin, [ref])
    assert services.workers.run_pending() == 1
    [job] = services.jobs.list_jobs(admin, statuses=(JobStatus.FAILED,)).items
    instance = services.compute.get_instance(admin, ref)
    assert (instance.state, instance.state_reason) == (InstanceState.RUNNING, job.error_text)
    services.reconciler.reconcile_once()  # what the host shows wins
    assert services.compute.get_instance(admin, ref).state is InstanceState.ERROR
