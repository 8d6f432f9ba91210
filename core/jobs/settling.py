"""Refused and idle actions as jobs, for callers that ask for a job id every time.

Which way a call is settled is the caller's flag (``Settle``); what the job is (its kind,
event and text) the service that owns the action decides, so no front end picks a job kind
or an event type.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from core.db.database import Database
from core.enums import EventType, JobKind, ResourceKind, Settle
from core.errors import CoreError, InvalidState
from core.jobs import queue
from core.views import Accepted, Caller

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Work:
    """The job an action is, as its service names it."""

    kind: JobKind
    event: EventType
    resource: tuple[ResourceKind, uuid.UUID]
    account_id: uuid.UUID
    description: str


def record(db: Database, caller: Caller, work: Work, refused: CoreError | None = None) -> uuid.UUID:
    """A job over as soon as it is written: failed with ``refused``, else done. Its events
    belong to the resource's account, like the work's would."""
    with db.transaction() as session:
        return queue.settled(
            session,
            caller,
            kind=work.kind,
            resource=work.resource,
            account_id=work.account_id,
            event_type=work.event,
            description=work.description,
            error=refused,
        ).id


def settle(
    db: Database,
    caller: Caller,
    how: Settle,
    run: Callable[[], Accepted[T]],
    describe: Callable[[T | None], tuple[Work, T]],
    *,
    done_at_once: bool = False,
) -> Accepted[T]:
    """``run`` the action. Settled ``AS_JOB``, a refusal by state comes back as the resource
    as it is and a failed job, and an action that queued nothing as a finished job: one
    ``done_at_once`` by ``run`` itself, or else one with nothing to do. ``describe`` names
    the work from the resource ``run`` answered, or (None, after a refusal) reads the resource
    as it is; it runs only when a job must be recorded."""
    if how is Settle.RAISE:
        return run()
    try:
        accepted = run()
    except InvalidState as refused:
        work, current = describe(None)
        return Accepted(current, record(db, caller, work, refused))
    if accepted.job_id is not None:
        return accepted
    work, _current = describe(accepted.item)
    if not done_at_once:
        work = dataclasses.replace(work, description=f"{work.description}: nothing to do")
    return dataclasses.replace(accepted, job_id=record(db, caller, work))


class Owned(Protocol):
    """A view a settled job can name: its id and the account it belongs to."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def account_id(self) -> uuid.UUID: ...


V = TypeVar("V", bound=Owned)


def settle_on(
    db: Database,
    caller: Caller,
    how: Settle,
    run: Callable[[], Accepted[V]],
    *,
    kind: JobKind,
    event: EventType,
    resource: ResourceKind,
    read: Callable[[], V],
    text: Callable[[V], str],
    done_at_once: bool = False,
) -> Accepted[V]:
    """``settle`` for an action on one resource: ``read`` gives it as it is, ``text`` the
    job's description."""

    def describe(answered: V | None) -> tuple[Work, V]:
        found = answered or read()
        return Work(kind, event, (resource, found.id), found.account_id, text(found)), found

    return settle(db, caller, how, run, describe, done_at_once=done_at_once)
