"""The one event log (DESIGN rule 6): written inside the caller's transaction, read by all APIs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.database import Database
from core.db.models import Event
from core.enums import EventLevel, EventState, EventType, ResourceKind
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


def to_view(event: Event) -> EventView:
    return EventView(
        id=event.id,
        seq=event.seq,
        account_id=event.account_id,
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
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Page[EventView]:
        """Newest first, as CloudStack's listEvents and its consumers expect."""
        query = select(Event)
        if not caller.is_admin:
            query = query.where(Event.account_id == caller.account_id)
        if types:
            query = query.where(Event.type.in_(types))
        if resource_id is not None:
            query = query.where(Event.resource_id == resource_id)
        if since is not None:
            query = query.where(Event.created_at >= since)
        if until is not None:
            query = query.where(Event.created_at <= until)
        with self._db.transaction() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = query.order_by(Event.seq.desc()).offset(offset).limit(limit)
            return Page([to_view(e) for e in session.scalars(page)], total)
