"""Flat EC2 Query parameters → the nested input an action reads, walked from botocore's model.

The EC2 protocol names a member by its ``queryName``, else by its capitalised ``locationName``,
else by the member name; lists are flattened as ``Name.1``, ``Name.2`` … (1-based, no
``.member.``); structures nest with dots (``Filter.1.Value.2``). This is exactly the inverse of
``botocore.serialize.EC2Serializer``, so whatever boto3 or awscli send parses back to the
arguments the caller gave. Parameters the model does not know are ignored, as boto 2 and old
scripts send a few of their own.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from gateway.ec2.errors import invalid_value, missing


@dataclass
class _Node:
    """One dotted segment of the flat names: its own value and the segments under it."""

    value: str | None = None
    children: dict[str, _Node] = field(default_factory=dict)


def _tree(params: Iterable[tuple[str, str]]) -> _Node:
    root = _Node()
    for name, value in params:
        node = root
        for part in name.split("."):
            node = node.children.setdefault(part, _Node())
        node.value = value
    return root


def wire_name(shape: Shape, member: str) -> str:
    serialization = shape.serialization
    if "queryName" in serialization:
        return str(serialization["queryName"])
    if "name" in serialization:
        name = str(serialization["name"])
        return name[0].upper() + name[1:]
    return member


def _scalar(shape: Shape, text: str, path: str) -> Any:
    match shape.type_name:
        case "string":
            return text
        case "integer" | "long":
            try:
                return int(text)
            except ValueError:
                raise invalid_value(path, text, "Expecting an integer.") from None
        case "float" | "double":
            try:
                return float(text)
            except ValueError:
                raise invalid_value(path, text, "Expecting a number.") from None
        case "boolean":
            if text.lower() not in ("true", "false"):
                raise invalid_value(path, text, "Expecting true or false.")
            return text.lower() == "true"
        case "timestamp":
            try:
                return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise invalid_value(path, text, "Expecting an ISO 8601 time.") from None
        case "blob":
            try:
                return base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise invalid_value(path, text, "Expecting base64.") from None
    raise invalid_value(path, text, f"Unsupported shape type {shape.type_name}.")


def _indexed(node: _Node, path: str) -> list[tuple[int, _Node]]:
    """The numbered children of a list node, in index order; ``Name=v`` alone counts as
    ``Name.1``. Indexes start at 1, but 0 is taken too: libcloud sends ``ResourceId.0``."""
    items = []
    for key, child in node.children.items():
        if not (key.isascii() and key.isdigit()):
            raise invalid_value(f"{path}.{key}", key, "List indexes are numbers.")
        items.append((int(key), child))
    if node.value is not None and not node.children:
        items.append((1, _Node(node.value)))
    return sorted(items, key=lambda pair: pair[0])


def _parse(shape: Shape, node: _Node, path: str) -> Any:
    if isinstance(shape, StructureShape):
        return _structure(shape, node, path)
    if isinstance(shape, ListShape):
        return [_parse(shape.member, child, f"{path}.{i}") for i, child in _indexed(node, path)]
    if isinstance(shape, MapShape):
        entries = node.children.get("entry", node)
        key_name = wire_name(shape.key, "key")
        value_name = wire_name(shape.value, "value")
        result = {}
        for i, entry in _indexed(entries, path):
            key = entry.children.get(key_name)
            value = entry.children.get(value_name)
            if key is None or key.value is None:
                raise missing(f"{path}.{i}.{key_name}")
            result[key.value] = None if value is None else _parse(shape.value, value, path)
        return result
    if node.value is None:
        raise missing(path)
    return _scalar(shape, node.value, path)


def _structure(shape: StructureShape, node: _Node, path: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for member, member_shape in shape.members.items():
        name = wire_name(member_shape, member)
        child = node.children.get(name)
        if child is not None:
            result[member] = _parse(member_shape, child, f"{path}.{name}" if path else name)
    for member in shape.required_members:
        if member not in result:
            name = wire_name(shape.members[member], member)
            raise missing(f"{path}.{name}" if path else name)
    return result


def parse(shape: StructureShape | None, params: Mapping[str, str]) -> dict[str, Any]:
    """The action's input, keyed by member names as boto3 spells them (``InstanceIds`` …)."""
    if shape is None:
        return {}
    return _structure(shape, _tree(params.items()), "")
