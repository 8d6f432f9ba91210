"""What a blocking handler receives: the request read whole, within the header and body limits.

The headers are counted and the body is read here, in the event loop, before any handler runs.
A handler authenticates, so the limits hold before authentication: an oversized request costs
the gateway at most ``max_request_bytes`` of memory and no database or signature work, signed
or not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request

from gateway.common.exchange import Exchange
from gateway.common.throttle import Throttle

FORM_TYPE: Final = "application/x-www-form-urlencoded"
# 1 MiB: CloudStack's own default request.content.size (its Jetty form limit), so a request
# CloudStack takes we take too; sixteen times EC2's largest (RunInstances with 16 KiB of user
# data is 21,848 base64 characters, at most ~64 KiB once percent-encoded in a form).
DEFAULT_MAX_REQUEST_BYTES: Final = 1024 * 1024
# No client of these APIs sends more than a dozen headers or a few KiB of them (a SigV4
# Authorization is ~300 bytes); Apache httpd's limits are 100 fields of 8 KiB each.
MAX_HEADERS: Final = 100
MAX_HEADER_BYTES: Final = 16 * 1024


class RequestTooLarge(Exception):
    """The body is over ``limit`` bytes: ``size`` when Content-Length said so up front, None
    when the stream went past the limit (the rest is never read into memory)."""

    def __init__(self, limit: int, size: int | None) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit
        self.size = size


class HeadersTooLarge(Exception):
    """More header fields, or more bytes of them, than ``MAX_HEADERS``/``MAX_HEADER_BYTES``:
    refused (431) before the body is read or anyone is authenticated."""


def check_headers(request: Request) -> None:
    fields = request.headers.raw
    if len(fields) > MAX_HEADERS:
        raise HeadersTooLarge(f"{len(fields)} header fields; at most {MAX_HEADERS} are accepted")
    size = sum(len(name) + len(value) for name, value in fields)
    if size > MAX_HEADER_BYTES:
        raise HeadersTooLarge(f"{size} bytes of headers; at most {MAX_HEADER_BYTES} are accepted")


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """Plain data, so a handler in a worker thread never awaits. ``raw_path`` is the path as
    the client sent it (and signed it: SigV4 covers it), whatever the mount point did to
    ``path``. ``form`` holds the body's parameters when it is a POSTed urlencoded form."""

    request_id: str
    method: str
    scheme: str
    path: str
    raw_path: str
    query: tuple[tuple[str, str], ...]
    headers: Headers
    cookies: Mapping[str, str]
    exchange: Exchange
    throttle: Throttle
    body: bytes = b""
    form: tuple[tuple[str, str], ...] = ()

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """Query then form parameters: both Query APIs merge them (and sign the union)."""
        return (*self.query, *self.form)

    def admit(self, account: str) -> None:
        """Call right after authentication: names the account in the access log and takes one
        request from its budget, raising ``Throttled`` when the budget is spent."""
        self.exchange.account = account
        self.throttle.admit(account)


def head_of(request: Request, exchange: Exchange, throttle: Throttle) -> ApiRequest:
    """Everything but the body: what an error renderer has when reading the body failed."""
    return ApiRequest(
        request_id=exchange.request_id,
        method=request.method,
        scheme=request.url.scheme,
        path=request.url.path,
        raw_path=request.scope.get("raw_path", b"/").decode("latin-1").partition("?")[0],
        query=tuple(parse_qsl(request.url.query, keep_blank_values=True)),
        headers=request.headers,
        cookies=dict(request.cookies),
        exchange=exchange,
        throttle=throttle,
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or ``RequestTooLarge``: refused on a Content-Length over the limit before a
    byte is read, else streamed and refused the moment it passes the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(limit, None)
        chunks.append(chunk)
    return b"".join(chunks)


def with_body(head: ApiRequest, body: bytes) -> ApiRequest:
    form: tuple[tuple[str, str], ...] = ()
    if head.method == "POST" and head.headers.get("content-type", "").startswith(FORM_TYPE):
        form = tuple(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return dataclasses.replace(head, body=body, form=form)
