"""The access log: one line per request, naming what happened and never what was sent.

A line holds the method, the path, the API, the account, the status, the duration and the
request id. Query strings, bodies and headers are never written, because that is where the
secrets travel: SigV2 ``Signature``, SigV4 ``X-Amz-Signature`` and ``Authorization``, native
``signature``, ``sessionkey`` (parameter or cookie) and ``login``'s ``password``, OCCI's and
CIMI's Basic ``Authorization`` and ``X-Auth-Token``. Leaving them out by construction is safer
than redacting a list of names that a new API could outgrow. (uvicorn's own access log writes
the query string, so ``cloudgate serve`` turns it off; tests/contract/test_access_log.py drives
every API's clients through ``cloudgate serve`` and finds none of their secrets in its output.)
"""

from __future__ import annotations

import logging
import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.common.exchange import exchange_of

log = logging.getLogger("gateway.access")

_MAX_PATH: Final = 200


def _printable(path: str) -> str:
    """The path as one safe line: control characters escaped, very long paths cut."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in path[:_MAX_PATH])
    return shown + ("…" if len(path) > _MAX_PATH else "")


class AccessLog:
    """ASGI middleware; runs inside ``RequestIds`` so the exchange is there to read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            exchange = exchange_of(scope)
            log.info(
                "%s %s api=%s account=%s status=%d duration_ms=%.1f request_id=%s",
                scope["method"],
                _printable(scope["path"]),
                exchange.api,
                exchange.account or "-",
                status,
                (time.perf_counter() - exchange.started) * 1000,
                exchange.request_id,
            )
