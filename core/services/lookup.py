"""Finding a resource by what a caller typed: its UUID or its 17-hex ref (names are per kind)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from core import ids
from core.db.base import Model
from core.db.models import Zone
from core.errors import Conflict


def identity_clause(model: type[Model], text: str) -> ColumnElement[bool] | None:
    """``id = uuid`` or ``ref = ref``; None when the text is neither, so nothing can match."""
    parsed = ids.parse_uuid(text)
    if parsed is not None:
        return model.id == parsed
    if ids.is_ref(text):
        return model.ref == text
    return None


def zone_clause(column: QueryableAttribute[uuid.UUID], zones: Sequence[str]) -> ColumnElement[bool]:
    """``column`` names one of ``zones``, given by name or UUID."""
    uuids = [u for u in (ids.parse_uuid(z) for z in zones) if u is not None]
    return column.in_(select(Zone.id).where(or_(Zone.name.in_(zones), Zone.id.in_(uuids))))


def identity_clauses(model: type[Model], texts: list[str] | tuple[str, ...]) -> ColumnElement[bool]:
    clauses = [c for c in (identity_clause(model, t) for t in texts) if c is not None]
    return or_(*clauses) if clauses else model.id.is_(None)


def contains_text(text: str, *columns: QueryableAttribute[str]) -> ColumnElement[bool]:
    """One of ``columns`` holds ``text``, whatever the case: a listing's ``name_contains``
    or CloudStack's ``keyword``. ``%`` and ``_`` in the text are literal."""
    lowered = text.lower()
    return or_(*(func.lower(c).contains(lowered, autoescape=True) for c in columns))


def chosen_id(session: Session, model: type[Model], wanted: uuid.UUID | None) -> uuid.UUID:
    """The id a new row takes: the client's choice (OCCI lets a client name what it creates)
    when no row of any account holds it yet, else a fresh one."""
    if wanted is None:
        return ids.new_uuid()
    if session.get(model, wanted) is not None:
        raise Conflict(model.__tablename__.rstrip("s"), str(wanted), "the id is taken")
    return wanted
