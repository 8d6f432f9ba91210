"""Tags: CreateTags, DeleteTags and DescribeTags on every taggable resource, by EC2 id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from core.enums import ResourceKind
from gateway.ec2 import filters, paging
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


def _by_kind(ids: Sequence[str]) -> dict[ResourceKind, list[str]]:
    grouped: dict[ResourceKind, list[str]] = {}
    for text in ids:
        for id_kind, kind, _ in _TAGGABLE:
            ref = ref_of(id_kind, text)
            if ref is not None:
                grouped.setdefault(kind, []).append(ref)
                break
        else:
            raise Ec2Error("InvalidID", f'The ID "{text}" is not valid')
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


def describe_tags(call: Call) -> Mapping[str, Any]:
    items = [
        {
            "Key": tag.key,
            "Value": tag.value,
            "ResourceId": _SHOWN[tag.resource_kind][0].render(tag.resource_ref),
            "ResourceType": _SHOWN[tag.resource_kind][1],
        }
        for tag in call.services.tags.list_tags(call.caller)
        if tag.resource_kind in _SHOWN
    ]
    found = filters.select(items, call.args.get("Filters"), _FILTERS)
    shown, token = paging.page(call.args, found)
    return {"Tags": shown, "NextToken": token}
