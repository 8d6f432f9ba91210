"""Settling an action as a job is the caller's flag; the job's kind and event are core's.

CloudStack's async commands want a job id for every action, a refusal included; EC2 wants the
refusal raised. Both are asked of the same service method.
"""

from __future__ import annotations

import pytest

from core.enums import EventState, EventType, JobKind, JobStatus, Settle
from core.errors import ErrorKind, InvalidState
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView
from tests.unit.helpers import row_counts


def running(services: Services, caller: Caller) -> str:
    request = LaunchRequest(image="tiny-linux", flavor="t1.micro")
    [instance] = services.compute.launch(caller, request).instances
    services.workers.run_pending()
    return instance.ref


def test_a_refusal_raises_or_becomes_a_failed_job_of_the_actions_kind(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = running(services, admin)
    before = row_counts(services)
    with pytest.raises(InvalidState):
        services.compute.start_instances(admin, [ref])
    assert row_counts(services) == before

    [change] = services.compute.start_instances(admin, [ref], settle=Settle.AS_JOB)
    assert (change.item.previous, change.item.current) == (
        InstanceState.RUNNING,
        InstanceState.RUNNING,
    )
    assert change.job_id is not None
    job = services.jobs.get_job(admin, str(change.job_id))
    assert (job.kind, job.status, job.error_kind) == (
        JobKind.START_INSTANCE,
        JobStatus.FAILED,
        ErrorKind.INVALID_STATE,
    )
    logged = services.events.list_events(admin, types=[EventType.VM_START]).items
    assert {(e.state, e.job_id) for e in logged} >= {
        (EventState.SCHEDULED, change.job_id),
        (EventState.COMPLETED, change.job_id),
    }


def test_nothing_to_do_is_no_job_or_a_finished_one(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = running(services, admin)
    services.compute.terminate_instances(admin, [ref])
    services.workers.run_pending()
    [again] = services.compute.terminate_instances(admin, [ref])
    assert again.job_id is None
    [settled] = services.compute.terminate_instances(admin, [ref], settle=Settle.AS_JOB)
    assert settled.job_id is not None
    job = services.jobs.get_job(admin, str(settled.job_id))
    assert (job.kind, job.status) == (JobKind.TERMINATE_INSTANCE, JobStatus.SUCCEEDED)


def test_work_done_within_the_call_is_a_finished_job(
    services: Services, admin: Caller, image: ImageView
) -> None:
    services.key_pairs.create_key_pair(admin, "second")
    ref = running(services, admin)
    refused = services.compute.reset_key(admin, ref, "second", settle=Settle.AS_JOB)
    assert refused.item.key_name is None  # a running instance keeps its key
    assert refused.job_id is not None
    assert services.jobs.get_job(admin, str(refused.job_id)).status is JobStatus.FAILED
    services.compute.stop_instances(admin, [ref])
    services.workers.run_pending()
    done = services.compute.reset_key(admin, ref, "second", settle=Settle.AS_JOB)
    assert done.item.key_name == "second"
    assert done.job_id is not None
    job = services.jobs.get_job(admin, str(done.job_id))
    assert (job.kind, job.status) == (JobKind.RESET_KEY, JobStatus.SUCCEEDED)
    assert services.compute.reset_key(admin, ref, "second").job_id is None
