"""OCCI 1.2's JSON rendering, application/occi+json (GFD.225): flat dotted attribute names,
kinds and mixins by identifier, ``{"resources": […]}`` for collections.

Not rOCCI-4's nested JSON, which only rOCCI-api 4 reads: that is why responses never advertise
this media type in ``Accept`` (an unforced rOCCI-api would choose it and fail to parse it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.occi.categories import Category, Class, Value
from gateway.occi.document import CategoryRef, Document, Entity, LinkRef, Malformed

Json = dict[str, Any]


def split_identifier(identifier: object) -> tuple[str, str]:
    if not isinstance(identifier, str) or "#" not in identifier:
        raise Malformed(f"a category identifier is 'scheme#term', got {identifier!r}")
    scheme, _, term = identifier.rpartition("#")
    return scheme + "#", term


def _ref(identifier: object, cls: Class) -> CategoryRef:
    scheme, term = split_identifier(identifier)
    return CategoryRef(scheme, term, cls.value)


def _value(name: str, value: object) -> Value:
    if isinstance(value, bool | int | float | str):
        return value
    raise Malformed(f"attribute {name} must be a string, a number or a boolean")


def _attributes(found: object) -> dict[str, Value]:
    if found is None:
        return {}
    if not isinstance(found, Mapping):
        raise Malformed("'attributes' must be an object")
    return {str(k): _value(str(k), v) for k, v in found.items()}


def _location(end: object, name: str) -> str:
    if isinstance(end, Mapping) and isinstance(end.get("location"), str):
        return str(end["location"])
    raise Malformed(f"a link's {name} is an object with a location")


def _link(found: object) -> LinkRef:
    if not isinstance(found, Mapping) or "kind" not in found or "target" not in found:
        raise Malformed("a link is an object with a kind and a target")
    target = found["target"]
    mixins = found.get("mixins") or []
    if not isinstance(mixins, list):
        raise Malformed("'mixins' must be a list")
    rel = target.get("kind", "") if isinstance(target, Mapping) else ""
    return LinkRef(
        _location(target, "target"),
        str(rel),
        (str(found["kind"]), *map(str, mixins)),
        _attributes(found.get("attributes")),
    )


def parse(body: bytes) -> Document:
    try:
        found = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"the body is not JSON: {exc}") from None
    if not isinstance(found, dict):
        raise Malformed("the body is a JSON object")
    if "action" in found:
        return Document(
            (_ref(found["action"], Class.ACTION),), _attributes(found.get("attributes"))
        )
    categories = [_ref(found["kind"], Class.KIND)] if "kind" in found else []
    mixins = found.get("mixins") or []
    if not isinstance(mixins, list):
        raise Malformed("'mixins' must be a list")
    categories += [_ref(m, Class.MIXIN) for m in mixins]
    attributes = _attributes(found.get("attributes"))
    for key, name in (
        ("id", "occi.core.id"),
        ("title", "occi.core.title"),
        ("summary", "occi.core.summary"),
    ):
        if key in found:
            attributes[name] = _value(name, found[key])
    for end in ("source", "target"):
        if end in found:
            attributes[f"occi.core.{end}"] = _location(found[end], end)
    links = found.get("links") or []
    if not isinstance(links, list):
        raise Malformed("'links' must be a list")
    return Document(tuple(categories), attributes, tuple(_link(k) for k in links))


def entity(item: Entity) -> Json:
    attributes = dict(item.attributes)
    rendered: Json = {
        "kind": item.kind.identifier,
        "mixins": [m.identifier for m in item.mixins],
        "attributes": {k: v for k, v in attributes.items() if not k.startswith("occi.core.")},
        "actions": [a.identifier for a in item.actions],
        "id": attributes["occi.core.id"],
        "location": item.location,
    }
    if "occi.core.title" in attributes:
        rendered["title"] = attributes["occi.core.title"]
    if "occi.core.summary" in attributes:
        rendered["summary"] = attributes["occi.core.summary"]
    if item.target_kind is not None:
        rendered["source"] = {"location": attributes["occi.core.source"]}
        rendered["target"] = {
            "location": attributes["occi.core.target"],
            "kind": item.target_kind.identifier,
        }
    else:
        rendered["links"] = [entity(link) for link in item.links]
    return rendered


def collection(items: Sequence[Entity], *, links: bool) -> Json:
    return {("links" if links else "resources"): [entity(i) for i in items]}


def category(item: Category) -> Json:
    rendered: Json = {"term": item.term, "scheme": item.scheme, "title": item.title}
    if item.attributes:
        rendered["attributes"] = {
            a.name: {
                "mutable": a.mutable,
                "required": a.required,
                "type": a.type.value,
                "description": a.description,
            }
            for a in item.attributes
        }
    if item.cls is not Class.ACTION:
        rendered["actions"] = list(item.actions)
        if item.location:
            rendered["location"] = item.location
    if item.cls is Class.KIND and item.related:
        rendered["parent"] = item.related[0]
    if item.cls is Class.MIXIN:
        rendered["depends"] = list(item.related)
        rendered["applies"] = list(item.applies)
    return rendered


def categories(items: Sequence[Category]) -> Json:
    return {
        "kinds": [category(c) for c in items if c.cls is Class.KIND],
        "mixins": [category(c) for c in items if c.cls is Class.MIXIN],
        "actions": [category(c) for c in items if c.cls is Class.ACTION],
    }
