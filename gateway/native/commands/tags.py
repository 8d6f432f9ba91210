"""Resource tags (``createTags``/``deleteTags`` are async in CloudStack; here the change is made
at once and the job comes back already finished)."""

from __future__ import annotations

import uuid
from typing import Final

from core.enums import ResourceKind, Settle
from core.views import TagQuery
from gateway.native import objects
from gateway.native.jobs import settled
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
_TARGETS: Final = (
    Param("resourceids", ParamType.LIST, "Ids of the resources", required=True),
    Param("resourcetype", ParamType.STRING, "UserVm, Volume, Snapshot …", required=True),
)


def _kind(text: str) -> ResourceKind:
    kind = resource_kind(text)
    if kind is None:
        raise param_error(f"Unable to find resource type by name {text}")
    return kind


def _resource_ids(call: Call) -> list[str]:
    """``resourceids``, whose first must be a UUID as CloudStack checks it."""
    ids: list[str] = call.args["resourceids"]
    try:
        uuid.UUID(ids[0])
    except ValueError:
        raise param_error(f"Unable to find resource by id {ids[0]}") from None
    return ids


@commands.command(
    "createTags",
    "Tags resources (a key already present gets the new value)",
    (*_TARGETS, Param("tags", ParamType.MAP, "key/value pairs", required=True)),
    is_async=True,
)
def create_tags(call: Call) -> Reply:
    kind = _kind(call.args["resourcetype"])
    wanted: dict[str, str] = {}
    for entry in call.args.map("tags"):
        if "key" not in entry:
            raise param_error("tags: every entry needs a key")
        wanted[entry["key"]] = entry.get("value", "")
    refs = _resource_ids(call)
    return settled(
        call.services.tags.create_tags(call.caller, kind, refs, wanted, settle=Settle.AS_JOB)
    )


@commands.command(
    "deleteTags",
    "Removes tags (all of them when no tags are given)",
    (*_TARGETS, Param("tags", ParamType.MAP, "keys, with a value to match")),
    is_async=True,
)
def delete_tags(call: Call) -> Reply:
    kind = _kind(call.args["resourcetype"])
    keys: dict[str, str | None] = {}
    for entry in call.args.map("tags"):
        if "key" not in entry:
            raise param_error("tags: every entry needs a key")
        keys[entry["key"]] = entry.get("value")
    refs = _resource_ids(call)
    return settled(
        call.services.tags.delete_tags(call.caller, kind, refs, keys, settle=Settle.AS_JOB)
    )


@commands.command(
    "listTags",
    "Lists tags",
    (
        *ACCOUNT_LIST_PARAMS,
        Param("resourceid", ParamType.UUID, "Tags of this resource"),
        Param("resourcetype", ParamType.STRING, "Tags of this resource type"),
        Param("key", ParamType.STRING, "The key"),
        Param("value", ParamType.STRING, "The value"),
    ),
    response_key="tag",
)
def list_tags(call: Call) -> Reply:
    text = call.args.get("resourcetype")
    resource, key, value = call.args.get("resourceid"), call.args.get("key"), call.args.get("value")
    query = TagQuery(
        kinds=(_kind(text),) if text else (),
        resources=(str(resource),) if resource else (),
        keys=(key,) if key else (),
        values=(value,) if value else (),
        text_contains=call.args.get("keyword") or "",
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.tags.list_tags(call.scope, query)
    return Listing("tag", [objects.tag(t) for t in page.items], page.total)
