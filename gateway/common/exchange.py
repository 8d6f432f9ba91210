"""One request's record: its API, its request id, its account once known, when it started.

``RequestIds`` puts it in the ASGI scope before anything else of the sub-app runs, so the
endpoint, the error renderers and the access log all name the same request id, and the
endpoint can fill in the account after authentication for the access log to show.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

SCOPE_KEY: Final = "cloudgate.exchange"


@dataclass(slots=True)
class Exchange:
    api: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.perf_counter)
    account: str | None = None  # set by ``ApiRequest.admit`` once the caller is authenticated


def exchange_of(scope: Scope) -> Exchange:
    found = scope[SCOPE_KEY]
    assert isinstance(found, Exchange), "RequestIds runs before everything that asks"
    return found


class RequestIds:
    """ASGI middleware: a fresh ``Exchange`` (uuid4 request id) for every HTTP request."""

    def __init__(self, app: ASGIApp, api: str) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[SCOPE_KEY] = Exchange(self.api)
        await self.app(scope, receive, send)
