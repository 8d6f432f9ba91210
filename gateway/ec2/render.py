"""EC2 response bodies: an action's output, laid out by botocore's model, and the error envelope.

Element names are each member's ``locationName`` (``reservationSet``, ``instanceState`` …), list
members are ``<item>``, booleans lower-case, timestamps ISO 8601 UTC with milliseconds, blobs
base64. The namespace echoes the request's ``Version`` with the trailing slash real EC2 sends
(libcloud matches it literally). A value the output shape does not declare is a programming
error and raises here, so tests catch a misspelt member instead of clients silently missing it.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from botocore.model import ListShape, Shape, StructureShape
from lxml import etree

from core.text import xml_safe

NAMESPACE: Final = "http://ec2.amazonaws.com/doc/{version}/"


def timestamp(value: dt.datetime) -> str:
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _escaped(text: str) -> str:
    """Text as libxml2 writes it into a UTF-8 document: ``&``, ``<``, ``>`` and carriage
    return escaped, every other character as is (tests/unit/test_ec2_render.py holds this
    against lxml for every character ``xml_safe`` lets through)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _plain(value: Any) -> str:
    """A string, number or core enum (by its value) as element text, escaped."""
    text = str(value.value if hasattr(value, "value") else value)
    return _escaped(text if text.isascii() and text.isprintable() else xml_safe(text))


def _boolean(value: Any) -> str:
    return "true" if value else "false"


def _blob(value: Any) -> str:
    return base64.b64encode(value).decode("ascii")


# How a scalar reads as element text; these write nothing that needs escaping.
_TEXTS: Final[Mapping[str, Callable[[Any], str]]] = {
    "boolean": _boolean,
    "timestamp": timestamp,
    "blob": _blob,
}


@dataclass(frozen=True, slots=True)
class _Tags:
    """An element's start, end and empty tags. Children carry no prefix or xmlns: they are
    in the root's default namespace, as lxml writes them."""

    start: str
    end: str
    empty: str

    @classmethod
    def named(cls, name: str) -> _Tags:
        return cls(f"<{name}>", f"</{name}>", f"<{name}/>")


@dataclass(frozen=True, slots=True)
class _Member:
    key: str  # as boto3 names it, in the action's output
    tags: _Tags  # its locationName
    shape: Shape
    text: Callable[[Any], str] | None  # a scalar's text; None for a structure or list


def _text_of(shape: Shape) -> Callable[[Any], str] | None:
    if isinstance(shape, StructureShape | ListShape):
        return None
    text: Callable[[Any], str] = _TEXTS.get(shape.type_name, _plain)
    return text


@cache
def _layout(shape: StructureShape) -> tuple[frozenset[str], tuple[_Member, ...]]:
    """A structure's member names, and its members in output order with their tags and
    how to write them, worked out once per shape of botocore's model (which lives as long
    as the process)."""
    members = tuple(
        _Member(
            member,
            _Tags.named(member_shape.serialization.get("name", member)),
            member_shape,
            _text_of(member_shape),
        )
        for member, member_shape in shape.members.items()
    )
    return frozenset(shape.members), members


@cache
def _items(shape: ListShape) -> _Member:
    item = shape.member
    return _Member("", _Tags.named(item.serialization.get("name", "item")), item, _text_of(item))


def _element(out: list[str], member: _Member, value: Any) -> None:
    """One element. A scalar always has text, empty or not (``<name></name>``, as lxml
    writes an element whose text is ""); a structure or list with neither members nor
    items is written empty (``<name/>``), as lxml writes an element without children."""
    if member.text is not None:
        out.append(f"{member.tags.start}{member.text(value)}{member.tags.end}")
        return
    start = len(out)
    out.append(member.tags.start)
    if isinstance(member.shape, StructureShape):
        _members(out, member.shape, value)
    else:
        items = _items(member.shape)
        for entry in value:
            _element(out, items, entry)
    if len(out) == start + 1:
        out[start] = member.tags.empty
    else:
        out.append(member.tags.end)


def _members(out: list[str], shape: StructureShape, value: Mapping[str, Any]) -> None:
    names, members = _layout(shape)
    if not names.issuperset(value):
        raise KeyError(f"{shape.name} has no members {sorted(set(value) - names)}")
    for member in members:
        found = value.get(member.key)
        if found is not None:
            _element(out, member, found)


def _child(parent: etree._Element, name: str) -> etree._Element:
    """A child in the parent's namespace: the whole response sits in the EC2 namespace."""
    namespace = etree.QName(parent).namespace
    return etree.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name)


def _document(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def success(
    action: str,
    shape: StructureShape | None,
    output: Mapping[str, Any],
    version: str,
    request_id: str,
) -> bytes:
    """``<ActionResponse>`` with ``requestId`` first; an action without an output shape
    answers ``<return>true</return>``, as EC2 does (boto 2 reads it).

    lxml writes the envelope (declaration, namespace, request id); the output is written as
    text into it. Building it as an lxml tree cost an element object and a namespaced name
    per value, over half of a 1,000-instance DescribeInstances; the text is the same bytes
    lxml writes (tests/unit/test_ec2_render.py compares the two)."""
    namespace = NAMESPACE.format(version=xml_safe(version))
    # lxml-stubs type nsmap keys as str, but None is lxml's documented default-namespace key
    default: dict[Any, str] = {None: namespace}
    root = etree.Element(f"{{{namespace}}}{action}Response", nsmap=default)
    _child(root, "requestId").text = request_id
    if shape is None or not shape.members:
        _child(root, "return").text = "true"
        return _document(root)
    out: list[str] = []
    _members(out, shape, output)
    head, end, close = _document(root).rpartition(b"</")  # the root's end tag is last
    return head + "".join(out).encode() + end + close


def error(code: str, message: str, request_id: str) -> bytes:
    root = etree.Element("Response")
    failure = etree.SubElement(etree.SubElement(root, "Errors"), "Error")
    etree.SubElement(failure, "Code").text = code
    etree.SubElement(failure, "Message").text = xml_safe(message)
    etree.SubElement(root, "RequestID").text = request_id
    return _document(root)
