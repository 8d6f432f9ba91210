"""The OCCI 1.1 text rendering (GFD.185) as regular expressions, and what rOCCI-core 4.3.6 reads.

Two readings of the same lines, because a server must satisfy both:

* **GFD.185**, from the ABNF (``specs/occi.md`` §1.4). A line is ``Name: value`` where the
  name is one of ``Category``, ``Link``, ``X-OCCI-Attribute``, ``X-OCCI-Location`` (an HTTP
  header name, so in any case) and the value a comma-separated list (the ``#`` rule; commas
  inside quotes or ``<…>`` do not separate). Optional white space is allowed around ``;``
  (RFC 2616's implied LWS), nowhere else. A term is ``LOALPHA *(LOALPHA | DIGIT | "-" | "_")``,
  a scheme a quoted absolute URI ending in ``#``, and a Category's parameters come in the
  ABNF's order: title, rel, location, attributes, actions. Link lines may end in ``;``, as
  GFD.185's own examples write them. ``parse_line`` reads one line into values or raises
  ``NotInGrammar``.
* **rOCCI-core 4.3.6** (``lib/occi/parser/text/constants.rb``, compatibility mode, the one
  rOCCI-cli uses; §2.1 "Parser constraints"). Its regexes are unanchored at the end, so a
  parameter out of order is silently dropped, and one Category line it cannot match aborts
  the client. ``rocci_refusal`` anchors them: a line is refused when the client would fail on
  it or lose part of it. Prefixes are case-sensitive, no white space may precede ``;`` or
  surround ``=``, one value per text/plain line, numbers have no sign and no exponent.

Nothing here depends on a server; ``parse_text_plain`` and ``parse_text_occi`` turn a whole
answer into a ``Rendering``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import httpx

AttributeValue = str | int | float | bool

OCCI_HEADERS: Final = ("Category", "Link", "X-OCCI-Attribute", "X-OCCI-Location")

# ---- GFD.185 ----------------------------------------------------------------------------------

QUOTED_STRING: Final = r'"(?:[^"\\\r\n]|\\.)*"'  # RFC 2616 quoted-string, no line breaks
URI_CHAR: Final = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"  # RFC 3986 unreserved/reserved/pct
URI_REFERENCE: Final = rf"{URI_CHAR}+"
ABSOLUTE_URI: Final = r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=%]*"
SCHEME: Final = rf"{ABSOLUTE_URI}#"
TERM: Final = r"[a-z][a-z0-9_-]*"
TYPE_IDENTIFIER: Final = rf"{SCHEME}{TERM}"
TYPE_IDENTIFIERS: Final = rf"{TYPE_IDENTIFIER}(?: +{TYPE_IDENTIFIER})*"
ATTRIBUTE_NAME: Final = r"[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*"
ATTRIBUTE_DEF: Final = (
    rf"{ATTRIBUTE_NAME}(?:\{{(?:immutable|required)(?: +(?:immutable|required))*\}})?"
)
ATTRIBUTE_LIST: Final = rf"{ATTRIBUTE_DEF}(?: +{ATTRIBUTE_DEF})*"
NUMBER: Final = r"[0-9]+(?:\.[0-9]+)?"
ATTRIBUTE_VALUE: Final = rf"{QUOTED_STRING}|{NUMBER}|true|false"
TOKEN: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
SEP: Final = r"[ \t]*;[ \t]*"

CATEGORY_VALUE: Final = re.compile(
    rf"(?P<term>{TERM})"
    rf'{SEP}scheme="(?P<scheme>{SCHEME})"'
    rf'{SEP}class=(?P<quote>"?)(?P<class>kind|mixin|action)(?P=quote)'
    rf"(?:{SEP}title=(?P<title>{QUOTED_STRING}))?"
    rf'(?:{SEP}rel="(?P<rel>{TYPE_IDENTIFIER})")?'
    rf'(?:{SEP}location="(?P<location>{URI_REFERENCE})")?'
    rf'(?:{SEP}attributes="(?P<attributes>{ATTRIBUTE_LIST})")?'
    rf'(?:{SEP}actions="(?P<actions>{TYPE_IDENTIFIERS})")?'
)
LINK_ATTRIBUTE: Final = rf"(?P<name>{ATTRIBUTE_NAME})=(?P<value>{QUOTED_STRING}|{TOKEN})"
LINK_VALUE: Final = re.compile(
    rf"<(?P<target>{URI_REFERENCE})>"
    rf'{SEP}rel="(?P<rel>{TYPE_IDENTIFIERS})"'
    rf'(?:{SEP}self="(?P<self>{URI_REFERENCE})")?'
    rf'(?:{SEP}category="(?P<category>{TYPE_IDENTIFIERS})"'
    rf"(?P<attributes>(?:{SEP}{ATTRIBUTE_NAME}=(?:{QUOTED_STRING}|{TOKEN}))*))?"
    r"(?:[ \t]*;)?"
)
ATTRIBUTE_ASSIGNMENT: Final = re.compile(
    rf"(?P<name>{ATTRIBUTE_NAME})=(?P<value>{ATTRIBUTE_VALUE})"
)
ATTRIBUTE_NAMES: Final = re.compile(rf"(?P<name>{ATTRIBUTE_NAME})(?:\{{[^}}]*\}})?")
LOCATION_VALUE: Final = re.compile(rf"(?P<uri>{URI_REFERENCE})")
LINE: Final = re.compile(
    r"(?P<name>Category|Link|X-OCCI-Attribute|X-OCCI-Location):[ \t]*(?P<value>.*)",
    re.IGNORECASE,
)

# ---- rOCCI-core 4.3.6, compatibility mode -------------------------------------------------------

ROCCI_TERM: Final = r"[A-Za-z0-9][A-Za-z0-9_-]*"
ROCCI_TYPE_IDENTIFIERS: Final = rf"{SCHEME}{ROCCI_TERM}(?:\s+{SCHEME}{ROCCI_TERM})*"
ROCCI_ATTRIBUTE_LIST: Final = (
    rf"{ATTRIBUTE_NAME}(?:\{{(?:immutable|required)(?:\s+(?:immutable|required))*\}})?"
    rf"(?:\s+{ATTRIBUTE_NAME}(?:\{{(?:immutable|required)(?:\s+(?:immutable|required))*\}})?)*"
)
ROCCI_QUOTED: Final = r'"(?:[^"\\]|\\.)*"'
ROCCI_ATTRIBUTE: Final = rf"{ATTRIBUTE_NAME}=(?:{ROCCI_QUOTED}|{NUMBER}|true|false)"
ROCCI_LINES: Final = {
    "Category": re.compile(
        rf"Category:\s*{ROCCI_TERM}"
        rf';\s*scheme="{SCHEME}(?:{ROCCI_TERM})?"'
        r';\s*class="?(?:kind|mixin|action)"?'
        rf"(?:;\s*title={ROCCI_QUOTED})?"
        rf'(?:;\s*rel="{ROCCI_TYPE_IDENTIFIERS}")?'
        rf'(?:;\s*location="{URI_REFERENCE}")?'
        rf'(?:;\s*attributes="{ROCCI_ATTRIBUTE_LIST}")?'
        rf'(?:;\s*actions="{ROCCI_TYPE_IDENTIFIERS}")?'
        r";?"
    ),
    "Link": re.compile(
        rf"Link:\s*<{URI_REFERENCE}>"
        rf';\s*rel="{ROCCI_TYPE_IDENTIFIERS}"'
        rf'(?:;\s*self="{URI_REFERENCE}")?'
        rf'(?:;\s*category="(?:;?\s*{ROCCI_TYPE_IDENTIFIERS})+")?'
        rf"(?:;?\s*{ROCCI_ATTRIBUTE})*"
        r";?"
    ),
    "X-OCCI-Attribute": re.compile(rf"X-OCCI-Attribute:\s*{ROCCI_ATTRIBUTE};?"),
    "X-OCCI-Location": re.compile(rf"X-OCCI-Location:\s*{URI_REFERENCE};?"),
}
ROCCI_MIXIN_LOCATION: Final = re.compile(r"/\S+/")


class NotInGrammar(ValueError):
    """A line (or one value of it) that GFD.185's ABNF does not produce."""


