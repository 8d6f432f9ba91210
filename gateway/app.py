"""The one Starlette application: every API front end adds its routes here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.services.container import Services
from gateway.ec2.app import Ec2Api
from gateway.native.app import NativeApi


def create_app(services: Services) -> Starlette:
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

    routes = [Route("/healthz", healthz), *NativeApi(services).routes(), *Ec2Api(services).routes()]
    return Starlette(routes=routes, lifespan=lifespan)
