"""Jobs that converge and a reconciler that repairs, on libvirt's test driver: each job's host
work run again after a crash, a start that finds its guest paused, a host that cannot be
reached, an instance in error whose guest runs, a stop asked during a reboot."""

from __future__ import annotations

import enum
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import libvirt
import pytest

from core.db.models import Host, Image, Instance
from core.enums import (
    EventType,
    ImageState,
    JobStatus,
    SnapshotState,
    VolumeState,
)
from core.errors import ErrorKind
from core.hosts.driver import GuestGone
from core.hosts.libvirt_driver import LibvirtDriver
from core.jobs import queue
from core.jobs.instance_jobs import instance_handlers
from core.jobs.storage_jobs import storage_handlers
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView
from tests.unit.helpers import behind_cores_back, host_driver
from tests.unit.test_storage import new_volume, running_instance

UNREACHABLE_SOCKET = "/nonexistent/cloudgate-test/libvirt-sock"

# What each action leaves to read: the instance's, a volume's or a snapshot's state.
Reader = Callable[[Services, Caller, str], enum.Enum]


def _instance(services: Services, caller: Caller, ref: str) -> enum.Enum:
    return services.compute.get_instance(caller, ref).state


def _volume(services: Services, caller: Caller, ref: str) -> enum.Enum:
    return services.storage.get_volume(caller, ref).state


def _snapshot(services: Services, caller: Caller, ref: str) -> enum.Enum:
    return services.storage.get_snapshot(caller, ref).state


def _stopped(services: Services, caller: Caller) -> str:
    ref = running_instance(services, caller)
    services.compute.stop_instances(caller, [ref])
    services.workers.run_pending()
    return ref


def _attached(services: Services, caller: Caller) -> str:
    volume = new_volume(services, caller)
    services.storage.attach_volume(caller, volume, running_instance(services, caller))
    services.workers.run_pending()
    return volume


def _queue_start(services: Services, caller: Caller) -> str:
    ref = _stopped(services, caller)
    services.compute.start_instances(caller, [ref])
    return ref


def _queue_stop(services: Services, caller: Caller) -> str:
    ref = running_instance(services, caller)
    services.compute.stop_instances(caller, [ref])
    return ref


def _queue_reboot(services: Services, caller: Caller) -> str:
    ref = running_instance(services, caller)
    services.compute.reboot_instances(caller, [ref])
    return ref


def _queue_terminate(services: Services, caller: Caller) -> str:
    ref = running_instance(services, caller)
    services.compute.terminate_instances(caller, [ref])
    return ref


def _queue_destroy(services: Services, caller: Caller) -> str:
    ref = running_instance(services, caller)
    services.compute.destroy_instances(caller, [ref])
    return ref


def _queue_attach(services: Services, caller: Caller) -> str:
    volume = new_volume(services, caller)
    services.storage.attach_volume(caller, volume, running_instance(services, caller))
    return volume


def _queue_detach(services: Services, caller: Caller) -> str:
    volume = _attached(services, caller)
    services.storage.detach_volume(caller, volume)
    return volume


def _queue_snapshot(services: Services, caller: Caller) -> str:
    volume = _attached(services, caller)
    return services.storage.create_snapshot(caller, volume, name="s1").item.ref


@pytest.mark.parametrize(
    ("queue_action", "read", "settled"),
    [
        pytest.param(_queue_start, _instance, InstanceState.RUNNING, id="start"),
        pytest.param(_queue_stop, _instance, InstanceState.STOPPED, id="stop"),
        pytest.param(_queue_reboot, _instance, InstanceState.RUNNING, id="reboot"),
        pytest.param(_queue_terminate, _instance, InstanceState.TERMINATED, id="terminate"),
        pytest.param(_queue_destroy, _instance, InstanceState.DESTROYED, id="destroy"),
        pytest.param(_queue_attach, _volume, VolumeState.IN_USE, id="attach"),
        pytest.param(_queue_detach, _volume, VolumeState.AVAILABLE, id="detach"),
        pytest.param(_queue_snapshot, _snapshot, SnapshotState.COMPLETED, id="snapshot"),
    ],
)
def test_a_job_run_again_after_a_crash_converges(
    services: Services,
    admin: Caller,
    image: ImageView,
    queue_action: Callable[[Services, Caller], str],
    read: Reader,
    settled: enum.Enum,
) -> None:
    ref = queue_action(services, admin)
    handlers = {
        **instance_handlers(services.db, services.drivers, stop_timeout=1.0),
        **storage_handlers(services.db, services.drivers, detach_timeout=1.0),
    }
    started = {kind: handler.event_type for kind, handler in handlers.items()}
    claimed = queue.claim(services.db, "doomed-worker", started)
    assert claimed is not None
    handlers[claimed.kind].run(claimed)  # the host work is done; the process dies before
    services.workers.recover()  # ... recording it, and the next one runs the job again
    assert services.workers.run_pending() == 1
    job = services.jobs.get_job(admin, str(claimed.id))
    assert (job.status, job.attempts, job.error_text) == (JobStatus.SUCCEEDED, 2, None)
    assert read(services, admin, ref) is settled


