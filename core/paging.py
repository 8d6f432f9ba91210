"""Keyset paging for every listing: rows in (created_at, id) order (or another pair of
columns that is unique together), pages after a cursor.

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
from typing import Any, Protocol, TypeVar, TypeVarTuple

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import Row as ColumnRow
from sqlalchemy.orm import QueryableAttribute, Session

from core.db.base import Model
from core.errors import InvalidArgument
from core.views import Page, Window

Row = TypeVar("Row")
Columns = TypeVarTuple("Columns")
View = TypeVar("View")
First = TypeVar("First")
Second = TypeVar("Second")


class Ordered(Protocol):
    """What a listing is ordered by: every row and every view has both."""

    @property
    def created_at(self) -> dt.datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


def check(window: Window) -> None:
    if window.offset < 0 or (window.limit is not None and window.limit < 0):
        raise InvalidArgument("page", "offset and limit must not be negative")


def encode(first: str, second: str) -> str:
    """A cursor naming a row by the two values its listing is ordered by."""
    return base64.urlsafe_b64encode(f"{first}|{second}".encode()).decode()


def decode(cursor: str, parse: Callable[[str, str], tuple[First, Second]]) -> tuple[First, Second]:
    """The two values ``encode`` wrote, as ``parse`` reads them (raising ValueError on what
    it cannot read): InvalidArgument for a cursor this listing did not give out."""
    try:
        first, _, second = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return parse(first, second)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument("cursor", "not a cursor this listing gave out") from None


def cursor_of(item: Ordered) -> str:
    """The cursor of the page that ends with ``item``."""
    return encode(item.created_at.isoformat(), item.id.hex)


def _created_and_id(created: str, hex_id: str) -> tuple[dt.datetime, uuid.UUID]:
    moment = dt.datetime.fromisoformat(created)
    if moment.tzinfo is None:
        raise ValueError("a cursor's time is UTC")
    return moment, uuid.UUID(hex=hex_id)


def windowed(
    statement: Select[*Columns],
    window: Window,
    order: tuple[QueryableAttribute[First], QueryableAttribute[Second]],
    last: tuple[First, Second] | None,
) -> Select[*Columns]:
    """``statement`` in ``order``, after the row whose values are ``last`` (the window's
    cursor, decoded), limited to the window plus one row, which tells whether a next page
    exists without a second query."""
    check(window)
    first, second = order
    if last is not None:
        statement = statement.where(or_(first > last[0], and_(first == last[0], second > last[1])))
    statement = statement.order_by(first, second).offset(window.offset)
    return statement if window.limit is None else statement.limit(window.limit + 1)


def paged(
    rows: Sequence[Row],
    window: Window,
    total: int,
    view: Callable[[Sequence[Row]], Sequence[View]],
    cursor: Callable[[View], str],
) -> Page[View]:
    """The page of ``rows`` (read by ``windowed``) as views, with the cursor ``cursor``
    makes after each of them; the last one's asks for the next page, if there is one."""
    more = window.limit is not None and len(rows) > window.limit
    shown = view(rows[: window.limit] if more else rows)
    cursors = [cursor(item) for item in shown]
    return Page(shown, total, cursors[-1] if more and cursors else None, cursors)


M = TypeVar("M", bound=Model)
Listed = TypeVar("Listed", bound=Ordered)


def read_page(
    session: Session,
    statement: Select[M],
    model: type[M],
    window: Window,
    views: Callable[[Sequence[M]], Sequence[Listed]],
) -> Page[Listed]:
    """The window of ``statement``'s rows of ``model`` as views, with the total that match:
    one count, one read of the rows, and whatever ``views`` reads beside them for the page."""
    total, ordered = _listing_window(session, statement, model, window)
    rows = session.scalars(ordered).unique().all()
    return paged(rows, window, total, views, cursor_of)


def read_rows(
    session: Session,
    statement: Select[*Columns],
    model: type[Model],
    window: Window,
    views: Callable[[Sequence[ColumnRow[*Columns]]], Sequence[Listed]],
) -> Page[Listed]:
    """``read_page`` for a statement of plain columns, ``model``'s and its joins': a listing
    that builds its views from column rows skips the ORM's work per row (an object, the
    identity map, its relationships), which is most of the time a 1,000-row listing takes."""
    total, ordered = _listing_window(session, statement, model, window)
    return paged(session.execute(ordered).all(), window, total, views, cursor_of)


def _listing_window(
    session: Session, statement: Select[*Columns], model: type[Model], window: Window
) -> tuple[int, Select[*Columns]]:
    """How many rows ``statement`` selects, and its window in (created_at, id) order."""
    check(window)
    total = count(session, statement, model.id)
    last = None if window.after is None else decode(window.after, _created_and_id)
    return total, windowed(statement, window, (model.created_at, model.id), last)


def count(session: Session, statement: Select[*Columns], column: QueryableAttribute[Any]) -> int:
    """How many rows ``statement`` selects, counted by ``column`` (one of the rows'),
    without the order a caller may have given it, which a count need not sort by."""
    subquery = statement.order_by(None).with_only_columns(column).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0
