"""OCCI's text renderings (GFD.185, GFD.229): text/plain puts one rendering per body line,
text/occi the same renderings in headers, text/uri-list bare locations.

Requests are read leniently where clients differ (optional parameters in any order, a trailing
``;``, repeated headers or comma lists, Ruby's string escapes) and strictly where a value would
otherwise be guessed (a Category without scheme or class, an attribute value that is neither
quoted, a number nor a boolean: 400).

Responses are written the one way rOCCI-core 4.3's regular expressions accept, which is also
GFD.185's grammar: Category parameters in the order term, scheme, class, title, rel, location,
attributes, actions; terms that start with a lower-case letter; numbers without sign or
exponent; one rendering per line; in headers, one header per name with the renderings joined by
commas, because rOCCI keeps only the first of repeated headers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from starlette.datastructures import Headers

from gateway.occi.categories import Category, Class, Value
from gateway.occi.document import CategoryRef, Document, Entity, LinkRef, Malformed

NAMES: Final = ("Category", "Link", "X-OCCI-Attribute", "X-OCCI-Location")
TERM: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # 1.2 allows dots; 1.1 clients send none
ATTRIBUTE_NAME: Final = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*")
NUMBER: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
SCHEME: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^\s\"#]*#")
_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r"}
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def split_outside_quotes(text: str, separator: str) -> list[str]:
    """``text`` cut at each ``separator`` that is not inside a quoted string."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise Malformed(f"unterminated quoted string in {text!r}")
    parts.append("".join(current))
    return parts


def unquote(text: str) -> str:
    """The content of ``"…"`` with backslash escapes resolved (``\\n`` as Ruby writes a line
    break, any other escaped character as itself)."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise Malformed(f"expected a quoted string, got {text!r}")
    out, chars = [], iter(text[1:-1])
    for char in chars:
        if char == "\\":
            escaped = next(chars, "\\")
            out.append(_ESCAPES.get(escaped, escaped))
        else:
            out.append(char)
    return "".join(out)


def _parameters(text: str) -> tuple[str, dict[str, str]]:
    """``first;name=value;…`` → ``first`` and the named values (quotes kept)."""
    head, *rest = [p.strip() for p in split_outside_quotes(text, ";")]
    named: dict[str, str] = {}
    for part in rest:
        if not part:
            continue  # a trailing ";", which clients add
        name, equals, value = part.partition("=")
        if not equals:
            raise Malformed(f"expected name=value, got {part!r}")
        named[name.strip().lower()] = value.strip()
    return head, named


def _maybe_quoted(value: str) -> str:
    return unquote(value) if value.startswith('"') else value


def parse_category(text: str) -> CategoryRef:
    term, named = _parameters(text)
    if not TERM.fullmatch(term):
        raise Malformed(f"a Category term must be letters, digits, '-' or '_', got {term!r}")
    if "scheme" not in named or "class" not in named:
        raise Malformed(f"a Category needs a scheme and a class: {text.strip()!r}")
    if not named["scheme"].startswith('"'):
        raise Malformed(f"a Category scheme is quoted: {text.strip()!r}")
    scheme, cls = unquote(named["scheme"]), _maybe_quoted(named["class"])
    if not SCHEME.fullmatch(scheme):
        raise Malformed(f"a Category scheme must be an absolute URI ending in '#', got {scheme!r}")
    if cls not in {c.value for c in Class}:
        raise Malformed(f"a Category class is kind, mixin or action, got {cls!r}")
    location = named.get("location")
    return CategoryRef(
        scheme,
        term,
        cls,
        _maybe_quoted(named.get("title", '""')),
        _maybe_quoted(location) if location is not None else None,
    )


def parse_value(text: str) -> Value:
    if text.startswith('"'):
        return unquote(text)
    if text in ("true", "false"):
        return text == "true"
    if NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    raise Malformed(f"an attribute value is a quoted string, a number or true/false: {text!r}")


def parse_attribute(text: str) -> tuple[str, Value]:
    name, equals, value = text.strip().rstrip(";").partition("=")
    name = name.strip()
    if not equals or not ATTRIBUTE_NAME.fullmatch(name):
        raise Malformed(f"expected name=value with a dotted lower-case name, got {text.strip()!r}")
    return name, parse_value(value.strip())


def parse_link(text: str) -> LinkRef:
    head, named = _parameters(text)
    if not (head.startswith("<") and head.endswith(">")):
        raise Malformed(f"a Link starts with <target>, got {head!r}")
    if "rel" not in named:
        raise Malformed(f"a Link needs rel: {text.strip()!r}")
    categories = tuple(_maybe_quoted(named.pop("category", '""')).split())
    rel = _maybe_quoted(named.pop("rel"))
    named.pop("self", None)
    attributes = {}
    for name, value in named.items():
        if not ATTRIBUTE_NAME.fullmatch(name):
            raise Malformed(f"a Link attribute name must be dotted lower-case, got {name!r}")
        attributes[name] = parse_value(value)
    return LinkRef(head[1:-1].strip(), rel, categories, attributes)


def _document(renderings: Iterable[tuple[str, str]]) -> Document:
    categories, links, locations = [], [], []
    attributes: dict[str, Value] = {}
    for name, value in renderings:
        if name == "category":
            categories.append(parse_category(value))
        elif name == "x-occi-attribute":
            key, parsed = parse_attribute(value)
            if key in attributes:
                raise Malformed(f"attribute {key} is given twice")
            attributes[key] = parsed
        elif name == "link":
            links.append(parse_link(value))
        else:
            locations.append(value.strip())
    return Document(tuple(categories), attributes, tuple(links), tuple(locations))


def parse_body(body: str) -> Document:
    """text/plain: ``Name: rendering`` per line; the comma form is accepted too."""

    def renderings() -> Iterator[tuple[str, str]]:
        for number, line in enumerate(body.splitlines(), 1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            if not colon or name.strip().lower() not in {n.lower() for n in NAMES}:
                raise Malformed(
                    f"line {number} is not a Category, Link, X-OCCI-Attribute or "
                    f"X-OCCI-Location rendering: {line.strip()[:80]!r}"
                )
            for part in split_outside_quotes(value, ","):
                if part.strip():
                    yield name.strip().lower(), part

    return _document(renderings())


def parse_headers(headers: Headers) -> Document:
    """text/occi: the same renderings in headers, repeated or comma-joined."""
    return _document(
        (name.lower(), part)
        for name in NAMES
        for value in headers.getlist(name)
        for part in split_outside_quotes(value, ",")
        if part.strip()
    )


def one_line(text: str) -> str:
    """``text`` with each control character (a line break would end a rendering, and no
    OCCI text may hold the others) written as a space."""
    return _CONTROL.sub(" ", text)


def quoted(text: str) -> str:
    """A quoted-string, on one line (a quoted-string may hold no control character)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{one_line(escaped)}"'


