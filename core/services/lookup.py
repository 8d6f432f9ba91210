"""Finding a resource by what a caller typed: its UUID or its 17-hex ref (names are per kind)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from core import ids
from core.db.base import Model


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