@dataclass(frozen=True, slots=True)
class Category:
    """One Kind, Mixin or Action as the query interface or a resource renders it."""

    term: str
    scheme: str
    cls: str
    title: str | None = None
    rel: str | None = None
    location: str | None = None
    attributes: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()

    @property
    def type_id(self) -> str:
        return self.scheme + self.term


@dataclass(frozen=True, slots=True)
class Link:
    """A ``Link`` line: an outgoing link of a resource, or an action that applies now."""

    target: str
    rel: tuple[str, ...]
    self_location: str | None = None
    categories: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_action(self) -> bool:
        return "?action=" in self.target


@dataclass(frozen=True, slots=True)
class Rendering:
    """Everything one text/plain or text/occi answer carried, in order of appearance."""

    categories: tuple[Category, ...] = ()
    links: tuple[Link, ...] = ()
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    locations: tuple[str, ...] = ()

    def of_class(self, cls: str) -> list[Category]:
        return [c for c in self.categories if c.cls == cls]

    @property
    def type_ids(self) -> set[str]:
        return {c.type_id for c in self.categories}


def unquote(quoted: str) -> str:
    """The text of an RFC 2616 quoted-string: the quotes off, each ``\\x`` read as ``x``."""
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attribute_value(text: str) -> AttributeValue:
    """A value as GFD.185 writes it: a quoted string, an integer, a float or a boolean."""
    if text.startswith('"'):
        return unquote(text)
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def render_value(value: AttributeValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return quote(value)


def split_values(value: str) -> list[str]:
    """A header value split at the commas of the ``#`` rule: not inside quotes or ``<…>``."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angled = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"' and not angled:
            quoted = not quoted
        elif char in "<>" and not quoted:
            angled = char == "<"
        elif char == "," and not (quoted or angled):
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def parse_category(value: str) -> Category:
    found = CATEGORY_VALUE.fullmatch(value)
    if not found:
        raise NotInGrammar(f"not a GFD.185 Category value: {value!r}")
    return Category(
        term=found["term"],
        scheme=found["scheme"],
        cls=found["class"],
        title=unquote(found["title"]) if found["title"] else None,
        rel=found["rel"],
        location=found["location"],
        attributes=tuple(d["name"] for d in ATTRIBUTE_NAMES.finditer(found["attributes"] or "")),
        actions=tuple((found["actions"] or "").split()),
    )


def parse_link(value: str) -> Link:
    found = LINK_VALUE.fullmatch(value)
    if not found:
        raise NotInGrammar(f"not a GFD.185 Link value: {value!r}")
    attributes = {
        pair["name"]: unquote(pair["value"]) if pair["value"].startswith('"') else pair["value"]
        for pair in re.finditer(LINK_ATTRIBUTE, found["attributes"] or "")
    }
    return Link(
        target=found["target"],
        rel=tuple(found["rel"].split()),
        self_location=found["self"],
        categories=tuple((found["category"] or "").split()),
        attributes=attributes,
    )


def parse_attribute(value: str) -> tuple[str, AttributeValue]:
    found = ATTRIBUTE_ASSIGNMENT.fullmatch(value)
    if not found:
        raise NotInGrammar(f"not a GFD.185 X-OCCI-Attribute value: {value!r}")
    return found["name"], attribute_value(found["value"])


def parse_location(value: str) -> str:
    if not LOCATION_VALUE.fullmatch(value):
        raise NotInGrammar(f"not a GFD.185 X-OCCI-Location value: {value!r}")
    return value


class _Collector:
    """Gathers parsed values into a ``Rendering``; an attribute given twice is an error."""

    def __init__(self) -> None:
        self.categories: list[Category] = []
        self.links: list[Link] = []
        self.attributes: dict[str, AttributeValue] = {}
        self.locations: list[str] = []

    def add(self, name: str, value: str) -> None:
        kind = name.lower()
        if kind == "category":
            self.categories.append(parse_category(value))
        elif kind == "link":
            self.links.append(parse_link(value))
        elif kind == "x-occi-attribute":
            attribute, parsed = parse_attribute(value)
            if attribute in self.attributes:
                raise NotInGrammar(f"attribute {attribute} rendered twice")
            self.attributes[attribute] = parsed
        else:
            self.locations.append(parse_location(value))

    def rendering(self) -> Rendering:
        return Rendering(
            tuple(self.categories), tuple(self.links), dict(self.attributes), tuple(self.locations)
        )


def parse_line(line: str, collector: _Collector | None = None) -> Rendering:
    """One text/plain line: ``Name: value[, value…]``, each value in the grammar."""
    found = LINE.fullmatch(line)
    if not found:
        raise NotInGrammar(
            f"not a Category, Link, X-OCCI-Attribute or X-OCCI-Location line: {line!r}"
        )
    into = collector or _Collector()
    values = split_values(found["value"])
    if not values:
        raise NotInGrammar(f"empty rendering: {line!r}")
    for value in values:
        into.add(found["name"], value)
    return into.rendering()


def body_lines(body: str) -> list[str]:
    """The rendering lines of a text/plain body; blank lines (a final newline) carry nothing."""
    return [line for line in body.splitlines() if line.strip()]


def parse_text_plain(body: str) -> Rendering:
    collector = _Collector()
    for line in body_lines(body):
        parse_line(line, collector)
    return collector.rendering()


def header_lines(headers: httpx.Headers) -> list[str]:
    """The OCCI headers of a text/occi answer as text/plain lines, one value each."""
    return [
        f"{name}: {value}"
        for name in OCCI_HEADERS
        for header in headers.get_list(name)
        for value in split_values(header)
    ]


def parse_text_occi(headers: httpx.Headers) -> Rendering:
    collector = _Collector()
    for line in header_lines(headers):
        parse_line(line, collector)
    return collector.rendering()


def rocci_refusal(line: str) -> str | None:
    """Why rOCCI-core 4.3.6 would fail on ``line`` or lose part of it; None if it reads it all."""
    name = line.split(":", 1)[0]
    pattern = ROCCI_LINES.get(name)
    if pattern is None:
        return f"rOCCI reads only lines starting {', '.join(OCCI_HEADERS)} (case-sensitive)"
    if not pattern.fullmatch(line):
        return "rOCCI's regex does not match the whole line (order, spacing, term or number)"
    return None


def rocci_header_refusals(headers: httpx.Headers) -> list[str]:
    """rOCCI reads a text/occi header's first occurrence only and splits it at every comma,
    quoted or not: each OCCI header must come once and its commas separate whole values."""
    problems = []
    for name in OCCI_HEADERS:
        occurrences = headers.get_list(name)
        if len(occurrences) > 1:
            problems.append(f"{name} sent {len(occurrences)} times; rOCCI reads the first only")
        for value in occurrences[:1]:
            problems.extend(
                f"{name}: {part!r}: {refusal}"
                for part in value.split(",")
                if (refusal := rocci_refusal(f"{name}: {part.strip()}"))
            )
    return problems


def rocci_location_refusal(location: str, cls: str) -> str | None:
    """rOCCI keeps only the path of a Kind or Mixin location, and a Mixin's must be
    ``/<something>/``: a relative location, or one not ending in ``/``, is misread."""
    path = httpx.URL(location).path if "://" in location else location
    if cls == "mixin" and not ROCCI_MIXIN_LOCATION.fullmatch(path):
        return f"mixin location {location!r}: rOCCI wants a path /…/"
    if not path.startswith("/") or not path.endswith("/"):
        return f"location {location!r}: neither an absolute path nor a URL, or no final /"
    return None


def render_lines(renderings: Iterable[tuple[str, str]]) -> str:
    """A text/plain request body, one rendering a line."""
    return "".join(f"{name}: {value}\n" for name, value in renderings)


def render_headers(renderings: Sequence[tuple[str, str]]) -> dict[str, str]:
    """text/occi request headers: each OCCI header once, its values comma-joined (what rOCCI
    sends and GFD.185 calls the form best for interoperability)."""
    joined: dict[str, list[str]] = {}
    for name, value in renderings:
        joined.setdefault(name, []).append(value)
    return {name: ", ".join(values) for name, values in joined.items()}
