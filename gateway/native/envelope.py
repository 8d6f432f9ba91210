"""CloudStack's response envelopes: one ``<command>response`` key, in JSON or XML.

A payload is plain data (dicts, lists, strings, numbers, booleans). JSON renders it as is; XML
renders a list as repeated elements named after its key, the way CloudStack's serializer does
(``<virtualmachine>…</virtualmachine><virtualmachine>…</virtualmachine>``).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from lxml import etree
from starlette.responses import Response

from core.text import xml_safe

CLOUDSTACK_VERSION: Final = "4.20.0.0"  # the release whose behaviour the front end follows
JSON_TYPE: Final = "application/json; charset=UTF-8"
XML_TYPE: Final = "text/xml; charset=UTF-8"

Payload = Mapping[str, Any]


class Format(enum.Enum):
    JSON = "json"
    XML = "xml"

    @classmethod
    def of(cls, requested: str | None) -> Format:
        """XML unless JSON is asked for, as CloudStack does (any other value means XML too)."""
        return cls.JSON if (requested or "").lower() == "json" else cls.XML


def response_name(command: str) -> str:
    return f"{command.lower()}response"


def timestamp(value: dt.datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ssZ``, e.g. ``2026-11-21T10:04:05+0000``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def error_payload(errorcode: int, cserrorcode: int, text: str) -> dict[str, Any]:
    return {"uuidList": [], "errorcode": errorcode, "cserrorcode": cserrorcode, "errortext": text}


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_safe(str(value))


def _xml_children(parent: etree._Element, payload: Payload) -> None:
    for key, value in payload.items():
        if value is None:
            continue
        items: Sequence[Any] = value if isinstance(value, list | tuple) else (value,)
        for item in items:
            child = etree.SubElement(parent, key)
            if isinstance(item, Mapping):
                _xml_children(child, item)
            else:
                child.text = _xml_text(item)


def render(name: str, payload: Payload, fmt: Format, status: int = 200) -> Response:
    if fmt is Format.JSON:
        body = json.dumps({name: payload}, ensure_ascii=False, separators=(",", ":"))
        # a lone surrogate (quoted from a bad request) has no UTF-8: "?" in its place
        return Response(body.encode(errors="replace"), status_code=status, media_type=JSON_TYPE)
    root = etree.Element(name, {"cloud-stack-version": CLOUDSTACK_VERSION})
    _xml_children(root, payload)
    body_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body_xml, status_code=status, media_type=XML_TYPE)
