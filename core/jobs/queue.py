"""The job table as a queue: enqueue inside the caller's transaction, claim, finish, recover.

A job is written in the same transaction as the intent it carries out, with its Scheduled event,
so a crash can never leave an intent without its job or a job without its intent. Jobs on one
resource run one at a time and in order: a claim skips any job whose resource has a job running
or an older job pending. On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED`` so replicas can
share the queue; on SQLite every write transaction is serialised anyway.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Enum, and_, case, exists, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from core import events, filtering
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Account, Job
from core.enums import EventLevel, EventState, EventType, JobKind, JobStatus, ResourceKind
from core.errors import CoreError, ErrorKind, NotFound
from core.ids import parse_uuid
from core.predicates import Predicate
from core.views import Caller, JobView, Page


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: uuid.UUID
    kind: JobKind
    account_id: uuid.UUID
    user_id: uuid.UUID | None
    resource_id: uuid.UUID
    params: Mapping[str, Any]
    attempts: int
    scheduled_event_seq: int | None


def enqueue(
    session: Session,
    caller: Caller,
    *,
    kind: JobKind,
    resource: tuple[ResourceKind, uuid.UUID],
    account_id: uuid.UUID,
    event_type: EventType,
    description: str,
    params: Mapping[str, Any] | None = None,
) -> Job:
    job = Job(
        account_id=account_id,
        user_id=caller.user_id,
        kind=kind,
        status=JobStatus.PENDING,
        resource_kind=resource[0],
        resource_id=resource[1],
        params=dict(params or {}),
    )
    session.add(job)
    session.flush()
    scheduled = events.record(
        session,
        account_id=account_id,
        user_id=caller.user_id,
        type=event_type,
        state=EventState.SCHEDULED,
        description=description,
        resource=resource,
        job_id=job.id,
    )
    job.scheduled_event_seq = scheduled.seq
    return job


def claim(
    db: Database, worker: str, started_event: Mapping[JobKind, EventType]
) -> ClaimedJob | None:
    running = aliased(Job)
    older = aliased(Job)
    query = (
        select(Job)
        .where(
            Job.status == JobStatus.PENDING,
            ~exists().where(
                and_(running.resource_id == Job.resource_id, running.status == JobStatus.RUNNING)
            ),
            ~exists().where(
                and_(
                    older.resource_id == Job.resource_id,
                    older.status == JobStatus.PENDING,
                    older.created_at < Job.created_at,
                )
            ),
        )
        .order_by(Job.created_at)
        .limit(1)
    )
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True, of=Job)
    with db.transaction() as session:
        job = session.scalars(query).first()
        if job is None:
            return None
        job.status = JobStatus.RUNNING
        job.claimed_by = worker
        job.attempts += 1
        job.heartbeat_at = utcnow()
        events.record(
            session,
            account_id=job.account_id,
            user_id=job.user_id,
            type=started_event[job.kind],
            state=EventState.STARTED,
            description=f"{job.kind.value} started (attempt {job.attempts})",
            resource=(job.resource_kind, job.resource_id),
            job_id=job.id,
            parent_seq=job.scheduled_event_seq,
        )
        return ClaimedJob(
            id=job.id,
            kind=job.kind,
            account_id=job.account_id,
            user_id=job.user_id,
            resource_id=job.resource_id,
            params=dict(job.params),
            attempts=job.attempts,
            scheduled_event_seq=job.scheduled_event_seq,
        )


def finish(
    session: Session,
    job_id: uuid.UUID,
    *,
    event_type: EventType,
    result: Mapping[str, Any] | None = None,
    error: tuple[ErrorKind, str] | None = None,
) -> Job:
    """Mark a job terminal and write its Completed event (level ERROR when it failed)."""
    job = session.get_one(Job, job_id)
    job.status = JobStatus.FAILED if error else JobStatus.SUCCEEDED
    job.result = dict(result) if result is not None else None
    job.error_kind, job.error_text = (error[0].value, error[1]) if error else (None, None)
    job.finished_at = utcnow()
    events.record(
        session,
        account_id=job.account_id,
        user_id=job.user_id,
        type=event_type,
        state=EventState.COMPLETED,
        level=EventLevel.ERROR if error else EventLevel.INFO,
        description=f"{job.kind.value} failed: {error[1]}" if error else f"{job.kind.value} done",
        resource=(job.resource_kind, job.resource_id),
        job_id=job.id,
        parent_seq=job.scheduled_event_seq,
    )
    return job


def settled(
    session: Session,
    caller: Caller,
    *,
    kind: JobKind,
    resource: tuple[ResourceKind, uuid.UUID],
    account_id: uuid.UUID,
    event_type: EventType,
    description: str,
    error: CoreError | None = None,
) -> Job:
    """A job that is over as soon as it is written: work a service did within the call, or a
    request refused at once. APIs that promise a job id for every such call (CloudStack's async
    commands, CIMI) hand this one out. A refusal gets its Scheduled and ERROR Completed events;
    a success adds none, because the operation wrote its own."""
    if error is not None:
        job = enqueue(
            session,
            caller,
            kind=kind,
            resource=resource,
            account_id=account_id,
            event_type=event_type,
            description=description,
        )
        return finish(
            session, job.id, event_type=event_type, error=(error.kind_of_error, str(error))
        )
    job = Job(
        account_id=account_id,
        user_id=caller.user_id,
        kind=kind,
        status=JobStatus.SUCCEEDED,
        resource_kind=resource[0],
        resource_id=resource[1],
        params={},
        finished_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def pending_for(session: Session, resource_id: uuid.UUID, kind: JobKind) -> bool:
    """Whether a job of ``kind`` on the resource is still to run or running."""
    return (
        session.scalar(
            select(Job.id).where(
                Job.resource_id == resource_id,
                Job.kind == kind,
                Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)),
            )
        )
        is not None
    )


def interrupted(session: Session) -> Sequence[Job]:
    """Jobs a dead process was running. One gateway process per database is assumed here;
    several replicas will need claim leases (heartbeat_at) to tell dead claims from live ones."""
    return session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)).all()


def to_view(job: Job) -> JobView:
    return JobView(
        id=job.id,
        ref=job.ref,
        account_id=job.account_id,
        account_name=job.account.name,
        kind=job.kind,
        status=job.status,
        resource_kind=job.resource_kind,
        resource_id=job.resource_id,
        attempts=job.attempts,
        result=job.result,
        error_kind=ErrorKind.of(job.error_kind),
        error_text=job.error_text,
        created_at=job.created_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
    )


#: What ``list_jobs``'s ``where`` can name: the view's fields but the result. ``error_kind``
#: reads the stored kind as ``ErrorKind.of`` does: one this version does not know is internal.
FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(Job, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "kind",
                "status",
                "resource_kind",
                "resource_id",
                "attempts",
                "error_text",
                "created_at",
                "updated_at",
                "finished_at",
            )
        },
        "account_name": filtering.scalar(Account.name, Account.id == Job.account_id),
        "error_kind": type_coerce(
            case(
                (Job.error_kind.in_([kind.value for kind in ErrorKind]), Job.error_kind),
                (Job.error_kind.is_not(None), ErrorKind.INTERNAL.value),
            ),
            Enum(
                ErrorKind,
                native_enum=False,
                values_callable=lambda kinds: [kind.value for kind in kinds],
            ),
        ),
    }
)


class JobService:
    """Jobs as callers see them: status, result, error."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get_job(self, caller: Caller, job_id: str) -> JobView:
        parsed = parse_uuid(job_id)
        with self._db.transaction() as session:
            job = session.get(Job, parsed) if parsed else None
            if job is None or not (caller.is_admin or job.account_id == caller.account_id):
                raise NotFound("job", job_id)
            return to_view(job)

    def list_jobs(
        self,
        caller: Caller,
        *,
        statuses: Sequence[JobStatus] = (),
        since: dt.datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
        where: Predicate | None = None,
        order_by: Sequence[tuple[str, bool]] = (),
    ) -> Page[JobView]:
        """Newest first, within the order of ``order_by`` (see ``Fields.ordering``) if it
        has one."""
        query = select(Job).where(*FIELDS.selecting(where))
        if not caller.is_admin:
            query = query.where(Job.account_id == caller.account_id)
        if since is not None:
            query = query.where(Job.created_at >= since)
        if statuses:
            query = query.where(Job.status.in_(statuses))
        with self._db.transaction() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(*FIELDS.ordering(order_by), Job.created_at.desc())
                .offset(offset)
                .limit(limit)
            )
            return Page([to_view(job) for job in rows], total)
