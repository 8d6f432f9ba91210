"""The one Starlette application: every API front end adds its routes here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core import Services
from gateway.ec2.app import Ec2Api
from gateway.native.app import NativeApi
from gateway.throttle import RateLimit


def create_app(services: Services, *, rate_limit: RateLimit | None = None) -> Starlette:
    """``rate_limit``: each account's EC2 request budget (the defaults of ``RateLimit``)."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(services.start_background)
        try:
            yield
        finally:
            await run_in_threadpool(services.close)

    async def healthz(_request: Request) -> JSONResponse:
        """Answers once start-up recovery has run: the server is ready for work."""
        return JSONResponse({"status": "ok", "installation": services.installation})

    routes = [
        Route("/healthz", healthz),
        *NativeApi(services).routes(),
        *Ec2Api(services, rate_limit or RateLimit()).routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
