"""HTTP Basic and ``X-Auth-Token``: how the two resource-style APIs (OCCI, CIMI) identify a
caller, against the same users the native API's ``login`` knows.

Basic carries an account's username and password; ``X-Auth-Token`` a session key that ``login``
gave. A password here is checked as ``login`` checks it: a wrong one counts towards the user's
lockout, and a locked user's right one is refused. Each API answers ``Unauthenticated`` with 401
in its own envelope, the same for every cause; the identity service logs which.
"""

from __future__ import annotations

import base64
import binascii

from starlette.datastructures import Headers

from core import Services
from core.errors import NotFound
from core.views import Caller


class Unauthenticated(Exception):
    """No credentials, or credentials that identify no one (which of the two is not said)."""


def caller_of(services: Services, headers: Headers) -> Caller:
    identity = services.identity
    token = headers.get("x-auth-token")
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    try:
        if token:
            return identity.session_caller(token)
        if scheme.lower() == "basic":
            decoded = base64.b64decode(encoded, validate=True).decode()
            username, _, password = decoded.partition(":")
            return identity.authenticate_password(username, password)
    except (NotFound, binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("wrong credentials") from None
    raise Unauthenticated(
        "authenticate with HTTP Basic (an account's username and password) or X-Auth-Token"
    )
