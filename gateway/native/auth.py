"""Who is calling: an API key with an HMAC-SHA1 signature, or a session from ``login``.

A session is named by the ``sessionkey`` parameter, never by the cookie alone: a browser sends
the cookie with any request another site makes it send, so a cookie alone would let that site
act as the user (cross-site request forgery). CloudStack's ApiServlet checks the same way (its
default ``CookieAndParameter``), for every command, reading or writing: a forged listing still
spends the user's session and request budget, and one rule for all commands is the one a
client can rely on. A cookie sent along must name the same session.

Every refusal is the same 401 with CloudStack's own text, so a caller learns nothing about which
part (key, signature, expiry, session) was wrong; the log says which.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Final

from core import Services
from core.errors import NotFound
from core.views import Caller
from gateway.native import signature
from gateway.native.params import Params
from gateway.native.registry import NativeError

log = logging.getLogger(__name__)

SESSION_COOKIE: Final = "sessionkey"
UNAUTHORIZED_TEXT: Final = "unable to verify user credentials and/or request signature"


def unauthorized() -> NativeError:
    return NativeError(401, 4290, UNAUTHORIZED_TEXT)


def _check_expiry(params: Params, now: dt.datetime) -> None:
    """signatureVersion=3 makes ``expires`` mandatory, and a past one is refused."""
    if params.get("signatureversion") != "3":
        return
    text = params.get("expires")
    expires = signature.parse_expires(text) if text else None
    if expires is None:
        log.info("refused: signatureVersion=3 without a readable expires (%r)", text)
        raise unauthorized()
    if expires < now:
        log.info("refused: request expired at %s", expires.isoformat())
        raise unauthorized()


def _signed_caller(services: Services, params: Params, api_key: str) -> Caller:
    given = params.get("signature")
    if not given:
        log.info("refused: apiKey without a signature")
        raise unauthorized()
    try:
        key = services.identity.signing_key(api_key)
    except NotFound:
        log.info("refused: unknown apiKey %s", api_key)
        raise unauthorized() from None
    signed = [(name, value) for name, value in params.raw if name.lower() != "signature"]
    if not signature.verify(signed, given, key.secret_key):
        log.info("refused: bad signature for apiKey %s", api_key)
        raise unauthorized()
    _check_expiry(params, dt.datetime.now(dt.UTC))
    return key.caller


def session_key(params: Params, cookies: Mapping[str, str]) -> str | None:
    """The session the ``sessionkey`` parameter names; none without it, and none when the
    cookie names another."""
    by_param = params.get("sessionkey")
    by_cookie = cookies.get(SESSION_COOKIE)
    if not by_param:
        if by_cookie:
            log.info("refused: the session cookie without the sessionkey parameter")
        return None
    if by_cookie and by_param != by_cookie:
        log.info("refused: the sessionkey parameter and cookie name different sessions")
        return None
    return by_param


def authenticate(services: Services, params: Params, cookies: Mapping[str, str]) -> Caller:
    api_key = params.get("apikey")
    if api_key:
        return _signed_caller(services, params, api_key)
    key = session_key(params, cookies)
    if key is None:
        raise unauthorized()
    try:
        return services.identity.session_caller(key)
    except NotFound:
        log.info("refused: unknown or expired session")
        raise unauthorized() from None
