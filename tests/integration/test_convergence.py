"""Jobs converge on real guests: kill -9 of a served gateway while guests start, at four
different moments, and a libvirt connection lost under the driver and found again. After the
restart every job is over within 90 s, every instance's state is what ``virsh domstate`` says
and nothing is left behind."""

from __future__ import annotations

import logging
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import libvirt
import pytest
from sqlalchemy import select

from core.bootstrap import ADMIN_ACCOUNT
from core.db.models import Job
from core.enums import TERMINAL_JOB_STATUSES, JobKind, JobStatus, VirtType
from core.hosts.driver import HostUnreachable
from core.hosts.libvirt_driver import LibvirtDriver
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import InstanceQuery
from tests.integration.conftest import (
    filter_names,
    leftovers,
    our_domains,
    wait_for,
)
from tests.integration.test_crash import Gateway, crashing_cloud

CONVERGED_WITHIN = 90.0
LIBVIRT_SOCKET = Path("/var/run/libvirt/libvirt-sock")
# what ``virsh domstate`` answers for each settled instance state
DOMSTATE = {InstanceState.RUNNING: "running", InstanceState.STOPPED: "shut off"}


def _jobs(services: Services, kind: JobKind | None = None) -> list[Job]:
    query = select(Job) if kind is None else select(Job).where(Job.kind == kind)
    with services.db.transaction() as session:
        return list(session.scalars(query))


def _all_jobs_terminal(services: Services) -> bool:
    return all(j.status in TERMINAL_JOB_STATUSES for j in _jobs(services))


