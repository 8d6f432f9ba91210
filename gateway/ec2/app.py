"""The EC2 Query endpoint at ``/`` and ``/awsapi``: authenticate, parse by the model, run one
action, render (DESIGN rule 2). Every failure, authentication and internal errors included,
leaves in EC2's ``Response/Errors/Error`` envelope with the status AWS uses.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl

from botocore.model import OperationModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import Services
from core.errors import CoreError
from gateway.ec2 import auth, model, render, wire
from gateway.ec2.actions import ACTIONS
from gateway.ec2.call import Call, Handler
from gateway.ec2.errors import Ec2Error, dry_run, from_core
from gateway.ec2.signature import SignedRequest
from gateway.throttle import RateLimit, Throttle

log = logging.getLogger(__name__)

PATHS: Final = ("/", "/awsapi", "/awsapi/")  # boto 2 posts to "/awsapi/" and signs that
MEDIA_TYPE: Final = "text/xml;charset=UTF-8"
INTERNAL_TEXT: Final = "An internal error has occurred"
_VERSION: Final = re.compile(r"[0-9A-Za-z._-]{1,32}")


def _action(name: str) -> tuple[Handler, OperationModel]:
    if not name:
        raise Ec2Error("MissingAction", "The request must contain the parameter Action")
    operation = model.operation(name)
    if operation is None:
        raise Ec2Error("InvalidAction", f"The action {name} is not valid for this web service.")
    handler = ACTIONS.get(name)
    if handler is None:
        raise Ec2Error("Unsupported", f"The action {name} is not supported by this endpoint.")
    return handler, operation


class Ec2Api:
    def __init__(self, services: Services, rate_limit: RateLimit) -> None:
        self._services = services
        self._throttle = Throttle(rate_limit)

    def routes(self) -> list[Route]:
        return [Route(path, self._endpoint, methods=["GET", "POST"]) for path in PATHS]

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        form: list[tuple[str, str]] = []
        if request.method == "POST" and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        signed = SignedRequest(
            method=request.method,
            host=request.headers.get("host", ""),
            path=request.scope.get("raw_path", b"/").decode("latin-1").partition("?")[0],
            query=parse_qsl(request.url.query, keep_blank_values=True),
            form=form,
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
        )
        endpoint = f"{request.url.scheme}://{signed.host}{request.url.path}"
        return await run_in_threadpool(self.handle, signed, endpoint)

    def handle(self, signed: SignedRequest, endpoint: str) -> Response:
        request_id = str(uuid.uuid4())
        params: Mapping[str, str] = dict([*signed.query, *signed.form])
        version = params.get("Version", "")
        version = version if _VERSION.fullmatch(version) else model.API_VERSION
        name = params.get("Action", "")
        try:
            caller = auth.authenticate(self._services, signed)
            if not self._throttle.allow(str(caller.account_id)):
                raise Ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503)
            handler, operation = _action(name)
            args = wire.parse(operation.input_shape, params)
            call = Call(self._services, caller, args, request_id, endpoint)
            if args.get("DryRun"):
                # The action runs whole, with every check core makes, and none of its writes
                # stay: only a request that would succeed gets DryRunOperation, as on AWS.
                with self._services.rehearsal():
                    handler(call)
                raise dry_run()
            output = handler(call)
            body = render.success(name, operation.output_shape, output, version, request_id)
            return Response(body, media_type=MEDIA_TYPE)
        except Ec2Error as exc:
            failure = exc
        except CoreError as exc:
            failure = from_core(exc)
        except Exception:
            log.exception("EC2 action %s failed", name)
            failure = Ec2Error("InternalError", INTERNAL_TEXT, 500)
        body = render.error(failure.code, failure.message, request_id)
        return Response(body, status_code=failure.status, media_type=MEDIA_TYPE)
