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
from typing import Any, Final, Protocol, TypeVar

from core.views import Page
from gateway.ec2 import filters, paging
from gateway.ec2.call import Call
from gateway.ec2.errors import not_found
from translations.ec2 import IdKind

MAX_READS: Final = 3
V = TypeVar("V")


class Referenced(Protocol):
    @property
    def ref(self) -> str: ...


R = TypeVar("R", bound=Referenced)
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


def require_all(kind: IdKind, refs: Sequence[str], found: Sequence[Referenced]) -> None:
    """Every ref a call named is among what core found, or EC2's NotFound for the first not."""
    known = {item.ref for item in found}
    if absent := [r for r in refs if r not in known]:
        raise not_found(kind, kind.render(absent[0]))


def describe(
    call: Call,
    kind: IdKind,
    ids: tuple[str, str],
    read: Callable[[Mapping[str, Any]], Page[R]],
    render: Callable[[R], dict[str, Any]],
    table: Mapping[str, filters.Lookup],
    sql: Mapping[str, filters.QueryField],
    *,
    tags: str = "Tags",
    core_tags: bool = True,
) -> tuple[list[dict[str, Any]], str | None]:
    """A Describe call over a core listing: explicit ids (the member ``ids`` names) are read
    by id, and every one must exist; otherwise the filters core can say go into ``read``'s
    query fields and the rest match each rendered window (``collect``). ``tags`` is where an
    item shows its tags; ``core_tags``, whether core's query takes them."""
    refs = call.refs(kind, ids[0])
    wanted = call.args.get("Filters")
    if refs:
        named = read({"ids": tuple(refs)}).items
        require_all(kind, refs, named)
        shown, token = paging.page(
            call.args, filters.select([render(v) for v in named], wanted, table, tags), ids
        )
        return list(shown), token
    fields, rest = filters.split(wanted, sql, tags=core_tags)

    def fetch(limit: int | None, after: str | None) -> Page[R]:
        return read({**fields, "limit": limit, "after": after})

    return collect(call, fetch, render, table, rest, ids=ids, tags=tags)
