"""The HTTP side of OCCI (GFD.185 §3, GFD.223): content negotiation, the protocol version, and
how each kind of answer is written in each rendering.

Negotiation: no ``Accept`` (or ``*/*``) means text/plain; rOCCI-cli sends
``text/plain,text/occi`` as both ``Accept`` and ``Content-Type``, so a media type is the first
token before ``;`` or ``,``. A ``Content-Type`` we cannot read is refused with 406, as
rOCCI-server and ooi do (1.1 comments 415 out of its table).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import Headers
from starlette.responses import Response

from gateway.occi import json_rendering, text
from gateway.occi.categories import Category
from gateway.occi.document import Document, Entity, Malformed

# What responses advertise. Never application/occi+json: an unforced rOCCI-api picks JSON
# whenever it is listed, and it reads only its own nested JSON, not GFD.225's.
ADVERTISED: Final = "text/plain,text/occi,text/uri-list,text/occi+plain"
USER_AGENT_VERSION: Final = re.compile(r"OCCI/(\d+)\.(\d+)")
SERVED: Final = (1, 2)


class Rendering(enum.Enum):
    PLAIN = "text/plain"
    HEADERS = "text/occi"
    URI_LIST = "text/uri-list"
    PLAIN_1_2 = "text/occi+plain"
    JSON = "application/occi+json"

    @property
    def is_text(self) -> bool:
        return self in (Rendering.PLAIN, Rendering.PLAIN_1_2)


_BY_TYPE: Final = {r.value: r for r in Rendering} | {
    "*/*": Rendering.PLAIN,
    "text/*": Rendering.PLAIN,
    "application/json": Rendering.JSON,
    "application/*": Rendering.JSON,
}


class OcciError(Exception):
    """An answer other than success: ``status`` with ``text`` as the body."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or {}


def media_type(header: str) -> str:
    return re.split(r"[;,]", header, maxsplit=1)[0].strip().lower()


def _accepted(header: str) -> list[str]:
    """The media types of ``Accept`` by falling quality, ties in the client's order."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        name, *params = [p.strip() for p in item.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name and quality > 0:
            ranked.append((-quality, position, name.lower()))
    return [name for _, _, name in sorted(ranked)]


@dataclass(frozen=True, slots=True)
class Exchange:
    """How this request is answered: the rendering chosen and the protocol version."""

    rendering: Rendering
    version: tuple[int, int]

    @property
    def server(self) -> str:
        return f"Cloudgate OCCI/{self.version[0]}.{self.version[1]}"


def negotiate(headers: Headers, *, listing: bool) -> Exchange:
    """The rendering for an answer; ``listing`` when it is a collection of locations, the only
    answer text/uri-list can carry."""
    wanted = _accepted(headers.get("accept", "")) or ["*/*"]
    known = [_BY_TYPE[w] for w in wanted if w in _BY_TYPE]
    usable = [r for r in known if listing or r is not Rendering.URI_LIST]
    if not usable:
        if known:
            raise OcciError(400, "text/uri-list renders collections only: ask for text/plain")
        raise OcciError(
            406, f"cannot render {headers.get('accept')!r}: this server renders {ADVERTISED}"
        )
    return Exchange(usable[0], version_of(headers, usable[0]))


def version_of(headers: Headers, rendering: Rendering) -> tuple[int, int]:
    found = USER_AGENT_VERSION.search(headers.get("user-agent", ""))
    asked = (int(found[1]), int(found[2])) if found else (1, 1)
    if asked > SERVED:
        raise OcciError(
            501, f"OCCI/{asked[0]}.{asked[1]} is not served: this server speaks 1.1 and 1.2"
        )
    if rendering in (Rendering.PLAIN_1_2, Rendering.JSON):
        return (1, 2)
    return asked


def read_document(headers: Headers, body: bytes) -> Document:
    """The request's renderings, from the body or the headers as ``Content-Type`` says."""
    kind = media_type(headers.get("content-type", ""))
    try:
        if kind in ("text/plain", "text/occi+plain") or (not kind and body.strip()):
            return text.parse_body(body.decode("utf-8"))
        if kind in ("text/occi", ""):
            return text.parse_headers(headers)
        if kind in ("application/occi+json", "application/json"):
            return json_rendering.parse(body)
        if kind == "text/uri-list":
            lines = body.decode("utf-8").splitlines()
            return Document(locations=tuple(x.strip() for x in lines if x.strip()))
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    raise OcciError(406, f"cannot read a {kind!r} body: send text/plain, text/occi or JSON")


class Answers:
    """Every answer of one exchange, written in its rendering."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    def _response(
        self, body: str, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        rendering = self.exchange.rendering
        media = rendering.value if rendering is not Rendering.PLAIN_1_2 else "text/occi+plain"
        return Response(
            body,
            status,
            {"Server": self.exchange.server, "Accept": ADVERTISED, **(headers or {})},
            media_type=media,
        )

    def _renderings(self, renderings: Sequence[tuple[str, str]], status: int = 200) -> Response:
        if self.exchange.rendering is Rendering.HEADERS:
            return self._response("OK", status, text.as_headers(renderings))
        return self._response(text.as_lines(renderings), status)

    def entities(self, items: Sequence[Entity], *, links: bool = False) -> Response:
        """One entity rendered whole, or (JSON only) a collection rendered whole."""
        if self.exchange.rendering is Rendering.JSON:
            if len(items) == 1:
                return self._response(json.dumps(json_rendering.entity(items[0])))
            return self._response(json.dumps(json_rendering.collection(items, links=links)))
        [item] = items
        return self._renderings(text.entity_renderings(item))

    def locations(self, locations: Sequence[str], entities: Sequence[Entity] = ()) -> Response:
        """A collection: its members' locations, or (JSON) the members themselves."""
        match self.exchange.rendering:
            case Rendering.JSON:
                return self._response(json.dumps(json_rendering.collection(entities, links=False)))
            case Rendering.URI_LIST:
                return self._response("".join(f"{x}\n" for x in locations))
            case _:
                return self._renderings([("X-OCCI-Location", x) for x in locations])

    def categories(self, items: Sequence[Category]) -> Response:
        if self.exchange.rendering is Rendering.JSON:
            return self._response(json.dumps(json_rendering.categories(items)))
        return self._renderings([("Category", text.category_text(c, full=True)) for c in items])

    def created(self, item: Entity) -> Response:
        """201 with ``Location``; the body names it again (text/plain without a final line
        break: IM reads the id as the body's basename), or renders it (JSON)."""
        headers = {"Location": item.location}
        match self.exchange.rendering:
            case Rendering.JSON:
                return self._response(json.dumps(json_rendering.entity(item)), 201, headers)
            case Rendering.HEADERS:
                return self._response("OK", 201, {**headers, "X-OCCI-Location": item.location})
            case _:
                return self._response(f"X-OCCI-Location: {item.location}", 201, headers)

    def done(self) -> Response:
        """Success with nothing to render: an action, a delete."""
        return self._response("OK" if self.exchange.rendering is Rendering.HEADERS else "")


def error_response(exc: OcciError, exchange: Exchange | None) -> Response:
    """Errors are text whatever was asked: GFD.185 gives them no rendering of their own. The
    text is one line, so a control character it quotes from the request (a path with
    ``%1F``) is written as a space, as in every other OCCI text line (``text.one_line``)."""
    server = exchange.server if exchange else "Cloudgate OCCI/1.1"
    return Response(
        f"{text.one_line(exc.text)}\n",
        exc.status,
        {"Server": server, "Accept": ADVERTISED, **exc.headers},
        media_type="text/plain",
    )
