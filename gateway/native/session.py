"""``login`` and ``logout``: CloudMonkey's and fog's way in when they hold a password, not keys.

The session key comes back in the body and as an HttpOnly cookie; later calls send it as the
``sessionkey`` parameter (with the cookie or without; a cookie alone is refused, see ``auth``).
Sessions live in the database, so any replica can serve them. A wrong password, an unknown user
and a locked one get the same refusal; the identity service logs which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from starlette.responses import Response

from core import Services
from core.errors import NotFound
from gateway.native import auth
from gateway.native.envelope import Format, render, response_name
from gateway.native.objects import ROOT_DOMAIN, domain_id
from gateway.native.params import Params
from gateway.native.registry import NativeError, param_error

LOGIN_FAILED: Final = "failed to authenticate user, check if username/password are correct"


def _domain_matches(services: Services, params: Params) -> bool:
    """There is one domain, ROOT: ``domain`` ``/`` (or ROOT, or empty) or its id."""
    by_id = params.get("domainid")
    if by_id:
        return by_id == str(domain_id(services))
    path = (params.get("domain") or "/").strip("/")
    return path in ("", ROOT_DOMAIN)


def login(services: Services, params: Params, fmt: Format) -> Response:
    username, password = params.get("username"), params.get("password")
    if not username or password is None:
        raise param_error("Unable to execute API command login due to missing parameter username")
    if not _domain_matches(services, params):
        raise NativeError(531, 4365, LOGIN_FAILED)
    try:
        found = services.identity.login(username, password)
    except NotFound:
        raise NativeError(531, 4365, LOGIN_FAILED) from None
    user = found.user
    response = render(
        response_name("login"),
        {
            "timeout": str(found.timeout_seconds),
            "userid": str(user.id),
            "domainid": str(domain_id(services)),
            "username": user.username,
            "account": user.account_name,
            "firstname": user.username,
            "lastname": user.account_name,
            "type": "1" if user.is_admin else "0",
            "timezone": "UTC",
            "registered": "false",
            "sessionkey": found.session_key,
            "is2faenabled": "false",
        },
        fmt,
    )
    response.set_cookie(auth.SESSION_COOKIE, found.session_key, httponly=True, samesite="lax")
    response.set_cookie("JSESSIONID", found.session_key, httponly=True, samesite="lax")
    return response


def logout(services: Services, params: Params, cookies: Mapping[str, str], fmt: Format) -> Response:
    key = auth.session_key(params, cookies)
    if key is not None:
        services.identity.logout(key)
    response = render(response_name("logout"), {"description": "success"}, fmt)
    response.delete_cookie(auth.SESSION_COOKIE)
    response.delete_cookie("JSESSIONID")
    return response
