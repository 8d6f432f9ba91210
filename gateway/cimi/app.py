"""``/cimi/``: authenticate, negotiate, route by path, one core call, render (DESIGN rule 2).

Everything hangs off the CloudEntryPoint (``/cimi/cloudEntryPoint``, also ``/cimi/``); clients
follow its hrefs and the ``operations`` of each resource, never a URI layout of their own. An
asynchronous change answers 202 with ``Location`` and ``CIMI-Job-URI`` and the Job in the body:
every core job is a CIMI Job, whichever API started it.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from starlette.applications import Starlette
from starlette.responses import Response

from core import Services
from core.errors import CoreError
from core.views import Caller
from gateway.cimi import handlers, wire
from gateway.cimi.kit import CimiError, Context, allowed
from gateway.cimi.paths import PREFIX, Urls
from gateway.cimi.query import BadQuery
from gateway.common import (
    ApiRequest,
    Endpoint,
    ErrorRenderers,
    HeadersTooLarge,
    Limits,
    RequestTooLarge,
    Throttled,
    api_app,
)
from gateway.common.http_auth import Unauthenticated, caller_of
from translations.errors import names_of

# every method reaches ``handle``, so that one it does not take gets a CIMI 405 with ``Allow``
METHODS: Final = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
REALM: Final = 'Basic realm="Cloudgate CIMI"'


class CimiApi:
    def __init__(self, services: Services) -> None:
        self._services = services

    def app(self, limits: Limits) -> Starlette:
        errors = (
            ErrorRenderers()
            .on(CimiError, lambda exc, r: wire.error(exc.status, exc.text, r, exc.headers))
            .on(wire.Unreadable, lambda exc, r: wire.error(400, str(exc), r))
            .on(BadQuery, lambda exc, r: wire.error(400, str(exc), r))
            .on(wire.NotAcceptable, lambda exc, r: wire.error(exc.status, str(exc), r))
            .on(CoreError, lambda exc, r: wire.error(names_of(exc.kind_of_error).cimi, str(exc), r))
            .on(RequestTooLarge, lambda exc, r: wire.error(413, _too_large(exc), r))
            .on(HeadersTooLarge, lambda exc, r: wire.error(431, str(exc), r))
            .on(Throttled, lambda exc, r: wire.error(429, "too many requests", r, _retry(exc)))
            .on(Exception, lambda _e, r: wire.error(500, f"internal error ({r.request_id})", r))
        )
        return api_app("cimi", [Endpoint("/{path:path}", self.handle, METHODS)], errors, limits)

    def handle(self, request: ApiRequest) -> Response:
        if request.method == "HEAD":  # a GET whose body the server leaves out
            request = dataclasses.replace(request, method="GET")
        caller = self._authenticate(request)
        request.admit(str(caller.account_id))
        parts = [p for p in request.path.removeprefix(PREFIX).split("/") if p]
        ctx = Context(self._services, caller, Urls(_base(request)), request)
        if not parts or parts == ["cloudEntryPoint"]:
            allowed(ctx, "GET")
            return wire.respond(request, handlers.cloud_entry_point(ctx))
        key, rest = parts[0], parts[1:]
        if request.method != "GET" and "if-match" in request.headers:
            _require_match(ctx, key, rest)
        return handlers.route(ctx, key, rest)

    def _authenticate(self, request: ApiRequest) -> Caller:
        try:
            return caller_of(self._services, request.headers)
        except Unauthenticated as exc:
            raise CimiError(401, str(exc), {"WWW-Authenticate": REALM}) from None


def _require_match(ctx: Context, key: str, rest: list[str]) -> None:
    """``If-Match``: the change goes ahead only while the resource is still the one the client
    read (its ETag), else 412; ``*`` asks only that it exists."""
    wanted = [tag.strip() for tag in ctx.request.headers["if-match"].split(",")]
    read = dataclasses.replace(ctx.request, method="GET", query=(), body=b"", form=())
    current = handlers.route(dataclasses.replace(ctx, request=read), key, rest).headers.get("etag")
    if current is None or ("*" not in wanted and current not in wanted):
        raise CimiError(412, "the resource changed since it was read (If-Match)")


def _base(request: ApiRequest) -> str:
    host = request.headers.get("host", "localhost")
    return f"{request.scheme}://{host}{PREFIX}/"


def _too_large(exc: RequestTooLarge) -> str:
    return f"the request body is larger than the {exc.limit} bytes accepted"


def _retry(exc: Throttled) -> dict[str, str]:
    return {"Retry-After": str(max(1, round(exc.retry_after)))}
