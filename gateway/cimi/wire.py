"""CIMI on HTTP: JSON or XML by ``$format`` (which wins) or ``Accept``, request bodies by
``Content-Type``, the version header on every answer, and errors as a Job.

An error is rendered as a failed transient Job (DSP0263 2.0 §4.2.2 asks for that; the 1.x
text is not at hand, and a Job is the one error shape a CIMI client can parse and the DMTF
schema validates): ``state`` FAILED, ``returnCode`` the HTTP status, ``statusMessage`` the why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, Literal

from starlette.responses import Response

from gateway.cimi import representation
from gateway.cimi.paths import type_uri
from gateway.common import ApiRequest

VERSION: Final = "1.0.1"
Media = Literal["json", "xml"]
MEDIA_TYPES: Final[Mapping[Media, str]] = {"json": "application/json", "xml": "application/xml"}


class Unreadable(ValueError):
    """A body that is not a CIMI document we can read: 400."""


class NotAcceptable(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


def _format_parameter(request: ApiRequest) -> str | None:
    return next((v for k, v in request.query if k == "$format"), None)


def answer_media(request: ApiRequest) -> Media:
    """``$format`` first (case-insensitive), then ``Accept``: JSON unless XML ranks higher;
    ``*/*`` or nothing gives JSON."""
    asked = _format_parameter(request)
    if asked is not None:
        if asked.lower() in MEDIA_TYPES:
            return asked.lower()  # type: ignore[return-value]
        raise NotAcceptable(406, f"$format={asked!r}: json or xml")
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return "json"
    ranked = []
    for position, item in enumerate(accept.split(",")):
        name, *params = [p.strip().lower() for p in item.split(";")]
        quality = next((_quality(p) for p in params if p.startswith("q=")), 1.0)
        ranked.append((-quality, position, name))
    for quality, _, name in sorted(ranked):
        if quality == 0:
            continue
        if name in ("application/json", "application/*", "*/*"):
            return "json"
        if name in ("application/xml", "text/xml"):
            return "xml"
    raise NotAcceptable(406, f"cannot answer in {accept!r}: application/json or application/xml")


def _quality(param: str) -> float:
    try:
        return float(param.removeprefix("q="))
    except ValueError:
        return 0.0


def read(request: ApiRequest, type_: str) -> dict[str, Any]:
    """The request's body as a ``type_`` document."""
    content = request.headers.get("content-type", "").split(";")[0].strip().lower()
    media: Media
    if content in ("application/json", ""):
        media = "json"
    elif content in ("application/xml", "text/xml"):
        media = "xml"
    else:
        raise NotAcceptable(415, f"cannot read {content!r}: send application/json or xml")
    try:
        return representation.parse(request.body, media, type_)
    except representation.RepresentationError as exc:
        raise Unreadable(str(exc)) from None


def respond(
    request: ApiRequest,
    document: Mapping[str, Any] | None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    media: Media | None = None,
) -> Response:
    media = media or answer_media(request)
    all_headers = {"CIMI-Specification-Version": VERSION, **(headers or {})}
    if document is None:
        return Response(b"", status, all_headers)
    body = (
        json.dumps(representation.to_json(document)).encode()
        if media == "json"
        else representation.to_xml(document)
    )
    return Response(body, status, all_headers, media_type=MEDIA_TYPES[media])


def error(
    status: int, text: str, request: ApiRequest, headers: Mapping[str, str] | None = None
) -> Response:
    try:
        media = answer_media(request)
    except NotAcceptable:
        media = "json"
    job = {
        "resourceURI": type_uri("Job"),
        "id": "",
        "state": "FAILED",
        "returnCode": status,
        "progress": 100,
        "statusMessage": text,
    }
    return respond(request, job, status, headers, media)
