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
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

from gateway.ec2.errors import Ec2Error
from gateway.ec2.render import timestamp
from translations.ec2 import IdKind, ref_of

Item = Mapping[str, Any]
Lookup = Callable[[Item], Iterable[Any]]
T = TypeVar("T", bound=Mapping[str, Any])
QueryField = Callable[[Sequence[str]], Mapping[str, Any] | None]
"""One filter's values as fields of a core query; None where core cannot say it (a value
that names nothing this cloud has, say), so the filter is applied to the rendered items."""
_WILDCARDS: Final = frozenset("*?\\")


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


def matcher(
    filters: Sequence[Mapping[str, Any]] | None,
    table: Mapping[str, Lookup],
    tags: str = "Tags",
) -> Callable[[Item], bool]:
    """Whether an item matches every filter; ``tags`` is the path to the item's tag list.
    Names and values are checked here, once, before any item is."""
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

    def matches(item: Item) -> bool:
        return all(
            any(p.fullmatch(_text(v)) for v in lookup(item) for p in patterns)
            for lookup, patterns in checks
        )

    return matches


def select(
    items: Sequence[T],
    filters: Sequence[Mapping[str, Any]] | None,
    table: Mapping[str, Lookup],
    tags: str = "Tags",
) -> list[T]:
    """The items every filter matches (``matcher``)."""
    matches = matcher(filters, table, tags)
    return [item for item in items if matches(item)]


def split(
    filters: Sequence[Mapping[str, Any]] | None,
    table: Mapping[str, QueryField],
    given: Mapping[str, Any] | None = None,
    *,
    tags: bool = True,
) -> tuple[dict[str, Any], list[Mapping[str, Any]]]:
    """The filters core applies in SQL, as query fields added to ``given``, and the rest,
    which ``select`` applies to the rendered page: values with wildcards, a second filter on
    a field already set, and names core has no field for. With ``tags``, ``tag:K`` filters
    become the query's ``tags``."""
    fields: dict[str, Any] = dict(given or {})
    rest: list[Mapping[str, Any]] = []
    for wanted in filters or ():
        name, values = wanted.get("Name") or "", list(wanted.get("Values") or ())
        literal = bool(values) and not any(_WILDCARDS & set(v) for v in values)
        if name.startswith("tag:") and tags:
            found: Mapping[str, Any] | None = {"tags": {name[4:]: tuple(values)}}
        else:
            field = table.get(name)
            found = field(values) if field is not None else None
        if not literal or found is None or not _merge(fields, found):
            rest.append(wanted)
    return fields, rest


def _merge(fields: dict[str, Any], found: Mapping[str, Any]) -> bool:
    """Adds ``found`` to ``fields`` unless it sets a field (or tag key) already set."""
    tags = dict(fields.get("tags", {}))
    for key, value in found.items():
        if key == "tags":
            if set(value) & set(tags):
                return False
            tags.update(value)
        elif key in fields:
            return False
    fields.update({k: v for k, v in found.items() if k != "tags"})
    if tags:
        fields["tags"] = tags
    return True


def as_values(field: str) -> QueryField:
    """Values that are the query field's values as they are."""
    return lambda values: {field: tuple(values)}


def as_refs(kind: IdKind, field: str) -> QueryField:
    """EC2 ids as core refs; a malformed one names nothing, so it matches nothing."""
    return lambda values: {field: tuple(ref_of(kind, v) or "" for v in values)}


def as_uuids(field: str) -> QueryField:
    """UUIDs written as items show them (``OwnerId``); None when a value is written
    otherwise, so the filter is left to the rendered page, where that value matches nothing."""

    def uuids(values: Sequence[str]) -> Mapping[str, Any] | None:
        found: list[uuid.UUID] = []
        for value in values:
            try:
                parsed = uuid.UUID(value)
            except ValueError:
                return None
            if str(parsed) != value:
                return None
            found.append(parsed)
        return {field: tuple(found)}

    return uuids


def as_states(names: Mapping[Any, str], field: str = "states") -> QueryField:
    """EC2's names of core states as those states; None when a value names none, so the
    filter is left to the rendered page, where it matches nothing."""

    def states(values: Sequence[str]) -> Mapping[str, Any] | None:
        found = tuple(state for state, name in names.items() if name in values)
        return {field: found} if found else None

    return states


def as_flag(field: str) -> QueryField:
    """``true`` or ``false`` as the query's flag; both, or anything else, is left to the
    rendered page (where both match every item, and anything else none)."""

    def flag(values: Sequence[str]) -> Mapping[str, Any] | None:
        found = set(values)
        return {field: found == {"true"}} if found in ({"true"}, {"false"}) else None

    return flag
