"""The job queue: recovery after a crash, per-instance ordering, and host failures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db.models import Job
from core.enums import EventLevel, EventState, EventType, JobKind, JobStatus
from core.errors import ErrorKind
from core.jobs import queue
from core.jobs.worker import WorkerPool
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView
from tests.unit.helpers import behind_cores_back
from tests.unit.test_compute import launch, our_guests

STARTED_EVENTS = {
    JobKind.LAUNCH_INSTANCE: EventType.VM_CREATE,
    JobKind.START_INSTANCE: EventType.VM_START,
    JobKind.STOP_INSTANCE: EventType.VM_STOP,
    JobKind.REBOOT_INSTANCE: EventType.VM_REBOOT,
    JobKind.TERMINATE_INSTANCE: EventType.VM_DESTROY,
}


def _claim(services: Services) -> queue.ClaimedJob | None:
    return queue.claim(services.db, "test-worker", STARTED_EVENTS)


def _fresh_pool(services: Services) -> WorkerPool:
    """What a restarted gateway builds: a new pool over the same database."""
    from core.jobs.instance_jobs import instance_handlers

    handlers = instance_handlers(services.db, services.drivers, stop_timeout=1.0)
    return WorkerPool(services.db, handlers, size=1, max_attempts=3)


def test_interrupted_job_is_resumed(services: Services, admin: Caller, image: ImageView) -> None:
    [ref] = launch(services, admin)
    claimed = _claim(services)
    assert claimed is not None  # a worker took it, then the process died before finishing
    pool = _fresh_pool(services)
    pool.recover()
    assert services.jobs.get_job(admin, str(claimed.id)).status is JobStatus.PENDING
    assert pool.run_pending() == 1
    job = services.jobs.get_job(admin, str(claimed.id))
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert services.compute.get_instance(admin, ref).state is InstanceState.RUNNING


def test_job_interrupted_too_often_fails_cleanly(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [ref] = launch(services, admin)
    claimed = _claim(services)
    assert claimed is not None
    with services.db.transaction() as session:
        session.get_one(Job, claimed.id).attempts = 3
    _fresh_pool(services).recover()
    job = services.jobs.get_job(admin, str(claimed.id))
    assert job.status is JobStatus.FAILED
    assert "interrupted" in (job.error_text or "")
    instance = services.compute.get_instance(admin, ref)
    assert instance.state is InstanceState.ERROR
    last = services.events.list_events(admin, resource_id=instance.id).items[0]
    assert (last.state, last.level) == (EventState.COMPLETED, EventLevel.ERROR)


def test_jobs_on_one_instance_run_in_order(
    services: Services, admin: Caller, image: ImageView
) -> None:
    first, second = launch(services, admin, count=2)
    services.workers.run_pending()
    services.compute.stop_instances(admin, [first])
    services.compute.terminate_instances(admin, [first])
    services.compute.reboot_instances(admin, [second])
    stop = _claim(services)
    reboot = _claim(services)
    assert stop is not None and reboot is not None
    assert (stop.kind.value, reboot.kind.value) == ("stop-instance", "reboot-instance")
    assert _claim(services) is None  # the terminate waits for the stop on the same instance
    with services.db.transaction() as session:
        pending = session.scalars(select(Job).where(Job.status == JobStatus.PENDING)).all()
        assert [j.kind.value for j in pending] == ["terminate-instance"]


def test_terminate_overtaking_a_queued_stop_wins(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [ref] = launch(services, admin)
    services.workers.run_pending()
    services.compute.stop_instances(admin, [ref])
    services.compute.terminate_instances(admin, [ref])
    services.workers.run_pending()
    assert services.compute.get_instance(admin, ref).state is InstanceState.TERMINATED
    assert our_guests(services) == set()


def test_host_failure_fails_the_job_and_leaves_nothing(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [ref] = launch(services, admin)
    pool = behind_cores_back(services).storagePoolLookupByName(services.settings.pool_name)
    pool.destroy()
    try:
        services.workers.run_pending()
    finally:
        pool.create()
    instance = services.compute.get_instance(admin, ref)
    assert instance.state is InstanceState.ERROR
    assert "storage pool" in instance.state_reason
    [job] = services.jobs.list_jobs(admin).items
    assert (job.status, job.error_kind) == (JobStatus.FAILED, ErrorKind.HOST_ERROR)
    assert our_guests(services) == set()


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RUNNING])
def test_unfinished_jobs_are_listed_by_status(
    services: Services, admin: Caller, image: ImageView, status: JobStatus
) -> None:
    launch(services, admin, count=2)
    if status is JobStatus.RUNNING:
        _claim(services)
    assert services.jobs.list_jobs(admin, statuses=[status]).total == (
        2 if status is JobStatus.PENDING else 1
    )