def test_a_start_resumes_a_guest_it_finds_paused(
    services: Services, admin: Caller, image: ImageView
) -> None:
    """A start that ran before a crash left the guest paused; its rerun does not fail."""
    ref = _queue_start(services, admin)
    guest = services.compute.get_instance(admin, ref).id
    dom = behind_cores_back(services).lookupByUUIDString(str(guest))
    dom.create()
    dom.suspend()
    assert services.workers.run_pending() == 1
    assert services.compute.get_instance(admin, ref).state is InstanceState.RUNNING
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING


def test_a_driver_whose_connection_was_closed_under_it_reconnects(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = running_instance(services, admin)
    guest = services.compute.get_instance(admin, ref).id
    driver = host_driver(services)
    assert isinstance(driver, LibvirtDriver)
    outsider = behind_cores_back(services)  # keeps the test driver's state while core's closes
    driver._conn.close()  # type: ignore[union-attr]  # as a dead daemon leaves it
    driver.stop(guest, force=True, timeout=1.0)
    assert outsider.lookupByUUIDString(str(guest)).state()[0] == libvirt.VIR_DOMAIN_SHUTOFF


def _point_host_at(services: Services, uri: str) -> None:
    """The host row's URI changed and the open drivers dropped, so the next job opens it."""
    with services.db.transaction() as session:
        for host in session.query(Host).all():
            host.uri = uri
    services.drivers.close()


@pytest.mark.parametrize(
    ("queue_action", "given_up"),
    [
        pytest.param(_queue_stop, InstanceState.RUNNING, id="stop"),
        pytest.param(_queue_reboot, InstanceState.RUNNING, id="reboot"),
        pytest.param(_queue_start, InstanceState.STOPPED, id="start"),
    ],
)
def test_a_job_that_cannot_reach_its_host_leaves_the_instance_as_the_host_last_reported(
    services: Services,
    admin: Caller,
    image: ImageView,
    queue_action: Callable[[Services, Caller], str],
    given_up: InstanceState,
) -> None:
    ref = queue_action(services, admin)
    outsider = behind_cores_back(services)
    _point_host_at(services, f"test+unix:///default?socket={UNREACHABLE_SOCKET}")
    assert services.workers.run_pending() == 1
    [job] = services.jobs.list_jobs(admin, statuses=(JobStatus.FAILED,)).items
    assert (job.error_kind, "Failed to connect socket" in str(job.error_text)) == (
        ErrorKind.HOST_ERROR,
        True,
    )
    instance = services.compute.get_instance(admin, ref)
    assert (instance.state, instance.state_reason) == (given_up, job.error_text)

    _point_host_at(services, "test:///default")  # the host answers again: what it reports wins
    services.reconciler.reconcile_once()
    running = outsider.lookupByUUIDString(str(instance.id)).isActive()
    expected = InstanceState.RUNNING if running else InstanceState.STOPPED
    assert services.compute.get_instance(admin, ref).state is expected


def _put_in_error(services: Services, guest: uuid.UUID) -> None:
    """As a job that failed after its guest got there, or was killed once too often, left it."""
    with services.db.transaction() as session:
        row = session.get_one(Instance, guest)
        row.state = InstanceState.ERROR
        row.state_reason = "the guest is paused after start"


@pytest.mark.parametrize(
    ("shut_off", "repaired", "event"),
    [
        pytest.param(False, InstanceState.RUNNING, EventType.VM_START, id="running"),
        pytest.param(True, InstanceState.STOPPED, EventType.VM_STOP, id="shut-off"),
    ],
)
def test_the_reconciler_repairs_an_instance_in_error_whose_guest_is_fine(
    services: Services,
    admin: Caller,
    image: ImageView,
    shut_off: bool,
    repaired: InstanceState,
    event: EventType,
) -> None:
    guest = services.compute.get_instance(admin, running_instance(services, admin)).id
    if shut_off:
        behind_cores_back(services).lookupByUUIDString(str(guest)).destroy()
    _put_in_error(services, guest)
    services.reconciler.reconcile_once()
    instance = services.compute.get_instance(admin, str(guest))
    assert instance.state is repaired
    [latest, *_] = services.events.list_events(admin, resource_id=guest).items
    assert latest.type is event
    assert "it was in error: the guest is paused after start" in latest.description
    assert instance.state_reason == latest.description.split(": ", 1)[1]


def test_an_instance_in_error_without_a_guest_stays_in_error(
    services: Services, admin: Caller, image: ImageView
) -> None:
    guest = services.compute.get_instance(admin, running_instance(services, admin)).id
    dom = behind_cores_back(services).lookupByUUIDString(str(guest))
    dom.destroy()
    dom.undefine()
    _put_in_error(services, guest)
    report = services.reconciler.reconcile_once()
    assert (report.vanished, report.powered_on, report.powered_off) == ([], [], [])
    assert services.compute.get_instance(admin, str(guest)).state is InstanceState.ERROR
    with pytest.raises(GuestGone):
        host_driver(services).power_state(guest)


def test_a_guest_started_behind_a_stopped_instance_makes_it_running(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = _stopped(services, admin)
    guest = services.compute.get_instance(admin, ref).id
    behind_cores_back(services).lookupByUUIDString(str(guest)).create()
    assert services.reconciler.reconcile_once().powered_on == [guest]
    assert services.compute.get_instance(admin, ref).state is InstanceState.RUNNING


def test_a_stop_during_a_reboot_queues_behind_it(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = running_instance(services, admin)
    [rebooting] = services.compute.reboot_instances(admin, [ref])
    [stopping] = services.compute.stop_instances(admin, [ref])
    assert (rebooting.item.current, stopping.item.current) == (
        InstanceState.REBOOTING,
        InstanceState.STOPPING,
    )
    assert services.workers.run_pending() == 2
    reboot = services.jobs.get_job(admin, str(rebooting.job_id))
    stop = services.jobs.get_job(admin, str(stopping.job_id))
    assert (reboot.status, reboot.result, stop.status) == (
        JobStatus.SUCCEEDED,
        {"rebooted": False},  # the stop overtook it: no reboot of a guest about to stop
        JobStatus.SUCCEEDED,
    )
    assert services.compute.get_instance(admin, ref).state is InstanceState.STOPPED
    guest = services.compute.get_instance(admin, ref).id
    assert host_driver(services).power_state(guest).value == "shutoff"


def test_account_deletion_deregisters_images_the_way_deregister_does(
    services: Services, admin: Caller, tmp_path: Path
) -> None:
    services.identity.create_account("carol")
    carol = services.identity.caller_for("carol")
    disk = tmp_path / "own.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    own = services.images.register(carol, disk, name="own-image")
    mine = services.images.register(admin, disk, name="own-image")
    services.images.deregister(admin, mine.ref)
    services.identity.delete_account(admin, "carol")
    services.workers.run_pending()
    with services.db.transaction() as session:
        by_account, by_owner = (session.get_one(Image, i.id) for i in (own, mine))
        rows = [(i.state, i.name, Path(i.path).exists()) for i in (by_account, by_owner)]
    assert rows == [
        (ImageState.DEREGISTERED, f"own-image (deregistered {own.ref})", False),
        (ImageState.DEREGISTERED, f"own-image (deregistered {mine.ref})", False),
    ]
    texts = [
        e.description
        for e in services.events.list_events(admin, types=(EventType.TEMPLATE_DELETE,)).items
    ]
    assert sorted(texts) == [
        "image own-image deregistered",
        "image own-image removed with its account",
    ]
