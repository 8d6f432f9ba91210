"""Who signed an EC2 request: SigV2 or SigV4 with an access key from the one identity store."""

from __future__ import annotations

import datetime as dt
import logging

from core import Services
from core.errors import NotFound
from core.views import Caller
from gateway.ec2 import signature
from gateway.ec2.errors import Ec2Error, auth_failure

log = logging.getLogger(__name__)


def authenticate(services: Services, request: signature.SignedRequest) -> Caller:
    try:
        credential = signature.credential_of(request)
        try:
            key = services.identity.signing_key(credential.access_key)
        except NotFound:
            log.info("refused: unknown access key %s", credential.access_key)
            raise auth_failure() from None
        signature.verify(request, credential, key.secret_key, dt.datetime.now(dt.UTC))
    except signature.SignatureError as exc:
        log.info("refused: %s %s", exc.code, exc.message)
        raise Ec2Error(exc.code, exc.message, exc.status) from None
    return key.caller
