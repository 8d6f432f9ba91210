"""Keyset paging for every listing: rows in (created_at, id) order, pages after a cursor.

A cursor names the last row a page showed, so the next page starts right after it whatever
was added or removed meanwhile, and a page costs the same wherever it lies in the listing
(an OFFSET reads every row it skips). CloudStack's numbered pages still need an offset, so a
window takes either. Cursors are opaque to front ends: they pass them back as they got them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from core.db.base import Model
from core.errors import InvalidArgument
from core.views import Page, Window

Row = TypeVar("Row")
View = TypeVar("View", bound="Ordered")


class Ordered(Protocol):
    """What a listing is ordered by: every row and every view has both."""

    @property
    def created_at(self) -> dt.datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


def check(window: Window) -> None:
    if window.offset < 0 or (window.limit is not None and window.limit < 0):
        raise InvalidArgument("page", "offset and limit must not be negative")


def cursor_of(item: Ordered) -> str:
    """The cursor of the page that ends with ``item``."""
    text = f"{item.created_at.isoformat()}|{item.id.hex}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        created, _, hex_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        moment = dt.datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("a cursor's time is UTC")
        return moment, uuid.UUID(hex=hex_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument("cursor", "not a cursor this listing gave out") from None


def windowed(
    statement: Select[Row],
    window: Window,
    created_at: QueryableAttribute[dt.datetime],
    row_id: QueryableAttribute[uuid.UUID],
) -> Select[Row]:
    """``statement`` in listing order, limited to the window plus one row, which tells
    whether a next page exists without a second query."""
    check(window)
    if window.after is not None:
        last_created, last_id = _decode(window.after)
        statement = statement.where(
            or_(created_at > last_created, and_(created_at == last_created, row_id > last_id))
        )
    statement = statement.order_by(created_at, row_id).offset(window.offset)
    return statement if window.limit is None else statement.limit(window.limit + 1)


def paged(
    rows: Sequence[Row],
    window: Window,
    total: int,
    view: Callable[[Sequence[Row]], Sequence[View]],
) -> Page[View]:
    """The page of ``rows`` (read by ``windowed``) as views, with the next page's cursor."""
    more = window.limit is not None and len(rows) > window.limit
    shown = view(rows[: window.limit] if more else rows)
    return Page(shown, total, cursor_of(shown[-1]) if more and shown else None)


M = TypeVar("M", bound=Model)


def read_page(
    session: Session,
    statement: Select[M],
    model: type[M],
    window: Window,
    views: Callable[[Sequence[M]], Sequence[View]],
) -> Page[View]:
    """The window of ``statement``'s rows of ``model`` as views, with the total that match:
    one count, one read of the rows, and whatever ``views`` reads beside them for the page."""
    check(window)
    total = session.scalar(
        select(func.count()).select_from(statement.with_only_columns(model.id).subquery())
    )
    rows = session.scalars(windowed(statement, window, model.created_at, model.id)).unique().all()
    return paged(rows, window, total or 0, views)
