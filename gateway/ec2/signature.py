"""The server side of the EC2 Query API's request signatures: SigV4 and SigV2.

This is hand-written because botocore ships only the client side: ``SigV2Auth``, ``SigV4Auth``
and ``SigV4QueryAuth`` build a signature and never check one. What is checked here is what those
signers produce, and ``tests/unit/test_ec2_signature.py`` signs its requests with them.

Three forms are accepted, and a request must use exactly one of them:

* SigV4 in the ``Authorization`` header (boto3, awscli, libcloud with ``signature_version="4"``);
* SigV4 in the query string, a presigned URL (``X-Amz-Algorithm`` … ``X-Amz-Signature``);
* SigV2 in the parameters (boto 2, libcloud's default, the classic tools): ``AWSAccessKeyId``,
  ``SignatureVersion=2``, ``SignatureMethod``, ``Signature`` and ``Timestamp`` or ``Expires``.

The caller looks the secret up between the two calls::

    credential = credential_of(request)   # SignatureError: no signature, or a malformed one
    secret = ...                           # by credential.access_key; unknown is AuthFailure
    verify(request, credential, secret, now)

What the signature covers, so the caller knows what it may trust afterwards:

* SigV4 signs the body through its SHA-256, so ``request.form`` is trusted only if the caller
  parsed it from ``request.body``. An ``x-amz-content-sha256`` header must be the body's hash:
  ``UNSIGNED-PAYLOAD`` would leave EC2's form parameters unsigned, so it is refused.
* SigV2 signs the decoded parameters, query and form together, never the body's bytes.

A SigV4 scope may name any region; its service must be ``ec2`` (or, for boto 2, the first label
of the host). SigV2 signs the ``Host`` header
as received, lowercased, port included. Old clients that dropped a default port from what they
signed are not given a second try, so one request has one string to sign.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Final, NoReturn
from urllib.parse import quote

__all__ = ["Credential", "SignatureError", "SignedRequest", "credential_of", "verify"]

_Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request as received, before any parameter is trusted."""

    method: str  # "GET" or "POST", as received
    host: str  # the Host header exactly as received, e.g. "127.0.0.1:8080"
    path: str  # the raw (still percent-encoded) URL path, e.g. "/" or "/awsapi"
    query: Sequence[_Pair]  # decoded query-string pairs, in order (keep_blank_values)
    form: Sequence[_Pair]  # decoded pairs of a urlencoded POST body, else ()
    headers: Mapping[str, str]  # header names lower-cased
    body: bytes  # raw body


