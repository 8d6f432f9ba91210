"""``Filter.N.Name`` / ``Filter.N.Value.M`` over the items a Describe call renders.

Each Describe action declares its filters as a table from filter name to a path into the item
as boto3 sees it (``State.Name``, ``NetworkInterfaces.PrivateIpAddress``): the names then mean
exactly what the response shows. Values of one filter are OR-ed, filters AND-ed; ``*`` matches
any run of characters, ``?`` one character, and ``\\`` makes the next one literal. ``tag:K``,
``tag-key`` and ``tag-value`` work wherever the item has ``Tags``. An unknown name is refused,
as AWS does, rather than ignored (ignoring it would return everything).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

from gateway.ec2.errors import Ec2Error
from gateway.ec2.render import timestamp

Item = Mapping[str, Any]
Lookup = Callable[[Item], Iterable[Any]]
T = TypeVar("T", bound=Mapping[str, Any])


def path(dotted: str) -> Lookup:
    """The values at a dotted path; a list on the way contributes each of its members."""
    parts: Final = dotted.split(".")

    def lookup(item: Item) -> Iterable[Any]:
        values: list[Any] = [item]
        for part in parts:
            step: list[Any] = []
            for value in values:
                found = value.get(part) if isinstance(value, Mapping) else None
                if isinstance(found, list):
                    step.extend(found)
                elif found is not None:
                    step.append(found)
            values = step
        return values

    return lookup


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return timestamp(value)
    return str(value)


def pattern(value: str) -> re.Pattern[str]:
    parts = []
    escaped = False
    for char in value:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    if escaped:
        parts.append(re.escape("\\"))
    return re.compile("".join(parts), re.DOTALL)


def _tag_lookup(name: str, tags: Lookup) -> Lookup | None:
    if name.startswith("tag:"):
        key = name[4:]
        return lambda item: [t["Value"] for t in tags(item) if t["Key"] == key]
    if name == "tag-key":
        return lambda item: [t["Key"] for t in tags(item)]
    if name == "tag-value":
        return lambda item: [t["Value"] for t in tags(item)]
    return None


def select(
    items: Sequence[T],
    filters: Sequence[Mapping[str, Any]] | None,
    table: Mapping[str, Lookup],
    tags: str = "Tags",
) -> list[T]:
    """The items every filter matches; ``tags`` is the path to the item's tag list."""
    checks: list[tuple[Lookup, list[re.Pattern[str]]]] = []
    for wanted in filters or ():
        name = wanted.get("Name")
        lookup = table.get(name) if name else None
        lookup = lookup or (_tag_lookup(name, path(tags)) if name else None)
        if lookup is None:
            raise Ec2Error("InvalidParameterValue", f"The filter '{name}' is invalid")
        values = wanted.get("Values") or []
        if not values:
            raise Ec2Error("InvalidParameterValue", f"The filter '{name}' has no values")
        checks.append((lookup, [pattern(v) for v in values]))
    return [
        item
        for item in items
        if all(
            any(p.fullmatch(_text(v)) for v in lookup(item) for p in patterns)
            for lookup, patterns in checks
        )
    ]
