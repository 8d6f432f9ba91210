"""Describe calls over listings core filters and pages in SQL.

Filters core can say go into its query (``filters.split``); the rest match the rendered
items of each window core returns. Windows those filters thin out are followed by the next
ones, each ``MaxResults`` rows, until the page is full; a call reads at most ``MAX_READS``
windows and then answers the short page it has with a ``NextToken``, as EC2 itself may, so a
filter that matches nothing costs each call the same whatever the number of rows. A page
that fills partway through a window ends at that item: ``NextToken`` wraps the cursor core
gave for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from core.views import Page
from gateway.ec2 import filters, paging
from gateway.ec2.call import Call

MAX_READS: Final = 3
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
    matches = filters.matcher(rest, table, tags)
    if window.limit is None:
        return [r for r in map(render, fetch(None, window.after).items) if matches(r)], None
    shown: list[dict[str, Any]] = []
    after = window.after
    for _ in range(MAX_READS):
        page = fetch(window.limit, after)
        for item, cursor in zip(page.items, page.cursors, strict=True):
            after = cursor  # the next read, or the next call, starts after this item
            rendered = render(item)
            if matches(rendered):
                shown.append(rendered)
                if len(shown) == window.limit:
                    done = cursor == page.cursors[-1] and page.next_cursor is None
                    return shown, None if done else paging.cursor_token(cursor, call.args)
        if page.next_cursor is None:
            return shown, None
    return shown, paging.cursor_token(after, call.args)
