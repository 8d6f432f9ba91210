"""``/client/api``: parse, authenticate, check, call one handler, render (DESIGN rule 2)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import Services
from core.errors import CoreError
from core.views import Caller
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

log = logging.getLogger(__name__)

ERROR_RESPONSE: Final = "errorresponse"
INTERNAL_TEXT: Final = "Internal error executing command, please contact your system administrator"


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

    def routes(self) -> list[Route]:
        return [Route("/client/api", self._endpoint, methods=["GET", "POST"])]

    async def _endpoint(self, request: Request) -> Response:
        query = parse_qsl(request.url.query, keep_blank_values=True)
        form: list[tuple[str, str]] = []
        if request.method == "POST" and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            body = await request.body()
            form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return await run_in_threadpool(self.handle, query, form, dict(request.cookies))

    def handle(
        self,
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]],
        cookies: Mapping[str, str],
    ) -> Response:
        fmt = Format.of(next((v for k, v in [*query, *form] if k.lower() == "response"), None))
        name = next((v for k, v in [*query, *form] if k.lower() == "command"), "")
        command = self._commands.get(name.lower())
        session_command = name.lower() in ("login", "logout")  # not in the table: no signature
        envelope = (
            command.response_name
            if command
            else f"{name.lower()}response"
            if session_command
            else ERROR_RESPONSE
        )
        try:
            params = parse(query, form)
            if name.lower() == "login":
                return login(self._services, params, fmt)
            caller = auth.authenticate(self._services, params, cookies)
            if name.lower() == "logout":
                return logout(self._services, params, cookies, fmt)
            if command is None:
                raise NativeError(
                    432, 9999, f"Unknown API command: {name}" if name else "no command"
                )
            if command.admin_only and not caller.is_admin:
                raise NativeError(
                    401,
                    4365,
                    f"The given command:{name} does not exist or it is not available for user",
                )
            return render(envelope, _payload(self._run(command, caller, params)), fmt)
        except MalformedParameter as exc:
            failure = NativeError(430, 9999, str(exc))
        except NativeError as exc:
            failure = exc
        except CoreError as exc:
            code = native_code(exc.kind_of_error)
            failure = NativeError(code.errorcode, code.cserrorcode, str(exc))
        except Exception:
            log.exception("native command %s failed", name)
            failure = NativeError(530, 9999, INTERNAL_TEXT)
        payload = error_payload(failure.errorcode, failure.cserrorcode, failure.text)
        return render(envelope, payload, fmt, status=failure.errorcode)

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
