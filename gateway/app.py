"""The one Starlette application: each API is its own sub-app, mounted here.

Every sub-app is built by ``gateway.common.api_app``, so they share one shape: request ids, the
access log, the body limit, throttling and error rendering by exception class. Mounts are tried
in order. Native sits at CloudStack's own context path ``/client`` with its servlet at ``/api``
inside, so ``/client/api`` matches exactly (a mount at ``/client/api`` would only match below
it, and redirect ``/client/api`` itself). EC2 answers at ``/``, so it is mounted last, at the
root, where ``raw_path`` (what SigV4 signs) is untouched anyway.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from core import Services
from gateway.cimi.app import CimiApi
from gateway.common import DEFAULT_MAX_REQUEST_BYTES, Limits, RateLimit, Throttle
from gateway.ec2.app import Ec2Api
from gateway.ec2.model import service_model
from gateway.native.app import NativeApi
from gateway.occi.app import OcciApi


def create_app(
    services: Services,
    *,
    rate_limit: RateLimit | None = None,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
) -> Starlette:
    """``rate_limit``: each account's request budget, shared by every API (the defaults of
    ``RateLimit``); ``max_request_bytes``: the largest request body any API reads."""
    limits = Limits(max_request_bytes, Throttle(rate_limit or RateLimit()))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(services.start_background)
        try:
            yield
        finally:
            await run_in_threadpool(services.close)

    async def healthz(_request: Request) -> JSONResponse:
        """Answers once start-up recovery has run: the server is ready for work. It answers
        anyone, so it says nothing else (not even the installation id)."""
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/healthz", healthz),
        Mount("/client", app=NativeApi(services).app(limits)),
        Mount("/occi", app=OcciApi(services).app(limits)),
        Mount("/cimi", app=CimiApi(services).app(limits)),
        Mount("", app=Ec2Api(services).app(limits)),  # EC2 answers at "/": matched last
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def freeze_startup_heap() -> None:
    """Put what start-up built out of the garbage collector's reach: botocore's EC2 model,
    SQLAlchemy's mappers, the route tables, about 160,000 objects that live as long as the
    process. Every full collection walks them otherwise; listing 1,000 instances through
    DescribeInstances makes about one, at some 125 ms each (bench/listing.py)."""
    service_model()
    gc.collect()
    gc.freeze()
