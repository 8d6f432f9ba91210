"""What every CIMI handler shares: the call's context, the error it raises, and the shapes of
its answers. A listing hands the whole ``$filter`` to core's query, with ``$first``/``$last`` as
its window; an asynchronous change answers 202 with the Job that carries it out (``Location``
names the resource, ``CIMI-Job-URI`` the Job), a change core makes at once 200 or 201.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypedDict, TypeVar

from starlette.responses import Response

from core.predicates import Predicate
from gateway.cimi import expansion, representation, resources, wire
from gateway.cimi import filter as cimi_filter
from gateway.cimi.context import CimiError as CimiError
from gateway.cimi.context import Context as Context
from gateway.cimi.paths import NotOurs

Document = dict[str, Any]
Listed = tuple[list[Document], int]  # one page of a listing, and how many match in all


class Selection(TypedDict):
    """What a listing reads, in core's words: the fields of every core query's window."""

    offset: int
    limit: int | None
    where: Predicate
    order_by: tuple[tuple[str, bool], ...]


Reader = Callable[[Selection], Listed]
T = TypeVar("T")


def window(rows: Sequence[T], selection: Selection) -> Sequence[T]:
    """The selection's window of a short list core gives whole (flavors, disk offerings)."""
    start, limit = selection["offset"], selection["limit"]
    return rows[start : None if limit is None else start + limit]


def allowed(ctx: Context, *methods: str) -> None:
    """405 with ``Allow`` for any other method (HEAD comes in as GET, see ``app``)."""
    if ctx.request.method not in methods:
        listed = ", ".join((*methods, "HEAD") if "GET" in methods else methods)
        raise CimiError(405, f"allowed here: {listed}", {"Allow": listed})


def uuid_of(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CimiError(404, f"no resource {text!r}") from None


def href_id(ctx: Context, ref: object, key: str, what: str) -> uuid.UUID:
    if not isinstance(ref, Mapping) or not isinstance(ref.get("href"), str):
        raise CimiError(400, f"{what} must be a reference: {{'href': …}}")
    try:
        return ctx.urls.id_in(ref["href"], key)
    except NotOurs as exc:
        raise CimiError(400, str(exc)) from None


def listed(
    ctx: Context,
    kind: str,
    read: Reader,
    attributes: Mapping[str, cimi_filter.Attribute],
    operations: Sequence[Document] = (),
) -> Response:
    query = ctx.query()
    try:
        where = cimi_filter.query_predicate(query.filters, attributes)
    except cimi_filter.FilterError as exc:
        raise CimiError(400, str(exc)) from None
    unknown = [name for name, _ in query.order if name not in attributes]
    if unknown:
        raise CimiError(400, f"$orderby: cannot order by {unknown[0]!r} here")
    order = tuple((attributes[name].field, descending) for name, descending in query.order)
    items, total = read(
        Selection(offset=query.offset, limit=query.limit, where=where, order_by=order)
    )
    items = expansion.expand(ctx, items, query.expand)
    document = representation.collection(
        kind,
        ctx.urls.at(ctx.request.path),
        [query.selected(i) for i in items],
        total,
        operations,
    )
    return wire.respond(ctx.request, query.selected_collection(document))


def accepted(ctx: Context, location: str, job_id: uuid.UUID | None, created: bool) -> Response:
    """202 with the Job, or 201/200 when core had nothing to queue."""
    headers = {"Location": location}
    if job_id is None:
        return wire.respond(ctx.request, None, 201 if created else 200, headers)
    job = resources.job(ctx.urls, ctx.services.jobs.get_job(ctx.caller, str(job_id)))
    headers["CIMI-Job-URI"] = job["id"]
    return wire.respond(ctx.request, job, 202, headers)


def one(ctx: Context, document: Document) -> Response:
    """One resource, with an ETag of its whole representation (whatever ``$select`` keeps), so
    a client can make a change conditional on it with ``If-Match`` (DSP0263 §4.1.7.2)."""
    query = ctx.query()
    headers = {"ETag": entity_tag(document)}
    [shown] = expansion.expand(ctx, [document], query.expand)
    return wire.respond(ctx.request, query.selected(shown), headers=headers)


def entity_tag(document: Document) -> str:
    canonical = json.dumps(representation.to_json(document), sort_keys=True).encode()
    return '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


NAMED: Final[Mapping[str, cimi_filter.Attribute]] = {
    "name": cimi_filter.StringAttribute("name"),
}
DATED: Final[Mapping[str, cimi_filter.Attribute]] = {
    **NAMED,
    "created": cimi_filter.DateTimeAttribute("created_at"),
}


def members(
    ctx: Context,
    kind: str,
    read: Reader,
    attributes: Mapping[str, cimi_filter.Attribute],
    create: Callable[[], Response] | None = None,
) -> Response:
    """A collection: GET lists it; POST adds a member where the collection takes them, which
    it then offers as its ``add`` operation."""
    if create is None:
        allowed(ctx, "GET")
        return listed(ctx, kind, read, attributes)
    allowed(ctx, "GET", "POST")
    if ctx.request.method == "POST":
        return create()
    adding = [{"rel": "add", "href": ctx.urls.at(ctx.request.path)}]
    return listed(ctx, kind, read, attributes, adding)
