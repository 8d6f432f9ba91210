"""Call an ASGI app in-process with httpx's ASGITransport: no server, no socket."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.types import ASGIApp


def call(app: ASGIApp, method: str, url: str, **options: Any) -> httpx.Response:
    """One request; ``options`` as for ``httpx.AsyncClient.request`` (an async iterable
    ``content`` goes out chunked, without a Content-Length)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            return await client.request(method, url, **options)

    return asyncio.run(send())


async def chunks(*parts: bytes) -> Any:
    """A request body with no declared length."""
    for part in parts:
        yield part
