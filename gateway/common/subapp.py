"""The sub-app factory: one Starlette app per API, all built the same way.

An API brings its endpoints (plain blocking functions: our core is synchronous) and its error
renderers; the factory adds what every API needs and none should write again:

* a request id per request (``RequestIds``), and one access-log line (``AccessLog``);
* the body read within ``max_request_bytes`` before the handler, so before authentication;
* the handler run in the thread pool, so a slow database or libvirt call never blocks the loop;
* every exception the handler raises rendered by the API's renderer for its class; one that only
  the ``Exception`` renderer claims is unexpected, so its traceback goes to the log.

Throttling is the handler's call to ``ApiRequest.admit`` right after it authenticates, because
only the API knows who the caller is; ``Throttled`` then comes back through its renderers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.common.access_log import AccessLog
from gateway.common.exchange import RequestIds, exchange_of
from gateway.common.incoming import (
    ApiRequest,
    HeadersTooLarge,
    RequestTooLarge,
    check_headers,
    head_of,
    read_body,
    with_body,
)
from gateway.common.renderers import ErrorRenderers
from gateway.common.throttle import Throttle, Throttled

log = logging.getLogger(__name__)

Handler = Callable[[ApiRequest], Response]


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str  # inside the sub-app's mount point
    handler: Handler
    methods: tuple[str, ...] = ("GET", "POST")


@dataclass(frozen=True, slots=True)
class Limits:
    """What every API shares: the body limit and one throttle (one budget per account)."""

    max_request_bytes: int
    throttle: Throttle


def _serve(endpoint: Endpoint, errors: ErrorRenderers, limits: Limits) -> Route:
    async def serve(request: Request) -> Response:
        exchange = exchange_of(request.scope)
        incoming = head_of(request, exchange, limits.throttle)
        try:
            check_headers(request)
            incoming = with_body(incoming, await read_body(request, limits.max_request_bytes))
            return await run_in_threadpool(endpoint.handler, incoming)
        except Exception as exc:
            cls, render = errors.find(exc)
            if cls is Exception:
                log.error("%s request %s failed", exchange.api, exchange.request_id, exc_info=exc)
            return render(exc, incoming)

    return Route(endpoint.path, serve, methods=list(endpoint.methods))


def api_app(
    api: str, endpoints: Sequence[Endpoint], errors: ErrorRenderers, limits: Limits
) -> Starlette:
    """``api`` names the API in the access log. ``errors`` must render ``Exception`` and the
    kit's own refusals (``HeadersTooLarge``, ``RequestTooLarge``, ``Throttled``) itself: each in
    its own envelope."""
    missing = errors.missing(Exception, HeadersTooLarge, RequestTooLarge, Throttled)
    if missing:
        raise ValueError(f"{api}: no error renderer for {', '.join(c.__name__ for c in missing)}")
    middleware = [  # outermost first
        Middleware(RequestIds, api=api),
        Middleware(AccessLog),
    ]
    routes = [_serve(endpoint, errors, limits) for endpoint in endpoints]
    return Starlette(routes=routes, middleware=middleware)
