"""What an action receives, and the helpers every action uses on it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core import NotFound, Services
from core.views import Caller
from gateway.ec2.errors import Ec2Error, malformed, unsupported
from translations.ec2 import IdKind, ref_of


@dataclass(frozen=True, slots=True)
class Call:
    services: Services
    caller: Caller
    args: Mapping[str, Any]
    request_id: str
    endpoint: str  # scheme://host/path the request came to, for DescribeRegions

    def ref(self, kind: IdKind, member: str) -> str:
        """The core ref inside a required id argument."""
        return ref(kind, self.args[member])

    def refs(self, kind: IdKind, member: str) -> list[str]:
        return [ref(kind, text) for text in self.args.get(member) or ()]


Handler = Callable[[Call], Mapping[str, Any]]


def refuse(call: Call, *members: str) -> None:
    """Members that ask for what this cloud does not do are refused, never ignored."""
    for member in members:
        if call.args.get(member):
            raise unsupported(member)


def in_our_zone(call: Call, zone: str | None) -> None:
    """A zone the caller names must be one of this cloud's (core decides); naming none means
    the default one. EC2 names zones by name only."""
    if not zone:
        return
    try:
        found = call.services.catalog.get_zone(zone)
    except NotFound:
        found = None
    if found is None or found.name != zone:
        raise Ec2Error("InvalidParameterValue", f"Invalid availability zone: [{zone}]")


def in_our_region(call: Call, region: str) -> None:
    """Copies come from this region: there is no other to copy from."""
    if region != call.services.settings.region:
        raise Ec2Error("InvalidParameterValue", f"Invalid region: {region}")


def ref(kind: IdKind, text: str) -> str:
    found = ref_of(kind, text)
    if found is None:
        raise malformed(kind, text)
    return found


def owner_id(account_id: uuid.UUID) -> str:
    """EC2's OwnerId: the account's UUID, the same id every other API shows."""
    return str(account_id)


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def tag_specs(call: Call, *resource_types: str) -> dict[str, dict[str, str]]:
    """The tags ``TagSpecification.N`` asks for, by resource type; a type the create call does
    not make (or any type, where the resource cannot be tagged) is refused, not ignored."""
    wanted: dict[str, dict[str, str]] = {kind: {} for kind in resource_types}
    for spec in call.args.get("TagSpecifications") or ():
        kind = spec.get("ResourceType")
        if kind not in wanted:
            raise Ec2Error(
                "InvalidParameterValue",
                f"'{kind}' is not a valid taggable resource type for this operation.",
            )
        wanted[kind].update({t.get("Key", ""): t.get("Value", "") for t in spec.get("Tags") or ()})
    return wanted


def missing_ids(kind: IdKind, wanted: Sequence[str], found: Sequence[str]) -> list[str]:
    """The ids asked for by ref that a listing did not return, rendered for the error."""
    present = set(found)
    return [kind.render(r) for r in wanted if r not in present]
