"""The front-end kit every API uses: the sub-app factory, error renderers by class, the body
limit, throttling, request ids and the access log. No API vocabulary lives here."""

from gateway.common.incoming import DEFAULT_MAX_REQUEST_BYTES as DEFAULT_MAX_REQUEST_BYTES
from gateway.common.incoming import ApiRequest as ApiRequest
from gateway.common.incoming import HeadersTooLarge as HeadersTooLarge
from gateway.common.incoming import RequestTooLarge as RequestTooLarge
from gateway.common.renderers import ErrorRenderers as ErrorRenderers
from gateway.common.subapp import Endpoint as Endpoint
from gateway.common.subapp import Handler as Handler
from gateway.common.subapp import Limits as Limits
from gateway.common.subapp import api_app as api_app
from gateway.common.throttle import RateLimit as RateLimit
from gateway.common.throttle import Throttle as Throttle
from gateway.common.throttle import Throttled as Throttled
from gateway.common.user_data import NotBase64 as NotBase64
from gateway.common.user_data import decode as decode_user_data

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "ApiRequest",
    "Endpoint",
    "ErrorRenderers",
    "Handler",
    "HeadersTooLarge",
    "Limits",
    "NotBase64",
    "RateLimit",
    "RequestTooLarge",
    "Throttle",
    "Throttled",
    "api_app",
    "decode_user_data",
]