class SignatureError(Exception):
    """A request the EC2 front end refuses before reading it: ``code`` is the EC2 error code."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message, status)
        self.code = code
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"{self.code} ({self.status}): {self.message}"


@dataclass(frozen=True, slots=True)
class Credential:
    """Who the request says signed it; the secret is looked up by the caller."""

    access_key: str
    version: int  # 2 or 4


# --- the errors, one helper per EC2 code ------------------------------------------------------

_NOT_VALIDATED: Final = "AWS was not able to validate the provided access credentials"
_MISMATCH: Final = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method."
)


def _auth_failure() -> NoReturn:
    raise SignatureError("AuthFailure", _NOT_VALIDATED, 401)


def _incomplete(message: str) -> NoReturn:
    raise SignatureError("IncompleteSignature", message, 400)


def _does_not_match(message: str = _MISMATCH) -> NoReturn:
    raise SignatureError("SignatureDoesNotMatch", message, 403)


def _expired(message: str) -> NoReturn:
    raise SignatureError("RequestExpired", f"Request has expired. {message}", 400)


def _invalid_value(name: str, value: str, expected: str) -> NoReturn:
    raise SignatureError(
        "InvalidParameterValue", f"Value ({value}) for parameter {name} is invalid. {expected}", 400
    )


# --- shared pieces --------------------------------------------------------------------------

_ALGORITHM: Final = "AWS4-HMAC-SHA256"
_TERMINATOR: Final = "aws4_request"
_SERVICE: Final = "ec2"
_SKEW: Final = dt.timedelta(minutes=15)
_MAX_EXPIRES: Final = 7 * 24 * 3600  # X-Amz-Expires, in seconds
_AMZ_DATE: Final = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_AMZ_DATE_FORMAT: Final = "%Y%m%dT%H%M%SZ"
# SigV2 Timestamp and Expires: ISO 8601 in UTC, seconds required, any fraction, Z or an offset.
_ISO_INSTANT: Final = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]{1,9}))?"
    r"(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?"  # AWS's own examples omit it: UTC then
)
_V2_METHODS: Final[Mapping[str, str]] = MappingProxyType(
    {"HmacSHA256": "sha256", "HmacSHA1": "sha1"}
)
_V2_PARAMS: Final = frozenset(
    {"AWSAccessKeyId", "Signature", "SignatureVersion", "SignatureMethod"}
)
_V4_QUERY_PARAMS: Final = frozenset(
    {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature"}
)
_V4_HEADER_FIELDS: Final = ("Credential", "SignedHeaders", "Signature")


def _utf8(text: str) -> bytes:
    # A lone surrogate cannot come from a real client; encoding it as-is keeps the request
    # distinct from every signed one (so it fails to verify) instead of raising.
    return text.encode("utf-8", "surrogatepass")


def _encode(text: str) -> str:
    """Percent-encode everything but ``A-Za-z0-9-_.~``, hex in upper case (both SigV2 and 4)."""
    return quote(_utf8(text), safe="-_.~")


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(_utf8(expected), _utf8(given))


def _hmac(key: bytes, message: str, digest: str = "sha256") -> bytes:
    return hmac.new(key, _utf8(message), digest).digest()


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _single(pairs: Iterable[_Pair], name: str) -> str | None:
    values = [value for key, value in pairs if key == name]
    if len(values) > 1:
        _incomplete(f"The parameter {name} appears more than once.")
    return values[0] if values else None


def _required(pairs: Sequence[_Pair], name: str) -> str:
    value = _single(pairs, name)
    if value is None:
        _incomplete(f"The request must contain the parameter {name}.")
    return value


def _check_skew(signed_at: dt.datetime, now: dt.datetime) -> None:
    if abs(now - signed_at) > _SKEW:
        _expired(
            f"The request was signed at {_iso(signed_at)} and the server time is {_iso(now)};"
            " they may differ by at most 15 minutes."
        )


# --- SigV4 ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    date: str
    region: str
    service: str

    def __str__(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{_TERMINATOR}"


@dataclass(frozen=True, slots=True)
class _V4:
    credential: Credential
    scope: _Scope
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str  # basic format, as it goes into the string to sign
    signed_at: dt.datetime
    expires: int | None  # X-Amz-Expires of a presigned URL; None in the header form
    query: tuple[_Pair, ...]  # the pairs of the canonical query string


def _parse_scope(text: str) -> tuple[str, _Scope]:
    parts = text.split("/")
    if len(parts) != 5 or not all(parts) or parts[4] != _TERMINATOR:
        _incomplete(
            f"Credential must be <access key>/<yyyymmdd>/<region>/<service>/{_TERMINATOR},"
            f" not '{text}'."
        )
    return parts[0], _Scope(date=parts[1], region=parts[2], service=parts[3])


def _parse_signed_headers(text: str) -> tuple[str, ...]:
    names = tuple(text.split(";"))
    if not all(names) or len(set(names)) != len(names):
        _incomplete(f"SignedHeaders must be header names separated by ';', not '{text}'.")
    if "host" not in names:
        _incomplete("SignedHeaders must include host.")
    return names


def _parse_amz_date(name: str, text: str) -> dt.datetime:
    if _AMZ_DATE.fullmatch(text):
        try:
            return dt.datetime.strptime(text, _AMZ_DATE_FORMAT).replace(tzinfo=dt.UTC)
        except ValueError:  # month 13, hour 25 and the like
            pass
    _invalid_value(name, text, "Expected an ISO 8601 basic date-time such as 20261121T174245Z.")


def _parse_http_date(text: str) -> dt.datetime:
    try:
        instant = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        _invalid_value("Date", text, "Expected an RFC 1123 date.")
    # "-0000" (what email.utils.formatdate writes) reads as naive: it means UTC.
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant


def _parse_v4_header(request: SignedRequest, header: str) -> _V4:
    scheme, _, rest = header.strip().partition(" ")
    if scheme != _ALGORITHM:
        _incomplete(f"Unsupported Authorization type '{scheme}'; only {_ALGORITHM} is accepted.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, equals, value = part.strip().partition("=")
        if not equals or name not in _V4_HEADER_FIELDS or name in fields:
            _incomplete(
                f"Authorization header has an unexpected or repeated part '{part.strip()}'."
            )
        fields[name] = value
    missing = [name for name in _V4_HEADER_FIELDS if not fields.get(name)]
    if missing:
        _incomplete(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    access_key, scope = _parse_scope(fields["Credential"])

    if (amz_date := request.headers.get("x-amz-date")) is not None:
        signed_at = _parse_amz_date("X-Amz-Date", amz_date)
    elif (date := request.headers.get("date")) is not None:
        signed_at = _parse_http_date(date).astimezone(dt.UTC)
        amz_date = signed_at.strftime(_AMZ_DATE_FORMAT)
    else:
        _incomplete("The request must contain an X-Amz-Date or a Date header.")
    return _V4(
        credential=Credential(access_key, 4),
        scope=scope,
        signed_headers=_parse_signed_headers(fields["SignedHeaders"]),
        signature=fields["Signature"],
        amz_date=amz_date,
        signed_at=signed_at,
        expires=None,
        query=tuple(request.query),
    )


def _parse_v4_query(request: SignedRequest) -> _V4:
    query = request.query
    algorithm = _required(query, "X-Amz-Algorithm")
    if algorithm != _ALGORITHM:
        _incomplete(f"Unsupported X-Amz-Algorithm '{algorithm}'; only {_ALGORITHM} is accepted.")
    credential = _required(query, "X-Amz-Credential")
    signed_headers = _required(query, "X-Amz-SignedHeaders")
    signature = _required(query, "X-Amz-Signature")
    amz_date = _required(query, "X-Amz-Date")
    expires = _required(query, "X-Amz-Expires")

    access_key, scope = _parse_scope(credential)
    signed_at = _parse_amz_date("X-Amz-Date", amz_date)
    if not (expires.isascii() and expires.isdigit() and 1 <= int(expires) <= _MAX_EXPIRES):
        _invalid_value("X-Amz-Expires", expires, f"Expected seconds from 1 to {_MAX_EXPIRES}.")
    return _V4(
        credential=Credential(access_key, 4),
        scope=scope,
        signed_headers=_parse_signed_headers(signed_headers),
        signature=signature,
        amz_date=amz_date,
        signed_at=signed_at,
        expires=int(expires),
        query=tuple(pair for pair in query if pair[0] != "X-Amz-Signature"),
    )


def _boto2_service(host: str) -> str:
    """boto 2.49 signs every EC2 call with SigV4 and takes the service name from the endpoint's
    first label (``ec2`` in ``ec2.us-east-1.amazonaws.com``, ``127`` for ``127.0.0.1``), so a
    scope naming that label is accepted too. No other service shares these keys, so nothing
    signed for another service can be replayed here."""
    return host.rpartition(":")[0].split(".")[0] if ":" in host else host.split(".")[0]


def _canonical_uri(path: str) -> str:
    """RFC 3986 dot-segment removal plus dropped empty segments, then percent-encoded again.

    The path arrives percent-encoded once and SigV4 (outside S3) encodes it a second time, so
    ``%20`` is signed as ``%2520``: what botocore's ``_normalize_url_path`` does.
    """
    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and segments else ""
    return quote(_utf8(first + "/".join(segments) + last), safe="/~")


def _canonical_query(pairs: Iterable[_Pair]) -> str:
    encoded = sorted((_encode(name), _encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def _canonical_headers(request: SignedRequest, names: Sequence[str]) -> str:
    lines = []
    for name in names:
        value = request.host if name == "host" else request.headers.get(name)
        if value is None:
            _does_not_match(f"The signed header '{name}' is not in the request.")
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)


def _payload_hash(request: SignedRequest) -> str:
    actual = hashlib.sha256(request.body).hexdigest()
    declared = request.headers.get("x-amz-content-sha256")
    if declared is None:
        return actual
    if declared.lower() != actual:
        _does_not_match(
            "The x-amz-content-sha256 header is not the SHA-256 of the request body;"
            " EC2 requests must sign their payload."
        )
    return declared


def _verify_v4(request: SignedRequest, signed: _V4, secret: str, now: dt.datetime) -> None:
    scope = signed.scope
    if scope.service not in (_SERVICE, _boto2_service(request.host)):
        _does_not_match(f"Credential should be scoped to correct service: '{_SERVICE}'.")
    if scope.date != signed.amz_date[:8]:
        _does_not_match(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
            f" from HTTP: '{scope.date}' != '{signed.amz_date[:8]}', from '{signed.amz_date}'."
        )

    canonical_request = "\n".join(
        (
            request.method,
            _canonical_uri(request.path),
            _canonical_query(signed.query),
            _canonical_headers(request, signed.signed_headers),
            ";".join(signed.signed_headers),
            _payload_hash(request),
        )
    )
    string_to_sign = "\n".join(
        (
            _ALGORITHM,
            signed.amz_date,
            str(scope),
            hashlib.sha256(_utf8(canonical_request)).hexdigest(),
        )
    )
    key = _utf8("AWS4" + secret)
    for part in (scope.date, scope.region, scope.service, _TERMINATOR):
        key = _hmac(key, part)
    if not _same(_hmac(key, string_to_sign).hex(), signed.signature):
        _does_not_match()

    if signed.expires is None:
        _check_skew(signed.signed_at, now)
    elif signed.signed_at - now > _SKEW:
        _expired(
            f"X-Amz-Date {_iso(signed.signed_at)} is more than 15 minutes after the server"
            f" time {_iso(now)}."
        )
    elif now > (end := signed.signed_at + dt.timedelta(seconds=signed.expires)):
        _expired(f"The presigned request expired at {_iso(end)}; the server time is {_iso(now)}.")


# --- SigV2 ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _V2:
    credential: Credential
    digest: str  # hashlib name
    signature: str
    params: tuple[_Pair, ...]  # query and form, Signature included
    timestamp: dt.datetime | None
    expires: dt.datetime | None


def _parse_iso(name: str, text: str) -> dt.datetime:
    if match := _ISO_INSTANT.fullmatch(text):
        fraction = (match["fraction"] or "")[:6].ljust(6, "0")
        zone = (match["zone"] or "Z").replace("Z", "+00:00")
        try:
            return dt.datetime.fromisoformat(f"{match['date']}.{fraction}{zone}")
        except ValueError:  # February 30th, hour 24, offset minute 60 and the like
            pass
    _invalid_value(name, text, "Expected an ISO 8601 UTC date-time such as 2026-11-21T17:42:45Z.")


def _parse_v2(request: SignedRequest) -> _V2:
    # Query and form together, as the action will read them; a form on a GET is signed too.
    params = (*request.query, *request.form)
    access_key = _required(params, "AWSAccessKeyId")
    version = _required(params, "SignatureVersion")
    method = _required(params, "SignatureMethod")
    signature = _required(params, "Signature")
    if version != "2":
        _incomplete(f"Unsupported SignatureVersion '{version}'; use 2 or Signature Version 4.")
    if method not in _V2_METHODS:
        _incomplete(f"Unsupported SignatureMethod '{method}'; use HmacSHA256 or HmacSHA1.")
    timestamp, expires = _single(params, "Timestamp"), _single(params, "Expires")
    if (timestamp is None) == (expires is None):
        _incomplete("The request must contain either a Timestamp or an Expires parameter.")
    return _V2(
        credential=Credential(access_key, 2),
        digest=_V2_METHODS[method],
        signature=signature,
        params=params,
        timestamp=None if timestamp is None else _parse_iso("Timestamp", timestamp),
        expires=None if expires is None else _parse_iso("Expires", expires),
    )


def _verify_v2(request: SignedRequest, signed: _V2, secret: str, now: dt.datetime) -> None:
    # Sorted by the names' bytes (UTF-8 sorts as code points do); values break ties.
    pairs = sorted(pair for pair in signed.params if pair[0] != "Signature")
    canonical_query = "&".join(f"{_encode(name)}={_encode(value)}" for name, value in pairs)
    string_to_sign = "\n".join(
        (request.method, request.host.lower(), request.path or "/", canonical_query)
    )
    expected = base64.b64encode(_hmac(_utf8(secret), string_to_sign, signed.digest))
    if not _same(expected.decode("ascii"), signed.signature):
        _does_not_match()

    if signed.timestamp is not None:
        _check_skew(signed.timestamp, now)
    if signed.expires is not None and now > signed.expires:
        _expired(f"It expired at {_iso(signed.expires)}; the server time is {_iso(now)}.")


# --- the two entry points -------------------------------------------------------------------


def _parse(request: SignedRequest) -> _V4 | _V2:
    header = request.headers.get("authorization")
    in_query = _V4_QUERY_PARAMS.intersection(name for name, _ in request.query)
    in_params = _V2_PARAMS.intersection(name for name, _ in (*request.query, *request.form))
    forms = (header is not None) + bool(in_query) + bool(in_params)
    if forms == 0:
        _auth_failure()
    if forms > 1:
        _incomplete(
            "The request carries more than one signature: use one of the Authorization header,"
            " the X-Amz-* query parameters or the Signature Version 2 parameters."
        )
    if header is not None:
        return _parse_v4_header(request, header)
    return _parse_v4_query(request) if in_query else _parse_v2(request)


def credential_of(request: SignedRequest) -> Credential:
    """The access key and signature version ``request`` claims; raises ``SignatureError``.

    Nothing that looks like a signature is ``AuthFailure``; a malformed one is
    ``IncompleteSignature``, an unreadable date ``InvalidParameterValue``.
    """
    return _parse(request).credential


def verify(request: SignedRequest, credential: Credential, secret: str, now: dt.datetime) -> None:
    """Return if ``secret`` signed ``request`` and its time is within bounds at ``now``.

    ``credential`` must be what ``credential_of(request)`` returned, and ``now`` must be aware.
    Raises ``SignatureError``: ``SignatureDoesNotMatch`` (403) for a wrong signature, a scope
    for another service or another day; ``RequestExpired`` (400) for a timestamp more than 15
    minutes from ``now``, a past ``Expires`` or an expired presigned URL; and the errors of
    ``credential_of``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    signed = _parse(request)
    if signed.credential != credential:
        raise ValueError("credential is not the one credential_of() read from this request")
    if isinstance(signed, _V4):
        _verify_v4(request, signed, secret, now)
    else:
        _verify_v2(request, signed, secret, now)