def value_text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return quoted(str(value))
        text = f"{value:.6f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    return quoted(value)


def category_text(category: Category, *, full: bool) -> str:
    """A Category rendering, parameters in GFD.185's (and rOCCI's) order; ``full`` for the
    query interface, without attributes and actions inside an entity. The location stays in
    both: rOCCI places an entity at its kind's location, ``/<term>/`` when none is given."""
    parts = [category.term, f"scheme={quoted(category.scheme)}", f"class={quoted(category.cls)}"]
    if category.title:
        parts.append(f"title={quoted(category.title)}")
    if category.related:
        parts.append(f"rel={quoted(' '.join(category.related))}")
    if category.location:
        parts.append(f"location={quoted(category.location)}")
    if full:
        if category.attributes:
            parts.append(f"attributes={quoted(' '.join(a.text for a in category.attributes))}")
        if category.actions:
            parts.append(f"actions={quoted(' '.join(category.actions))}")
    return ";".join(parts)


def link_text(link: Entity, source: Entity) -> str:
    target = str(link.attribute("occi.core.target"))
    rel = link.target_kind.identifier if link.target_kind else ""
    categories = " ".join(c.identifier for c in (link.kind, *link.mixins))
    attributes = "".join(
        f";{name}={value_text(value)}"
        for name, value in link.attributes
        if name not in ("occi.core.source", "occi.core.target")
    )
    return (
        f"<{target}>;rel={quoted(rel)};self={quoted(link.location)};category={quoted(categories)}"
        f";occi.core.source={quoted(source.location)};occi.core.target={quoted(target)}"
        f"{attributes}"
    )


def action_text(entity: Entity, action: Category) -> str:
    return f"<{entity.location}?action={action.term}>;rel={quoted(action.identifier)}"


def entity_renderings(entity: Entity) -> list[tuple[str, str]]:
    """The (name, rendering) pairs of one entity, in GFD.185's order: kind, mixins, links
    (outgoing links, then the actions that apply now), attributes."""
    renderings = [("Category", category_text(entity.kind, full=False))]
    renderings += [("Category", category_text(m, full=False)) for m in entity.mixins]
    renderings += [("Link", link_text(link, entity)) for link in entity.links]
    renderings += [("Link", action_text(entity, action)) for action in entity.actions]
    renderings += [("X-OCCI-Attribute", f"{n}={value_text(v)}") for n, v in entity.attributes]
    return renderings


def as_lines(renderings: Sequence[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in renderings)


def as_headers(renderings: Sequence[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, list[str]] = {}
    for name, value in renderings:
        joined.setdefault(name, []).append(value)
    return {name: ",".join(values) for name, values in joined.items()}
