"""The one event log (DESIGN rule 6): written inside the caller's transaction, read by all APIs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core import filtering
from core.db.database import Database
from core.db.models import Account, Event
from core.enums import EventLevel, EventState, EventType, ResourceKind
from core.predicates import Predicate
from core.views import Caller, EventView, Page


def record(
    session: Session,
    *,
    account_id: uuid.UUID,
    user_id: uuid.UUID | None,
    type: EventType,
    state: EventState,
    description: str,
    resource: tuple[ResourceKind, uuid.UUID] | None = None,
    job_id: uuid.UUID | None = None,
    parent_seq: int | None = None,
    level: EventLevel = EventLevel.INFO,
) -> Event:
    event = Event(
        account_id=account_id,
        user_id=user_id,
        type=type,
        state=state,
        level=level,
        description=description,
        resource_kind=resource[0] if resource else None,
        resource_id=resource[1] if resource else None,
        job_id=job_id,
        parent_seq=parent_seq,
    )
    session.add(event)
    session.flush()
    return event


def to_view(event: Event, parent_id: uuid.UUID | None = None) -> EventView:
    return EventView(
        id=event.id,
        seq=event.seq,
        account_id=event.account_id,
        account_name=event.account.name,
        user_id=event.user_id,
        type=event.type,
        state=event.state,
        level=event.level,
        description=event.description,
        resource_kind=event.resource_kind,
        resource_id=event.resource_id,
        job_id=event.job_id,
        parent_seq=event.parent_seq,
        created_at=event.created_at,
        parent_id=parent_id,
    )


_PARENT: Final = aliased(Event)

#: What ``list_events``'s ``where`` can name: the view's fields, the parent's id read by its
#: ``seq`` as ``list_events`` reads it.
FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(Event, name)
            for name in (
                "id",
                "seq",
                "account_id",
                "user_id",
                "type",
                "state",
                "level",
                "description",
                "resource_kind",
                "resource_id",
                "job_id",
                "parent_seq",
                "created_at",
            )
        },
        "account_name": filtering.scalar(Account.name, Account.id == Event.account_id),
        "parent_id": filtering.scalar(_PARENT.id, _PARENT.seq == Event.parent_seq),
    }
)


class EventService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def list_events(
        self,
        caller: Caller,
        *,
        types: Sequence[EventType] = (),
        resource_id: uuid.UUID | None = None,
        levels: Sequence[EventLevel] = (),
        event_ids: Sequence[uuid.UUID] = (),
        resource_kinds: Sequence[ResourceKind] = (),
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        keyword: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        where: Predicate | None = None,
        order_by: Sequence[tuple[str, bool]] = (),
    ) -> Page[EventView]:
        """Newest first, as CloudStack's listEvents and its consumers expect, within the
        order of ``order_by`` (see ``Fields.ordering``) if it has one. ``keyword`` is a
        case-insensitive substring of the description or the type."""
        query = select(Event).where(*FIELDS.selecting(where))
        if not caller.is_admin:
            query = query.where(Event.account_id == caller.account_id)
        if types:
            query = query.where(Event.type.in_(types))
        if levels:
            query = query.where(Event.level.in_(levels))
        if event_ids:
            query = query.where(Event.id.in_(event_ids))
        if resource_kinds:
            query = query.where(Event.resource_kind.in_(resource_kinds))
        if keyword:
            pattern = f"%{keyword.lower()}%"
            query = query.where(
                func.lower(Event.description).like(pattern) | func.lower(Event.type).like(pattern)
            )
        if resource_id is not None:
            query = query.where(Event.resource_id == resource_id)
        if since is not None:
            query = query.where(Event.created_at >= since)
        if until is not None:
            query = query.where(Event.created_at <= until)
        with self._db.transaction() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            ordered = query.order_by(*FIELDS.ordering(order_by), Event.seq.desc())
            page = ordered.offset(offset).limit(limit)
            rows = list(session.scalars(page))
            wanted = {e.parent_seq for e in rows if e.parent_seq is not None}
            parents = {
                parent.seq: parent.id
                for parent in session.scalars(select(Event).where(Event.seq.in_(wanted)))
            }
            return Page([to_view(e, parents.get(e.parent_seq or -1)) for e in rows], total)
