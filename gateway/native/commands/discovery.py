"""``listApis``: the command table described the way CloudMonkey's ``sync`` caches it.

CloudMonkey type-asserts every field (``name``, ``description``, ``isasync``, ``params`` with
``name``/``type``/``required``/``description``, ``response``), so none may be missing or null.
``login`` and ``logout`` are answered before authentication, outside the table, but listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from gateway.native.registry import (
    Call,
    Command,
    Param,
    ParamType,
    Reply,
)

SINCE: Final = "4.0.0"
_LOGIN_PARAMS: Final = (
    Param("username", ParamType.STRING, "Username", required=True),
    Param("password", ParamType.STRING, "Password", required=True),
    Param("domain", ParamType.STRING, "Path of the domain, / for ROOT"),
    Param("domainId", ParamType.UUID, "Id of the domain"),
)


def _param(param: Param) -> dict[str, Any]:
    return {
        "name": param.name.lower(),
        "description": param.description,
        "type": param.type.value,
        "length": param.length,
        "required": param.required,
        "since": SINCE,
        "related": param.related,
    }


def describe(
    name: str,
    description: str,
    params: Sequence[Param],
    *,
    is_async: bool = False,
    response_key: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "since": SINCE,
        "isasync": is_async,
        "related": "",
        "type": "",
        "params": [_param(p) for p in params],
        "response": [
            {
                "name": response_key or "success",
                "description": f"the {response_key or 'outcome'} of the command",
                "type": "object" if response_key else "boolean",
            }
        ],
    }


def _described(command: Command) -> dict[str, Any]:
    return describe(
        command.name,
        command.description,
        command.params,
        is_async=command.is_async,
        response_key=command.response_key,
    )


_SESSION_APIS: Final = (
    describe("login", "Logs a user in; the session key comes back as a cookie too", _LOGIN_PARAMS),
    describe("logout", "Ends the caller's session", ()),
)


def list_apis_command(commands: Sequence[Command]) -> Command:
    def list_apis(call: Call) -> Reply:
        wanted = call.args.get("name")
        described = [
            *(_described(c) for c in (*commands, this) if call.caller.is_admin or not c.admin_only),
            *_SESSION_APIS,
        ]
        matching = [d for d in described if wanted is None or d["name"].lower() == wanted.lower()]
        return call.page("api", sorted(matching, key=lambda d: str(d["name"])))

    this = Command(
        "listApis",
        "Lists all the commands available to the caller",
        list_apis,
        (Param("name", ParamType.STRING, "List the API with this name"),),
        response_key="api",
        is_list=True,
    )
    return this
