"""The event log, newest first, as fluentd's CloudStack input and billing scripts read it."""

from __future__ import annotations

import datetime as dt

from core.enums import EventLevel, EventType
from gateway.native import objects
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    Call,
    CommandSet,
    Listing,
    Param,
    ParamType,
    Reply,
    param_error,
)
from translations.native import resource_kind

commands = CommandSet()


def _end_of(moment: dt.datetime) -> dt.datetime:
    """A bare date as ``enddate`` means the whole day, as a user reading it expects."""
    if moment.time() == dt.time(0, 0):
        return moment + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return moment


@commands.command(
    "listEvents",
    "Lists events, newest first",
    (
        *ACCOUNT_LIST_PARAMS,
        Param("id", ParamType.UUID, "The event"),
        Param("type", ParamType.STRING, "The event type, e.g. VM.CREATE"),
        Param("level", ParamType.STRING, "INFO, WARN or ERROR"),
        Param("startdate", ParamType.DATE, "From (yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, UTC)"),
        Param("enddate", ParamType.DATE, "Until (a bare date includes that day)"),
        Param("resourceid", ParamType.UUID, "Events of this resource"),
        Param("resourcetype", ParamType.STRING, "Events of this resource type"),
    ),
    response_key="event",
)
def list_events(call: Call) -> Reply:
    type_text, level_text = call.args.get("type"), call.args.get("level")
    types: tuple[EventType, ...] = ()
    if type_text:
        try:
            types = (EventType(type_text.upper()),)
        except ValueError:
            return call.page("event", [])
    levels: tuple[EventLevel, ...] = ()
    if level_text:
        try:
            levels = (EventLevel(level_text.upper()),)
        except ValueError:
            raise param_error("level must be INFO, WARN or ERROR") from None
    end = call.args.get("enddate")
    wanted_id, kind_text = call.args.get("id"), call.args.get("resourcetype")
    kind = resource_kind(kind_text) if kind_text else None
    if kind_text and kind is None:
        return call.page("event", [])
    page = call.services.events.list_events(
        call.scope,
        types=types,
        levels=levels,
        resource_id=call.args.get("resourceid"),
        since=call.args.get("startdate"),
        until=_end_of(end) if end is not None else None,
        keyword=call.args.get("keyword"),
        event_ids=(wanted_id,) if wanted_id else (),
        resource_kinds=(kind,) if kind else (),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    domain = objects.domain(call.services)
    return Listing("event", [objects.event(e, domain) for e in page.items], page.total)


@commands.command("listEventTypes", "Lists the event types", (), response_key="eventtype")
def list_event_types(call: Call) -> Reply:
    return call.page("eventtype", [{"name": t.value} for t in EventType])
