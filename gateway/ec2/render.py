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
import re
from collections.abc import Mapping
from typing import Any, Final

from botocore.model import ListShape, Shape, StructureShape
from lxml import etree

NAMESPACE: Final = "http://ec2.amazonaws.com/doc/{version}/"
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def timestamp(value: dt.datetime) -> str:
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def xml_safe(text: str) -> str:
    """XML 1.0 cannot carry most control characters; a name or message holding one still
    renders, with each replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _text(shape: Shape, value: Any) -> str:
    match shape.type_name:
        case "boolean":
            return "true" if value else "false"
        case "timestamp":
            return timestamp(value)
        case "blob":
            return base64.b64encode(value).decode("ascii")
    return xml_safe(str(value.value if hasattr(value, "value") else value))


def _child(parent: etree._Element, name: str) -> etree._Element:
    """A child in the parent's namespace: the whole response sits in the EC2 namespace."""
    namespace = etree.QName(parent).namespace
    return etree.SubElement(parent, f"{{{namespace}}}{name}" if namespace else name)


def _fill(element: etree._Element, shape: Shape, value: Any) -> None:
    if isinstance(shape, StructureShape):
        _members(element, shape, value)
    elif isinstance(shape, ListShape):
        item_name = shape.member.serialization.get("name", "item")
        for entry in value:
            _fill(_child(element, item_name), shape.member, entry)
    else:
        element.text = _text(shape, value)


def _members(element: etree._Element, shape: StructureShape, value: Mapping[str, Any]) -> None:
    unknown = set(value) - set(shape.members)
    if unknown:
        raise KeyError(f"{shape.name} has no members {sorted(unknown)}")
    for member, member_shape in shape.members.items():
        if value.get(member) is None:
            continue
        name = member_shape.serialization.get("name", member)
        _fill(_child(element, name), member_shape, value[member])


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
    answers ``<return>true</return>``, as EC2 does (boto 2 reads it)."""
    namespace = NAMESPACE.format(version=xml_safe(version))
    # lxml-stubs type nsmap keys as str, but None is lxml's documented default-namespace key
    default: dict[Any, str] = {None: namespace}
    root = etree.Element(f"{{{namespace}}}{action}Response", nsmap=default)
    _child(root, "requestId").text = request_id
    if shape is None or not shape.members:
        _child(root, "return").text = "true"
    else:
        _members(root, shape, output)
    return _document(root)


def error(code: str, message: str, request_id: str) -> bytes:
    root = etree.Element("Response")
    failure = etree.SubElement(etree.SubElement(root, "Errors"), "Error")
    etree.SubElement(failure, "Code").text = code
    etree.SubElement(failure, "Message").text = xml_safe(message)
    etree.SubElement(root, "RequestID").text = request_id
    return _document(root)