def _domstate(guest: uuid.UUID) -> str:
    return subprocess.run(
        ["virsh", "-c", "qemu:///system", "domstate", str(guest)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _api_and_host(services: Services) -> list[tuple[str, str]]:
    """Each live instance's state as the API shows it, as virsh's word, beside virsh's own."""
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    return [
        (DOMSTATE.get(i.state, i.state.value), _domstate(i.id))
        for i in services.compute.list_instances(
            admin, InstanceQuery(include_terminated=False)
        ).items
    ]


def _converged(services: Services) -> bool:
    return _all_jobs_terminal(services) and all(
        api == host for api, host in _api_and_host(services)
    )


def _starts(services: Services, earlier: set[uuid.UUID]) -> list[Job]:
    return [j for j in _jobs(services, JobKind.START_INSTANCE) if j.id not in earlier]


def _a_guest_is_active(
    services: Services, qemu_conn: libvirt.virConnect, _: set[uuid.UUID]
) -> bool:
    return any(dom.isActive() for dom in our_domains(qemu_conn, services.installation))


def _started_unrecorded(
    services: Services, qemu_conn: libvirt.virConnect
) -> list[libvirt.virDomain]:
    """Active guests whose start job has not recorded it yet."""
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    pending = {
        str(i.id)
        for i in services.compute.list_instances(admin, InstanceQuery()).items
        if i.state is InstanceState.PENDING
    }
    return [
        dom
        for dom in our_domains(qemu_conn, services.installation)
        if dom.UUIDString() in pending and dom.isActive()
    ]


def _pause(dom: libvirt.virDomain) -> None:
    try:
        dom.suspend()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:  # paused already
            raise


def _a_start_is_unrecorded(
    services: Services, qemu_conn: libvirt.virConnect, _: set[uuid.UUID]
) -> bool:
    return bool(_started_unrecorded(services, qemu_conn))


def _a_start_succeeded(services: Services, _: libvirt.virConnect, earlier: set[uuid.UUID]) -> bool:
    return any(j.status is JobStatus.SUCCEEDED for j in _starts(services, earlier))


def _at_once(_services: Services, _conn: libvirt.virConnect, _earlier: set[uuid.UUID]) -> bool:
    return True


#: when to kill the gateway, once a start job of this round runs
Moment = Callable[[Services, libvirt.virConnect, set[uuid.UUID]], bool]


@pytest.mark.timeout(900)
def test_kill_9_during_starts_converges(qemu_conn: libvirt.virConnect, tiny_image: Path) -> None:
    with crashing_cloud(qemu_conn, tiny_image) as (services, gateway):
        _kill_during_starts(services, gateway, qemu_conn)


def _kill_during_starts(
    services: Services, gateway: Gateway, qemu_conn: libvirt.virConnect
) -> None:
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    gateway.start()
    services.compute.launch(admin, LaunchRequest(image="tiny-linux", flavor="t1.micro", count=2))
    wait_for("the launches", lambda: _converged(services), timeout=CONVERGED_WITHIN)
    refs = [i.ref for i in services.compute.list_instances(admin, InstanceQuery()).items]
    # the last: the restarted job finds its guest paused, as QEMU holds one while libvirt sets
    # it up (seconds on a busy host), which a start killed there leaves to its rerun; paused
    # here once the gateway is dead, so that no job moves meanwhile (the pause waits for
    # libvirt's own start, which goes on without the gateway, to finish)
    moments: list[tuple[str, Moment, bool]] = [
        ("as a start job is claimed", _at_once, False),
        ("once a guest is active", _a_guest_is_active, False),
        ("once one start is recorded", _a_start_succeeded, False),
        (
            "once a guest is up before its start is recorded, paused",
            _a_start_is_unrecorded,
            True,
        ),
    ]
    for what, moment, paused in moments:
        services.compute.stop_instances(admin, refs, force=True)
        wait_for("the stops", lambda: _converged(services), timeout=CONVERGED_WITHIN)
        earlier = {j.id for j in _jobs(services, JobKind.START_INSTANCE)}
        services.compute.start_instances(admin, refs)
        wait_for(
            f"a start job to run, to kill the gateway {what}",
            lambda earlier=earlier: any(  # type: ignore[misc]
                j.status is not JobStatus.PENDING for j in _starts(services, earlier)
            ),
            timeout=CONVERGED_WITHIN,
            interval=0.02,
        )
        wait_for(
            what,
            lambda moment=moment, earlier=earlier: moment(  # type: ignore[misc]
                services, qemu_conn, earlier
            ),
            interval=0.02,
        )
        gateway.kill_9()
        if paused:
            for dom in _started_unrecorded(services, qemu_conn):
                _pause(dom)
        gateway.start()
        wait_for(
            f"jobs and states to converge after a kill {what}",
            lambda: _converged(services),
            timeout=CONVERGED_WITHIN,
        )
        assert _api_and_host(services) == [("running", "running")] * len(refs)
        assert all(j.status is JobStatus.SUCCEEDED for j in _jobs(services, JobKind.START_INSTANCE))

    services.compute.terminate_instances(admin, refs)
    wait_for("the terminations", lambda: _all_jobs_terminal(services), timeout=CONVERGED_WITHIN)
    wait_for(
        "the reconciler to leave nothing behind",
        lambda: (
            leftovers(
                qemu_conn,
                services.installation,
                services.settings.pool_name,
                filter_names(services, groups_too=False),
            )
            == []
        ),
        timeout=30,
    )


@pytest.fixture
def socket_link(tmp_path: Path) -> Iterator[Path]:
    """A path to libvirtd's socket that the test can take away and give back, as a daemon
    going down and coming up again looks to a client: refused, then answering."""
    link = tmp_path / "libvirt-sock"
    link.symlink_to(LIBVIRT_SOCKET)
    yield link
    link.unlink(missing_ok=True)


RemoteDriver = Callable[[float], LibvirtDriver]


@pytest.fixture
def remote_test_driver(socket_link: Path, tmp_path: Path) -> Iterator[RemoteDriver]:
    """Our driver on libvirtd's own test:///default, reached through the link, retrying for
    as long as asked."""
    pool_name = f"cg-it-{uuid.uuid4().hex[:10]}"
    opened: list[LibvirtDriver] = []

    def open_driver(retry_timeout: float) -> LibvirtDriver:
        driver = LibvirtDriver(
            f"test+unix:///default?socket={socket_link}",
            installation=uuid.uuid4().hex,
            pool_name=pool_name,
            pool_path=tmp_path / "pool",
            virt_type=VirtType.TEST,
            retry_timeout=retry_timeout,
        )
        opened.append(driver)
        return driver

    try:
        yield open_driver
    finally:
        socket_link.unlink(missing_ok=True)
        socket_link.symlink_to(LIBVIRT_SOCKET)
        # libvirtd keeps test:///default's objects while one connection to it is open (a
        # broken one dropped them, pool and all): what is left goes through this one, then
        # the drivers' connections close
        conn = libvirt.open(f"test+unix:///default?socket={socket_link}")
        if pool_name in conn.listStoragePools():
            pool = conn.storagePoolLookupByName(pool_name)
            pool.destroy()
            pool.undefine()
        for driver in opened:
            driver.close()
        conn.close()


def _break_the_connection(driver: LibvirtDriver, socket_link: Path) -> None:
    """The daemon gone: its socket refuses, and the driver's open connection is dead (closed
    here, as libvirt leaves a connection whose daemon went away)."""
    socket_link.unlink()
    assert driver._conn is not None
    driver._conn.close()


def test_a_lost_connection_is_retried_until_the_daemon_answers(
    remote_test_driver: RemoteDriver, socket_link: Path, caplog: pytest.LogCaptureFixture
) -> None:
    driver = remote_test_driver(60.0)
    assert driver.networks() == []
    _break_the_connection(driver, socket_link)
    caplog.set_level(logging.WARNING, logger="core.hosts.libvirt_driver")
    outcome: list[object] = []
    call = threading.Thread(target=lambda: outcome.append(driver.networks()))
    call.start()
    wait_for(
        "the driver to retry",
        lambda: any("reconnecting in" in r.getMessage() for r in caplog.records),
        timeout=30,
        interval=0.05,
    )
    socket_link.symlink_to(LIBVIRT_SOCKET)  # the daemon is back
    call.join(60)
    assert outcome == [[]]


def test_a_connection_lost_for_longer_than_the_bound_fails_as_unreachable(
    remote_test_driver: RemoteDriver, socket_link: Path
) -> None:
    driver = remote_test_driver(1.0)
    _break_the_connection(driver, socket_link)
    with pytest.raises(HostUnreachable, match="Failed to connect socket"):
        driver.networks()
