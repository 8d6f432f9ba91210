"""Describe calls over listings core filters and pages in SQL.

Filters core can say go into its query (``filters.split``); the rest match the rendered
items of each page. A page those filters thin out is topped up from the following rows, so
``MaxResults`` is honoured whatever the filters, and ``NextToken`` wraps core's cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from core.views import Page
from gateway.ec2 import filters, paging
from gateway.ec2.call import Call

V = TypeVar("V")
Fetch = Callable[[int | None, str | None], Page[V]]
"""Core's listing for a window: at most ``limit`` rows after the ``after`` cursor."""


def collect(
    call: Call,
    fetch: Fetch[V],
    render: Callable[[V], dict[str, Any]],
    table: Mapping[str, filters.Lookup],
    rest: Sequence[Mapping[str, Any]],
    *,
    ids: tuple[str, str] | None,
    tags: str = "Tags",
) -> tuple[list[dict[str, Any]], str | None]:
    """The rendered page the call asks for and its NextToken. ``rest`` are the filters core
    did not apply; ``ids`` names the member holding explicit ids (no paging with those;
    None for an action that takes none)."""
    window = paging.cursor_window(call.args, ids)
    shown: list[dict[str, Any]] = []
    limit, after = window.limit, window.after
    while True:
        page = fetch(limit, after)
        shown.extend(filters.select([render(item) for item in page.items], rest, table, tags))
        if page.next_cursor is None or window.limit is None or len(shown) >= window.limit:
            return shown, paging.cursor_token(page.next_cursor, call.args)
        limit, after = window.limit - len(shown), page.next_cursor
