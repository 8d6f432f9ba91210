"""Tags: CreateTags, DeleteTags and DescribeTags on every taggable resource, by EC2 id."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final

from core.enums import ResourceKind
from core.views import Page, TagQuery, TagView
from gateway.ec2 import filters, listing
from gateway.ec2.call import Call
from gateway.ec2.errors import Ec2Error
from translations.ec2 import (
    ALLOCATION,
    IMAGE,
    INSTANCE,
    SECURITY_GROUP,
    SNAPSHOT,
    SUBNET,
    VOLUME,
    VPC,
    IdKind,
    ref_of,
)

# EC2 id kind → core resource kind and DescribeTags' resource-type.
_TAGGABLE: Final[Sequence[tuple[IdKind, ResourceKind, str]]] = (
    (INSTANCE, ResourceKind.INSTANCE, "instance"),
    (VOLUME, ResourceKind.VOLUME, "volume"),
    (SNAPSHOT, ResourceKind.SNAPSHOT, "snapshot"),
    (IMAGE, ResourceKind.IMAGE, "image"),
    (SECURITY_GROUP, ResourceKind.SECURITY_GROUP, "security-group"),
    (SUBNET, ResourceKind.NETWORK, "subnet"),
    (VPC, ResourceKind.VPC, "vpc"),
    (ALLOCATION, ResourceKind.ADDRESS, "elastic-ip"),
)
_SHOWN: Final[Mapping[ResourceKind, tuple[IdKind, str]]] = {
    kind: (id_kind, name) for id_kind, kind, name in _TAGGABLE
}
_FILTERS: Final = {
    "key": filters.path("Key"),
    "value": filters.path("Value"),
    "resource-id": filters.path("ResourceId"),
    "resource-type": filters.path("ResourceType"),
}


def _resource(text: str) -> tuple[ResourceKind, str] | None:
    """The kind and ref an EC2 id names; None when it is no taggable resource's id."""
    for id_kind, kind, _ in _TAGGABLE:
        ref = ref_of(id_kind, text)
        if ref is not None:
            return kind, ref
    return None


def _as_resources(values: Sequence[str]) -> Mapping[str, Any]:
    """EC2 ids as core refs (refs are random, so one names one resource whatever its kind);
    a malformed id names nothing, so it matches nothing."""
    return {"resources": tuple(found[1] if (found := _resource(v)) else "" for v in values)}


# Filters core applies in SQL: all of them, when their values have no wildcards.
_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "key": filters.as_values("keys"),
    "value": filters.as_values("values"),
    "resource-id": _as_resources,
    # resource types name core kinds as EC2's state names name core states
    "resource-type": filters.as_states({kind: name for kind, (_, name) in _SHOWN.items()}, "kinds"),
}


def _by_kind(ids: Sequence[str]) -> dict[ResourceKind, list[str]]:
    grouped: dict[ResourceKind, list[str]] = {}
    for text in ids:
        found = _resource(text)
        if found is None:
            raise Ec2Error("InvalidID", f'The ID "{text}" is not valid')
        grouped.setdefault(found[0], []).append(found[1])
    return grouped


def create_tags(call: Call) -> Mapping[str, Any]:
    grouped = _by_kind(call.args["Resources"])
    wanted = {t.get("Key", ""): t.get("Value", "") for t in call.args["Tags"]}
    for kind, refs in grouped.items():
        call.services.tags.create_tags(call.caller, kind, refs, wanted)
    return {}


def delete_tags(call: Call) -> Mapping[str, Any]:
    grouped = _by_kind(call.args["Resources"])
    keys = {t.get("Key", ""): t.get("Value") for t in call.args.get("Tags") or ()}
    for kind, refs in grouped.items():
        call.services.tags.delete_tags(call.caller, kind, refs, keys)
    return {}


def _tag_item(tag: TagView) -> dict[str, Any]:
    id_kind, type_name = _SHOWN[tag.resource_kind]
    return {
        "Key": tag.key,
        "Value": tag.value,
        "ResourceId": id_kind.render(tag.resource_ref),
        "ResourceType": type_name,
    }


def describe_tags(call: Call) -> Mapping[str, Any]:
    """Filters with wildcards, and ``tag:K``, ``tag-key`` and ``tag-value`` (which match no
    tag: a tag has no tags), are applied to the rendered page."""
    wanted = call.args.get("Filters")
    fields, rest = filters.split(wanted, _QUERY_FIELDS, tags=False)
    fields.setdefault("kinds", tuple(_SHOWN))  # the kinds EC2 has ids for, unless narrowed
    # core matches a resource-id by its ref alone; the page checks the prefix too, so that
    # vol-<a group's ref> does not name the group
    rest = [*rest, *(f for f in wanted or () if f.get("Name") == "resource-id" and f not in rest)]
    query = TagQuery(**fields)

    def fetch(limit: int | None, after: str | None) -> Page[TagView]:
        window = dataclasses.replace(query, limit=limit, after=after)
        return call.services.tags.list_tags(call.caller, window)

    shown, token = listing.collect(call, fetch, _tag_item, _FILTERS, rest, ids=None)
    return {"Tags": shown, "NextToken": token}
