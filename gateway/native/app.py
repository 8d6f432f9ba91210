"""``/client/api``: parse, authenticate, check, call one handler, render (DESIGN rule 2).

Errors leave in CloudStack's envelope (``errorcode`` is the HTTP status), each rendered by the
sub-app factory in ``gateway.common`` through the renderer registered for its class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from starlette.applications import Starlette
from starlette.responses import Response

from core import Services
from core.errors import CoreError, InvalidArgument
from core.views import Caller
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
from gateway.native import auth
from gateway.native.envelope import Format, error_payload, render
from gateway.native.params import MalformedParameter, Params, control_character_parameter, parse
from gateway.native.registry import (
    DEFAULT_PAGE_SIZE,
    Call,
    Command,
    Done,
    Listing,
    NativeError,
    Raw,
    Reply,
    Single,
    Submitted,
    Window,
    param_error,
)
from gateway.native.session import login, logout
from gateway.native.table import command_table
from translations.errors import native_code
from translations.fields import native_field

ERROR_RESPONSE: Final = "errorresponse"
INTERNAL_TEXT: Final = "Internal error executing command, please contact your system administrator"
SESSION_COMMANDS: Final = frozenset({"login", "logout"})  # not in the table: no signature


def window(params: Params) -> Window:
    """CloudStack's BaseListCmd rules for ``page`` and ``pagesize``, with its messages."""
    page_text, size_text = params.get("page"), params.get("pagesize")
    try:
        page = int(page_text) if page_text else None
        size = int(size_text) if size_text else None
    except ValueError:
        raise param_error("page and pagesize must be integers") from None
    if size is not None and size != -1 and page is None:
        raise NativeError(431, 9999, '"page" parameter is required when "pagesize" is specified')
    if page is not None and size is None:
        raise NativeError(431, 9999, '"pagesize" parameter is required when "page" is specified')
    if size == -1:
        if page is not None:
            raise param_error("Can't specify page parameter when pagesize is -1 (Unlimited)")
        return Window(0, None)
    if size is None or page is None:
        return Window(0, DEFAULT_PAGE_SIZE)
    if size > DEFAULT_PAGE_SIZE:
        raise param_error(
            f"Page size can't exceed max allowed page size value: {DEFAULT_PAGE_SIZE}"
        )
    if size < 1 or page < 1:
        raise param_error("page and pagesize must be positive")
    return Window((page - 1) * size, size)


def _payload(reply: Reply) -> dict[str, Any]:
    match reply:
        case Listing(key=key, items=items, total=total):
            return {"count": total, key: list(items)} if total else {}
        case Single(key=key, item=item):
            return {key: dict(item)}
        case Submitted(job_id=job_id, resource_id=resource_id):
            ids = {"id": str(resource_id)} if resource_id is not None else {}
            return {**ids, "jobid": str(job_id)}
        case Done(text=text):
            return {"success": "true", **({"displaytext": text} if text else {})}
        case Raw(fields=fields):
            return dict(fields)


class NativeApi:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._commands: Mapping[str, Command] = command_table()

    def app(self, limits: Limits) -> Starlette:
        errors = (
            ErrorRenderers()
            .on(NativeError, self._error)
            .on(MalformedParameter, lambda exc, r: self._error(NativeError(430, 9999, str(exc)), r))
            .on(CoreError, lambda exc, r: self._error(_from_core(exc), r))
            .on(RequestTooLarge, self._too_large)
            .on(HeadersTooLarge, lambda exc, r: self._error(param_error(str(exc)), r))
            .on(Throttled, lambda exc, r: self._error(_throttled(exc), r))
            .on(Exception, lambda _exc, r: self._error(_internal(r), r))
        )
        return api_app("native", [Endpoint("/api", self.handle)], errors, limits)

    def _reply_to(self, request: ApiRequest) -> tuple[str, Format]:
        """The envelope and format a reply or an error takes: ``<command>response`` for a
        command we know, ``errorresponse`` otherwise; XML unless ``response=json``."""
        fmt = Format.of(next((v for k, v in request.params if k.lower() == "response"), None))
        name = _command_name(request).lower()
        command = self._commands.get(name)
        if command is not None:
            return command.response_name, fmt
        return (f"{name}response" if name in SESSION_COMMANDS else ERROR_RESPONSE), fmt

    def handle(self, request: ApiRequest) -> Response:
        envelope, fmt = self._reply_to(request)
        name = _command_name(request)
        params = parse(request.query, request.form)
        if name.lower() == "login":
            return login(self._services, params, fmt)
        caller = auth.authenticate(self._services, params, request.cookies)
        request.admit(str(caller.account_id))
        if name.lower() == "logout":
            return logout(self._services, params, request.cookies, fmt)
        command = self._commands.get(name.lower())
        if command is None:
            raise NativeError(432, 9999, f"Unknown API command: {name}" if name else "no command")
        if command.admin_only and not caller.is_admin:
            raise NativeError(
                401,
                4365,
                f"The given command:{name} does not exist or it is not available for user",
            )
        return render(envelope, _payload(self._run(command, caller, params)), fmt)

    def _run(self, command: Command, caller: Caller, params: Params) -> Reply:
        if (bad := control_character_parameter(params)) is not None:
            raise param_error(f"Received value for parameter {bad} contains control characters")
        args = command.check(params)
        call = Call(
            self._services,
            caller,
            command,
            args,
            window(params) if command.is_list else Window(0, None),
        )
        return command.handler(call)

    def _error(self, exc: NativeError, request: ApiRequest, fmt: Format | None = None) -> Response:
        envelope, asked = self._reply_to(request)
        payload = error_payload(exc.errorcode, exc.cserrorcode, exc.text)
        return render(envelope, payload, fmt or asked, status=exc.errorcode)

    def _too_large(self, exc: RequestTooLarge, request: ApiRequest) -> Response:
        """CloudStack refuses oversized user data as an invalid parameter value (431, 4350:
        "User data is too long"); a body over the limit is the same refusal. The body was not
        read, so a ``response=json`` in it is unknown: a POSTed form answers in JSON then,
        since every client that posts (cs, CloudMonkey, clostack) asks for JSON."""
        size = f" ({exc.size} bytes)" if exc.size is not None else ""
        text = f"The request body{size} is larger than the {exc.limit} bytes accepted"
        asked = any(k.lower() == "response" for k, _ in request.query)
        fmt = None if asked or request.method != "POST" else Format.JSON
        return self._error(param_error(text), request, fmt)


def _command_name(request: ApiRequest) -> str:
    return next((v for k, v in request.params if k.lower() == "command"), "")


def _from_core(exc: CoreError) -> NativeError:
    """A core error in CloudStack's envelope; a refused argument under its parameter's name."""
    code = native_code(exc.kind_of_error)
    text = f"{native_field(exc.field)}: {exc.why}" if isinstance(exc, InvalidArgument) else str(exc)
    return NativeError(code.errorcode, code.cserrorcode, text)


def _internal(request: ApiRequest) -> NativeError:
    """CloudStack's 530 text, with the request id the administrator it names will look for in
    the log (the envelope has no field of its own for it)."""
    return NativeError(530, 9999, f"{INTERNAL_TEXT} (request id {request.request_id})")


def _throttled(exc: Throttled) -> NativeError:
    """CloudStack's API rate-limit plugin throws ``ServerApiException(API_LIMIT_EXCEED, …)``:
    429 with the bare ServerApiException cserrorcode 9999, and this text."""
    wait_ms = max(1, round(exc.retry_after * 1000))
    return NativeError(
        429,
        9999,
        f"The given user has reached his/her account api limit, please retry after [{wait_ms}] ms.",
    )
