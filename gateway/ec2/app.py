"""The EC2 Query endpoint at ``/`` and ``/awsapi``: authenticate, parse by the model, run one
action, render (DESIGN rule 2). Every failure, authentication and internal errors included,
leaves in EC2's ``Response/Errors/Error`` envelope with the status AWS uses; the sub-app factory
in ``gateway.common`` picks the renderer by exception class.
"""

from __future__ import annotations

import re
from typing import Final

from botocore.model import OperationModel
from starlette.applications import Starlette
from starlette.responses import Response

from core import Services
from core.errors import CoreError
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
from gateway.ec2 import auth, model, render, wire
from gateway.ec2.actions import ACTIONS
from gateway.ec2.call import Call, Handler
from gateway.ec2.errors import Ec2Error, dry_run, from_core
from gateway.ec2.signature import SignedRequest

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


def _signed(request: ApiRequest) -> SignedRequest:
    return SignedRequest(
        method=request.method,
        host=request.headers.get("host", ""),
        path=request.raw_path,  # the path the client signed, not the one the mount left
        query=list(request.query),
        form=list(request.form),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=request.body,
    )


HEADERS_TOO_LARGE: Final = "RequestHeaderSectionTooLarge"  # AWS's code (S3 answers it)


class Ec2Api:
    def __init__(self, services: Services) -> None:
        self._services = services

    def app(self, limits: Limits) -> Starlette:
        errors = (
            ErrorRenderers()
            .on(Ec2Error, _ec2_error)
            .on(CoreError, lambda exc, request: _ec2_error(from_core(exc), request))
            .on(RequestTooLarge, _too_large)
            .on(
                HeadersTooLarge,
                lambda exc, r: _ec2_error(Ec2Error(HEADERS_TOO_LARGE, str(exc), 431), r),
            )
            .on(Throttled, _throttled)
            .on(Exception, _internal_error)
        )
        return api_app("ec2", [Endpoint(path, self.handle) for path in PATHS], errors, limits)

    def handle(self, request: ApiRequest) -> Response:
        signed = _signed(request)
        params = dict(request.params)
        version = params.get("Version", "")
        version = version if _VERSION.fullmatch(version) else model.API_VERSION
        name = params.get("Action", "")
        caller = auth.authenticate(self._services, signed)
        request.admit(str(caller.account_id))
        handler, operation = _action(name)
        args = wire.parse(operation.input_shape, params)
        endpoint = f"{request.scheme}://{signed.host}{request.path}"
        call = Call(self._services, caller, args, request.request_id, endpoint)
        if args.get("DryRun"):
            # The action runs whole, with every check core makes, and none of its writes
            # stay: only a request that would succeed gets DryRunOperation, as on AWS.
            with self._services.rehearsal():
                handler(call)
            raise dry_run()
        output = handler(call)
        body = render.success(name, operation.output_shape, output, version, request.request_id)
        return Response(body, media_type=MEDIA_TYPE)


def _ec2_error(exc: Ec2Error, request: ApiRequest) -> Response:
    body = render.error(exc.code, exc.message, request.request_id)
    return Response(body, status_code=exc.status, media_type=MEDIA_TYPE)


def _too_large(exc: RequestTooLarge, request: ApiRequest) -> Response:
    """AWS's Query front door answers an oversized request with ``RequestEntityTooLarge`` and
    413, "Request size 45305 exceeded 40960 bytes" (seen from CloudWatch, a Query API too)."""
    size = f"Request size {exc.size}" if exc.size is not None else "Request size"
    message = f"{size} exceeded {exc.limit} bytes"
    return _ec2_error(Ec2Error("RequestEntityTooLarge", message, 413), request)


def _throttled(_exc: Throttled, request: ApiRequest) -> Response:
    """503 is what botocore's retry policy for EC2 treats as throttling, so SDKs back off."""
    return _ec2_error(Ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503), request)


def _internal_error(_exc: Exception, request: ApiRequest) -> Response:
    return _ec2_error(Ec2Error("InternalError", INTERNAL_TEXT, 500), request)
