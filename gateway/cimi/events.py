"""EventLogs and their Events: core's events (the ones native listEvents shows), one EventLog
per resource that has them (a Machine's, a Volume's, a Network's ``eventLog``) and one for the
caller's whole account, the one the EventLog collection lists."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from gateway.cimi import filter as cimi_filter
from gateway.cimi import readers, representation, resources, wire
from gateway.cimi.kit import CimiError, Context, Listed, Selection, allowed, members, one, uuid_of

ATTRIBUTES: dict[str, cimi_filter.Attribute] = {
    "timestamp": cimi_filter.DateTimeAttribute("created_at"),
    "created": cimi_filter.DateTimeAttribute("created_at"),
}


def event_logs(ctx: Context, rest: list[str]) -> Response:
    allowed(ctx, "GET")
    account = ctx.caller.account_id
    if not rest:
        log = readers.event_log(ctx, account)
        document = representation.collection("EventLog", ctx.urls.collection("eventLogs"), [log])
        return wire.respond(ctx.request, document)
    log_id = uuid_of(rest[0])
    resource = None if log_id == account else log_id
    if len(rest) == 1:
        return one(ctx, readers.event_log(ctx, log_id))
    if rest[1] != "events":
        raise CimiError(404, f"no {rest[1]} below an event log")
    return _events(ctx, log_id, resource, rest[2:])


def _events(
    ctx: Context, log_id: uuid.UUID, resource: uuid.UUID | None, rest: list[str]
) -> Response:
    service = ctx.services.events
    if rest:
        found = service.list_events(ctx.caller, event_ids=[uuid_of(rest[0])], resource_id=resource)
        if not found.items:
            raise CimiError(404, f"no event {rest[0]} in this log")
        return one(ctx, resources.event(ctx.urls, log_id, found.items[0]))

    def read(selection: Selection) -> Listed:
        page = service.list_events(ctx.caller, resource_id=resource, **selection)
        return [resources.event(ctx.urls, log_id, e) for e in page.items], page.total

    return members(ctx, "Event", read, ATTRIBUTES)
