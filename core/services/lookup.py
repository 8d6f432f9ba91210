"""Finding a resource by what a caller typed: its UUID, its 17-hex ref, or its name."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from core import ids
from core.db.base import Model

M = TypeVar("M", bound=Model)


def identity_clause(model: type[Model], text: str) -> ColumnElement[bool] | None:
    """``id = uuid`` or ``ref = ref``; None when the text is neither, so nothing can match."""
    parsed = ids.parse_uuid(text)
    if parsed is not None:
        return model.id == parsed
    if ids.is_ref(text):
        return model.ref == text
    return None


def identity_clauses(model: type[Model], texts: list[str] | tuple[str, ...]) -> ColumnElement[bool]:
    clauses = [c for c in (identity_clause(model, t) for t in texts) if c is not None]
    return or_(*clauses) if clauses else model.id.is_(None)


def find_one(session: Session, query: Select[M]) -> M | None:
    return session.scalars(query.limit(1)).first()


def by_identity(model: type[M], text: str) -> Select[M]:
    clause = identity_clause(model, text)
    return select(model).where(clause if clause is not None else model.id.is_(None))
