"""The EC2 signature verifier against botocore's own signers.

Every request that must verify is signed by botocore (``SigV4Auth``, ``SigV4QueryAuth``,
``SigV2Auth``), prepared as it would go on the wire, and read back as the endpoint reads it, so
the module under test never checks itself. What botocore does that matters here:

* ``SigV4Auth`` leaves the Host header to the HTTP client and signs the host it derives from the
  URL: lowercased, port kept unless it is the scheme's default. That is what http.client sends.
* ``SigV2Auth`` signs ``urlsplit(url).netloc`` verbatim (case and an explicit default port kept)
  and the raw path, ``/`` when empty. It hard-codes ``HmacSHA256`` and ``Timestamp``, so
  ``ClassicSigV2`` below opens those two choices up; botocore still builds the query string.
* ``SigV4QueryAuth`` keeps ``SigV4Auth.payload``, the SHA-256 of the body (``S3SigV4QueryAuth``
  is the one that signs ``UNSIGNED-PAYLOAD``), and moves a form body into the query string, so
  a presigned POST has an empty body.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from botocore.auth import BaseSigner, SigV2Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials

from gateway.ec2.signature import (
    Credential,
    SignatureError,
    SignedRequest,
    credential_of,
    verify,
)

Pairs = Sequence[tuple[str, str]]

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDENTIALS = Credentials(ACCESS_KEY, SECRET)
ENDPOINT = "http://127.0.0.1:18080"
FORM = "application/x-www-form-urlencoded; charset=utf-8"  # what botocore's query serializer sets
UTC = dt.UTC
T0 = dt.datetime(2026, 11, 21, 17, 42, 45, tzinfo=UTC)

# Values that need encoding: space, "*", "/", "~" (unreserved), "+", "=", "&" and non-ASCII.
PARAMS: Mapping[str, str] = {
    "Action": "DescribeImages",
    "Version": "2016-11-15",
    "Filter.1.Name": "name",
    "Filter.1.Value.1": "web server*",
    "Owner.1": "a/b~c+d=e&f",
    "Filter.2.Value.1": "café 雲☁",
    "DryRun": "",
}
BOTO3_BODY = "Action=DescribeRegions&Version=2016-11-15"
AUTH_PARAMS = frozenset(
    {"AWSAccessKeyId", "SignatureVersion", "SignatureMethod", "Signature", "Timestamp", "Expires"}
)


# --- signing with botocore, and reading the request back as the endpoint does ---------------


class ClassicSigV2(SigV2Auth):
    """botocore's ``SigV2Auth`` with the two choices it hard-codes opened up, as boto 2 and the
    EC2 API tools make them: ``HmacSHA1``, and ``Expires`` or another ``Timestamp`` format.

    botocore still builds the canonical query string; only the HMAC is redone for SHA-1.
    """

    def __init__(
        self,
        credentials: Credentials,
        method: str = "HmacSHA256",
        time: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(credentials)
        self.method = method
        self.time = dict(time or {})

    def calc_signature(self, request: AWSRequest, params: Mapping[str, Any]) -> tuple[str, str]:
        assert isinstance(params, dict)  # request.params or request.data, which add_auth fills
        params["SignatureMethod"] = self.method
        if self.time:
            del params["Timestamp"]
            params.update(self.time)
        query, signature = super().calc_signature(request, params)
        if self.method == "HmacSHA256":
            return query, signature
        url, method, secret = request.url, request.method, self.credentials.secret_key
        assert isinstance(url, str) and isinstance(method, str) and secret is not None
        split = urlsplit(url)  # botocore's own string to sign, from calc_signature
        string_to_sign = f"{method}\n{split.netloc}\n{split.path or '/'}\n{query}"
        digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha1).digest()
        return query, base64.b64encode(digest).decode()


def form_of(headers: Mapping[str, str], body: bytes) -> tuple[tuple[str, str], ...]:
    if headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
        return tuple(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return ()


def received(prepared: AWSPreparedRequest) -> SignedRequest:
    """The ``SignedRequest`` the endpoint builds from what botocore puts on the wire."""
    url = urlsplit(prepared.url)
    headers = {name.lower(): value for name, value in prepared.headers.items()}
    # botocore leaves Host to the HTTP client, which sends the URL's netloc: the host SigV4Auth
    # signed too, unless the URL spells out the default port (see the SigV2 test of that).
    host = headers.setdefault("host", url.netloc)
    raw = prepared.body or b""
    assert isinstance(raw, str | bytes), raw  # never a stream here
    body = raw.encode() if isinstance(raw, str) else raw
    return SignedRequest(
        method=prepared.method,
        host=host,
        path=url.path or "/",
        query=tuple(parse_qsl(url.query, keep_blank_values=True)),
        form=form_of(headers, body),
        headers=headers,
        body=body,
    )


def signed(
    auth: BaseSigner,
    method: str,
    path: str = "/",
    *,
    params: Mapping[str, str] | None = None,
    data: str | Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    endpoint: str = ENDPOINT,
) -> SignedRequest:
    request = AWSRequest(
        method,
        endpoint + path,
        data=dict(data) if isinstance(data, Mapping) else data,
        params=dict(params or {}),
        headers=dict(headers or {}),
    )
    auth.add_auth(request)
    return received(request.prepare())


def v4(region: str = "us-east-1", service: str = "ec2") -> SigV4Auth:
    return SigV4Auth(CREDENTIALS, service, region)


def presign(expires: int = 300) -> SigV4QueryAuth:
    return SigV4QueryAuth(CREDENTIALS, "ec2", "us-east-1", expires=expires)


def boto3_post(
    auth: BaseSigner | None = None, headers: Mapping[str, str] | None = None
) -> SignedRequest:
    """What boto3 sends for ``ec2.describe_regions()``, plus ``headers``."""
    headers = {"Content-Type": FORM, **(headers or {})}
    return signed(auth or v4(), "POST", data=BOTO3_BODY, headers=headers)


def v2_get(auth: BaseSigner | None = None, path: str = "/") -> SignedRequest:
    return signed(auth or ClassicSigV2(CREDENTIALS), "GET", path, params=PARAMS)


def v2_at(time: Mapping[str, str], method: str = "HmacSHA256") -> SignedRequest:
    return v2_get(ClassicSigV2(CREDENTIALS, method, time))


def pairs_of(request: SignedRequest) -> dict[str, str]:
    return dict((*request.query, *request.form))


def signed_at(request: SignedRequest) -> dt.datetime:
    """The signing time the request carries, read the way botocore wrote it."""
    params = pairs_of(request)
    if "Timestamp" in params:
        return dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    amz_date = request.headers.get("x-amz-date") or params["X-Amz-Date"]
    return dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


SECRETS: Mapping[str, str] = {ACCESS_KEY: SECRET}


def outcome(request: SignedRequest, now: dt.datetime | None = None) -> str:
    """What the endpoint does: ``accepted``, ``unknown key`` or the ``SignatureError`` code.

    SigV4 does not sign the access key itself (only the rest of the scope), so a changed key is
    caught by the lookup, as the caller does it.
    """
    try:
        credential = credential_of(request)
        if (secret := SECRETS.get(credential.access_key)) is None:
            return "unknown key"
        verify(request, credential, secret, now or signed_at(request))
    except SignatureError as error:
        return error.code
    return "accepted"


def refusal(request: SignedRequest, now: dt.datetime | None = None) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify(request, credential_of(request), SECRET, now or signed_at(request))
    return caught.value


# --- editing a received request ----------------------------------------------------------------


def with_pairs(request: SignedRequest, where: str, pairs: Pairs) -> SignedRequest:
    """``request`` with new query or form pairs; a new form is also the new body."""
    if where == "query":
        return replace(request, query=tuple(pairs))
    body = urlencode(pairs, errors="surrogateescape").encode()
    return replace(request, form=tuple(pairs), body=body)


def with_param(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    """``name`` set to ``value`` (or removed, for None) wherever it is, else added to the query."""
    where = "form" if any(key == name for key, _ in request.form) else "query"
    pairs = [(k, v) for k, v in getattr(request, where) if k != name]
    return with_pairs(request, where, pairs if value is None else [*pairs, (name, value)])


def with_header(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    headers = {k: v for k, v in request.headers.items() if k != name}
    if value is not None:
        headers[name] = value
    return replace(request, headers=headers)


def edit_authorization(request: SignedRequest, pattern: str, new: str) -> SignedRequest:
    edited, count = re.subn(pattern, new, request.headers["authorization"])
    assert count == 1, (pattern, request.headers["authorization"])
    return with_header(request, "authorization", edited)


def with_body(request: SignedRequest, body: bytes) -> SignedRequest:
    return replace(request, body=body, form=form_of(request.headers, body))


def with_host(request: SignedRequest, host: str) -> SignedRequest:
    return replace(request, host=host, headers={**request.headers, "host": host})


def flip(text: str, at: int) -> str:
    """``text`` with the low bit of its UTF-8 byte ``at`` flipped; broken UTF-8 stays escaped."""
    raw = bytearray(text.encode("utf-8", "surrogateescape"))
    raw[at] ^= 1
    return raw.decode("utf-8", "surrogateescape")


def flips(text: str) -> Iterator[tuple[int, str]]:
    for at in range(len(text.encode("utf-8", "surrogateescape"))):
        yield at, flip(text, at)


Mutations = Iterator[tuple[str, SignedRequest]]


def operation_param_flips(request: SignedRequest) -> Mutations:
    """Every byte of every name and value that is not part of the signature itself."""
    for where in ("query", "form"):
        pairs: Pairs = getattr(request, where)
        for i, (name, value) in enumerate(pairs):
            if name in AUTH_PARAMS or name.startswith("X-Amz-"):
                continue
            for at, changed in flips(name):
                edited = [*pairs[:i], (changed, value), *pairs[i + 1 :]]
                yield f"{where} name {name}[{at}]", with_pairs(request, where, edited)
            for at, changed in flips(value):
                edited = [*pairs[:i], (name, changed), *pairs[i + 1 :]]
                yield f"{where} {name}={value}[{at}]", with_pairs(request, where, edited)


def host_flips(request: SignedRequest) -> Mutations:
    for at, changed in flips(request.host):
        yield f"host[{at}] {changed}", with_host(request, changed)


def method_flips(request: SignedRequest) -> Mutations:
    for at, changed in flips(request.method):
        yield f"method[{at}] {changed}", replace(request, method=changed)


def path_flips(request: SignedRequest) -> Mutations:
    for at, changed in flips(request.path):
        yield f"path[{at}] {changed}", replace(request, path=changed)


def body_flips(request: SignedRequest) -> Mutations:
    for at in range(len(request.body)):
        body = bytearray(request.body)
        body[at] ^= 1
        yield f"body[{at}] {bytes(body)!r}", with_body(request, bytes(body))


def signature_flips(request: SignedRequest) -> Mutations:
    """Every byte of the signature's own parameters and of every header it signs but host."""
    for where in ("query", "form"):
        pairs: Pairs = getattr(request, where)
        for i, (name, value) in enumerate(pairs):
            if not (name in AUTH_PARAMS or name.startswith("X-Amz-")):
                continue
            for at, changed in flips(name):
                edited = [*pairs[:i], (changed, value), *pairs[i + 1 :]]
                yield f"{where} name {name}[{at}]", with_pairs(request, where, edited)
            for at, changed in flips(value):
                edited = [*pairs[:i], (name, changed), *pairs[i + 1 :]]
                yield f"{where} {name}[{at}] {changed}", with_pairs(request, where, edited)
    if "authorization" in request.headers:
        signed_names = re.findall(r"SignedHeaders=([^,]+)", request.headers["authorization"])
        for name in {"authorization", *signed_names[0].split(";")} - {"host"}:
            for at, changed in flips(request.headers[name]):
                yield f"header {name}[{at}] {changed}", with_header(request, name, changed)


# One request per form, each as a client sends it. Builders, since botocore signs "now".
CASES: Mapping[str, Callable[[], SignedRequest]] = {
    "v4-header-post-boto3": boto3_post,
    "v4-header-post-params": lambda: signed(
        v4(), "POST", "/awsapi", data=urlencode(PARAMS), headers={"Content-Type": FORM}
    ),
    "v4-header-get-libcloud": lambda: signed(v4(), "GET", params=PARAMS),
    "v4-presigned-get": lambda: signed(presign(), "GET", params=PARAMS),
    "v2-sha256-get": lambda: v2_get(),
    "v2-sha1-get-awsapi": lambda: v2_get(ClassicSigV2(CREDENTIALS, "HmacSHA1"), "/awsapi"),
    "v2-sha256-post-awsapi": lambda: signed(
        ClassicSigV2(CREDENTIALS), "POST", "/awsapi", data=PARAMS, headers={"Content-Type": FORM}
    ),
    "v2-sha1-post": lambda: signed(
        ClassicSigV2(CREDENTIALS, "HmacSHA1"),
        "POST",
        data=PARAMS,
        headers={"Content-Type": FORM},
    ),
}
VERSIONS: Mapping[str, int] = {case: int(case[1]) for case in CASES}


SIGNERS = [
    pytest.param(v4, id="v4-header"),
    pytest.param(presign, id="v4-presigned"),
    pytest.param(lambda: ClassicSigV2(CREDENTIALS), id="v2"),
]

# --- accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_botocore_signed_request_is_accepted(case: str) -> None:
    request = CASES[case]()
    verify(request, credential_of(request), SECRET, signed_at(request))


@pytest.mark.parametrize("case", CASES)
def test_credential_of_reads_the_access_key_and_version(case: str) -> None:
    assert credential_of(CASES[case]()) == Credential(ACCESS_KEY, VERSIONS[case])


def test_boto3_post_is_what_the_endpoint_receives() -> None:
    request = boto3_post()
    assert (request.method, request.host, request.path) == ("POST", "127.0.0.1:18080", "/")
    assert request.form == (("Action", "DescribeRegions"), ("Version", "2016-11-15"))
    assert "SignedHeaders=content-type;host;x-amz-date," in request.headers["authorization"]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3", "RegionOne", "cloudgate-local"])
def test_sigv4_any_region_is_accepted(region: str) -> None:
    assert outcome(boto3_post(v4(region))) == "accepted"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("two words", id="space"),
        pytest.param("web*", id="star"),
        pytest.param("a/b", id="slash"),
        pytest.param("a~b", id="tilde"),
        pytest.param("a+b=c&d%20", id="reserved"),
        pytest.param("café 雲 🌩", id="unicode"),
        pytest.param("", id="empty"),
    ],
)
@pytest.mark.parametrize("auth", SIGNERS)
def test_query_values_needing_encoding_are_accepted(
    auth: Callable[[], BaseSigner], value: str
) -> None:
    request = signed(auth(), "GET", params={"Action": "DescribeImages", "Owner.1": value})
    assert ("Owner.1", value) in request.query
    assert outcome(request) == "accepted"


@pytest.mark.parametrize("auth", SIGNERS)
def test_names_sorted_by_their_bytes_are_accepted(auth: Callable[[], BaseSigner]) -> None:
    # Upper case before lower, "-" and "." before digits before "_", "é" after everything ASCII.
    names = ["alpha", "Zeta", "A_b", "A-b", "A.b", "A1", "Ab", "é"]
    request = signed(auth(), "GET", params={name: name for name in names})
    assert outcome(request) == "accepted"


@pytest.mark.parametrize(
    "path", ["/awsapi", "/awsapi/", "/a/./b/../c%20d/", "//double//slashes", "/~user/x%2Fy"]
)
def test_sigv4_path_is_normalised_and_encoded_as_botocore_does(path: str) -> None:
    request = signed(v4(), "POST", path, data=BOTO3_BODY, headers={"Content-Type": FORM})
    assert request.path == path
    assert outcome(request) == "accepted"


def test_sigv4_date_header_instead_of_x_amz_date_is_accepted() -> None:
    # Given any Date header, botocore rewrites it (RFC 1123, "-0000") and sends no X-Amz-Date.
    request = boto3_post(headers={"Date": "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert "x-amz-date" not in request.headers
    assert request.headers["date"].endswith(" -0000")
    now = dt.datetime.strptime(request.headers["date"], "%a, %d %b %Y %H:%M:%S -0000")
    assert outcome(request, now.replace(tzinfo=UTC)) == "accepted"


def test_sigv4_content_sha256_header_of_the_body_is_accepted() -> None:
    digest = hashlib.sha256(BOTO3_BODY.encode()).hexdigest()
    assert outcome(boto3_post(headers={"X-Amz-Content-SHA256": digest})) == "accepted"


def test_sigv4_unsigned_payload_is_refused() -> None:
    # Signed correctly, but the form parameters in the body would be covered by nothing.
    request = boto3_post(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    error = refusal(request)
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert "x-amz-content-sha256" in error.message


def test_sigv4_header_whitespace_is_trimmed_and_collapsed() -> None:
    request = boto3_post(headers={"X-Custom": "  two   spaced\t words  "})
    assert "x-custom" in request.headers["authorization"]
    assert outcome(request) == "accepted"


def test_sigv4_session_token_is_just_another_signed_header() -> None:
    request = boto3_post(SigV4Auth(Credentials(ACCESS_KEY, SECRET, "token"), "ec2", "us-east-1"))
    assert "x-amz-security-token" in request.headers["authorization"]
    assert outcome(request) == "accepted"


# --- presigned URLs ----------------------------------------------------------------------------


def test_presigned_url_hashes_the_body_as_sigv4auth_does() -> None:
    assert SigV4QueryAuth.payload is SigV4Auth.payload  # S3SigV4QueryAuth: UNSIGNED-PAYLOAD
    request = signed(presign(), "POST", data=dict(PARAMS), headers={"Content-Type": FORM})
    # The form went into the query string and the default Content-Type was dropped.
    assert (request.body, request.form) == (b"", ())
    assert "content-type" not in request.headers
    assert ("Action", "DescribeImages") in request.query
    assert outcome(request) == "accepted"
    # So a body added later is not signed as empty.
    added = replace(request, body=b"Action=TerminateInstances")
    assert outcome(added) == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("expires", "after", "expected"),
    [
        pytest.param(300, dt.timedelta(seconds=300), "accepted", id="at-expiry"),
        pytest.param(300, dt.timedelta(seconds=301), "RequestExpired", id="expired"),
        pytest.param(604800, dt.timedelta(days=7), "accepted", id="a-week"),
        pytest.param(604800, dt.timedelta(days=7, seconds=1), "RequestExpired", id="week-over"),
        pytest.param(300, -dt.timedelta(minutes=15), "accepted", id="15min-ahead"),
        pytest.param(300, -dt.timedelta(minutes=16), "RequestExpired", id="16min-ahead"),
    ],
)
def test_presigned_url_is_valid_for_its_expires(
    expires: int, after: dt.timedelta, expected: str
) -> None:
    request = signed(presign(expires), "GET", params=PARAMS)
    assert outcome(request, signed_at(request) + after) == expected


def test_presigned_url_expired_message_says_when() -> None:
    request = signed(presign(60), "GET", params=PARAMS)
    error = refusal(request, signed_at(request) + dt.timedelta(minutes=5))
    assert (error.code, error.status) == ("RequestExpired", 400)
    assert error.message.startswith("Request has expired.")
    expiry = (signed_at(request) + dt.timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert expiry in error.message


# --- SigV2 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["HmacSHA256", "HmacSHA1"])
@pytest.mark.parametrize("http_method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/", "/awsapi"])
@pytest.mark.parametrize("endpoint", [ENDPOINT, "http://localhost:8773", "http://localhost"])
def test_sigv2_is_accepted(method: str, http_method: str, path: str, endpoint: str) -> None:
    auth = ClassicSigV2(CREDENTIALS, method)
    if http_method == "GET":
        request = signed(auth, "GET", path, params=PARAMS, endpoint=endpoint)
    else:
        headers = {"Content-Type": FORM}
        request = signed(auth, "POST", path, data=PARAMS, headers=headers, endpoint=endpoint)
    params = pairs_of(request)
    assert params["SignatureMethod"] == method
    assert len(base64.b64decode(params["Signature"])) == {"HmacSHA256": 32, "HmacSHA1": 20}[method]
    assert outcome(request) == "accepted"


def test_botocore_signs_sigv2_with_hmac_sha256_and_timestamp() -> None:
    params = pairs_of(v2_get(SigV2Auth(CREDENTIALS)))
    assert (params["SignatureVersion"], params["SignatureMethod"]) == ("2", "HmacSHA256")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params["Timestamp"])


def test_sigv2_host_is_lowercased() -> None:
    request = signed(ClassicSigV2(CREDENTIALS), "GET", params=PARAMS, endpoint="http://gw:1")
    assert outcome(with_host(request, "GW:1")) == "accepted"


def test_sigv2_host_with_a_port_is_not_retried_without_it() -> None:
    # Signed for "127.0.0.1" (what boto 2 signs on a default port), received with a port.
    request = signed(ClassicSigV2(CREDENTIALS), "GET", params=PARAMS, endpoint="http://127.0.0.1")
    assert outcome(request) == "accepted"
    assert outcome(with_host(request, "127.0.0.1:80")) == "SignatureDoesNotMatch"


def test_botocore_sigv2_signs_an_explicit_default_port_that_http_client_drops() -> None:
    # SigV2Auth signs the netloc "127.0.0.1:80"; http.client sends "Host: 127.0.0.1".
    request = signed(
        ClassicSigV2(CREDENTIALS), "GET", params=PARAMS, endpoint="http://127.0.0.1:80"
    )
    assert outcome(request) == "accepted"  # as received() reads it: host from the netloc
    assert outcome(with_host(request, "127.0.0.1")) == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("2026-11-21T17:42:45Z", id="seconds"),
        pytest.param("2026-11-21T17:42:45.123Z", id="millis"),
        pytest.param("2026-11-21T17:42:45.123456789Z", id="nanos"),
        pytest.param("2026-11-21T18:42:45+01:00", id="offset"),
        pytest.param("2026-11-21T16:12:45-0130", id="offset-no-colon"),
        pytest.param("2026-11-21T17:57:45Z", id="15min-ahead"),
        pytest.param("2026-11-21T17:27:45Z", id="15min-behind"),
        pytest.param("2026-11-21T17:56:45Z", id="14min-ahead"),
    ],
)
def test_sigv2_timestamp_formats_are_accepted(timestamp: str) -> None:
    request = v2_at({"Timestamp": timestamp}, "HmacSHA1")
    assert outcome(request, T0) == "accepted"


@pytest.mark.parametrize(
    "time",
    [
        pytest.param({"Timestamp": "2026-11-21T17:58:46Z"}, id="timestamp-16min-ahead"),
        pytest.param({"Timestamp": "2026-11-21T17:26:45Z"}, id="timestamp-16min-behind"),
        pytest.param({"Timestamp": "2026-11-21T17:57:46Z"}, id="timestamp-just-over"),
        pytest.param({"Expires": "2026-11-21T17:42:44Z"}, id="expires-past"),
    ],
)
def test_sigv2_time_out_of_bounds_is_request_expired(time: Mapping[str, str]) -> None:
    error = refusal(v2_at(time), T0)
    assert (error.code, error.status) == ("RequestExpired", 400)
    assert error.message.startswith("Request has expired.")


@pytest.mark.parametrize(
    "expires",
    [
        "2026-11-21T17:42:45Z",
        "2026-11-21T18:42:45Z",
        "2026-11-22T17:42:45.5+02:00",
        "2026-11-21T18:42:45",  # no zone: UTC, as in AWS's own examples
    ],
)
def test_sigv2_expires_in_the_future_is_accepted(expires: str) -> None:
    assert outcome(v2_at({"Expires": expires}), T0) == "accepted"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-11-21 17:42:45Z", id="space"),
        pytest.param("20261121T174245Z", id="basic-format"),
        pytest.param("2026-11-21T17:42Z", id="no-seconds"),
        pytest.param("2026-02-30T17:42:45Z", id="february-30"),
        pytest.param("2026-11-21T17:42:45+24:00", id="offset-24h"),
        pytest.param("2026-11-21T17:42:45.Z", id="empty-fraction"),
        pytest.param("\uff12\uff10\uff12\uff16-11-21T17:42:45Z", id="fullwidth-digits"),
        pytest.param("yesterday", id="words"),
        pytest.param("", id="empty"),
    ],
)
@pytest.mark.parametrize("name", ["Timestamp", "Expires"])
def test_sigv2_unreadable_time_is_invalid_parameter_value(name: str, value: str) -> None:
    request = v2_at({name: value})
    with pytest.raises(SignatureError) as caught:
        credential_of(request)
    assert (caught.value.code, caught.value.status) == ("InvalidParameterValue", 400)
    assert name in caught.value.message


def test_sigv2_both_timestamp_and_expires_is_incomplete_signature() -> None:
    request = v2_at({"Timestamp": "2026-11-21T17:42:45Z", "Expires": "2026-11-21T17:50:00Z"})
    error = refusal(request, T0)
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert "either a Timestamp or an Expires" in error.message


# --- tampering ---------------------------------------------------------------------------------

# (case, what changes): each single-byte change must be SignatureDoesNotMatch, nothing else.
DOES_NOT_MATCH = [
    pytest.param(case, mutations, id=f"{case}-{mutations.__name__.removesuffix('_flips')}")
    for case in CASES
    for mutations in (operation_param_flips, host_flips, method_flips, path_flips)
] + [
    pytest.param(case, body_flips, id=f"{case}-body")
    for case in ("v4-header-post-boto3", "v4-header-post-params")
]


@pytest.mark.parametrize(("case", "mutations"), DOES_NOT_MATCH)
def test_each_changed_byte_is_signature_does_not_match(
    case: str, mutations: Callable[[SignedRequest], Mutations]
) -> None:
    request = CASES[case]()
    now = signed_at(request)
    assert outcome(with_pairs(request, "form", request.form) if request.form else request) == (
        "accepted"
    )  # rebuilding the body from the form changes nothing by itself
    changes = list(mutations(request))
    assert changes
    wrong = [
        (label, got)
        for label, changed in changes
        if (got := outcome(changed, now)) != "SignatureDoesNotMatch"
    ]
    assert wrong == []


@pytest.mark.parametrize("case", CASES)
def test_any_changed_signature_byte_is_refused(case: str) -> None:
    # The signature's own parameters and headers: other codes are fine (a flipped "Timestamp"
    # name is IncompleteSignature, a flipped date may be unreadable), acceptance is not.
    request = CASES[case]()
    now = signed_at(request)
    changes = [*signature_flips(request), *body_flips(request)]
    assert changes
    assert [label for label, changed in changes if outcome(changed, now) == "accepted"] == []


@pytest.mark.parametrize("case", CASES)
def test_wrong_secret_is_signature_does_not_match(case: str) -> None:
    request = CASES[case]()
    with pytest.raises(SignatureError) as caught:
        verify(request, credential_of(request), SECRET + "x", signed_at(request))
    assert (caught.value.code, caught.value.status) == ("SignatureDoesNotMatch", 403)
    assert caught.value.message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method."
    )


@pytest.mark.parametrize("case", ["v2-sha256-get", "v4-header-get-libcloud"])
def test_non_ascii_signature_is_refused_not_an_error(case: str) -> None:
    request = CASES[case]()
    if request.headers.get("authorization"):
        request = edit_authorization(request, r"Signature=\w+", "Signature=é\udcff")
    else:
        request = with_param(request, "Signature", "é\udcff")
    assert outcome(request) == "SignatureDoesNotMatch"


# --- the clock ---------------------------------------------------------------------------------

CLOCK_CASES = ["v4-header-post-boto3", "v4-header-get-libcloud", "v2-sha256-get", "v2-sha1-post"]


@pytest.mark.parametrize("case", CLOCK_CASES)
@pytest.mark.parametrize(
    ("skew", "expected"),
    [
        pytest.param(dt.timedelta(minutes=16), "RequestExpired", id="stale-16min"),
        pytest.param(-dt.timedelta(minutes=16), "RequestExpired", id="future-16min"),
        pytest.param(dt.timedelta(minutes=15, seconds=1), "RequestExpired", id="stale-15min1s"),
        pytest.param(dt.timedelta(minutes=15), "accepted", id="stale-15min"),
        pytest.param(dt.timedelta(minutes=14), "accepted", id="stale-14min"),
        pytest.param(-dt.timedelta(minutes=14), "accepted", id="future-14min"),
    ],
)
def test_signing_time_is_within_15_minutes_of_now(
    case: str, skew: dt.timedelta, expected: str
) -> None:
    request = CASES[case]()
    assert outcome(request, signed_at(request) + skew) == expected


def test_request_expired_message_gives_both_times() -> None:
    error = refusal(v2_at({"Timestamp": "2026-11-21T17:00:00Z"}), T0)
    assert (error.code, error.status) == ("RequestExpired", 400)
    assert error.message.startswith("Request has expired.")
    assert "2026-11-21T17:00:00Z" in error.message
    assert "2026-11-21T17:42:45Z" in error.message


def test_other_time_zone_for_now_is_the_same_instant() -> None:
    request = boto3_post()
    now = signed_at(request).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert outcome(request, now) == "accepted"


# --- the scope -----------------------------------------------------------------------------------


def test_scope_for_another_service_is_refused() -> None:
    error = refusal(boto3_post(v4(service="s3")))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert error.message == "Credential should be scoped to correct service: 'ec2'."


def test_scope_naming_the_hosts_first_label_is_accepted_as_boto2_signs() -> None:
    # boto 2.49 signs EC2 with SigV4 and derives service and region from the host: for
    # 127.0.0.1 the scope is <date>/0/127/aws4_request.
    assert outcome(boto3_post(v4(region="0", service="127"))) == "accepted"
    assert outcome(boto3_post(v4(region="0", service="128"))) == "SignatureDoesNotMatch"


def test_scope_date_other_than_the_timestamp_date_is_refused() -> None:
    request = boto3_post()
    day = signed_at(request).strftime("%Y%m%d")
    other = (signed_at(request) - dt.timedelta(days=1)).strftime("%Y%m%d")
    error = refusal(edit_authorization(request, f"/{day}/", f"/{other}/"))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert f"'{other}' != '{day}'" in error.message


def test_presigned_scope_date_other_than_x_amz_date_is_refused() -> None:
    request = signed(presign(), "GET", params=PARAMS)
    scope = pairs_of(request)["X-Amz-Credential"]
    changed = with_param(request, "X-Amz-Credential", scope.replace("/2", "/1", 1))
    error = refusal(changed, signed_at(request))
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert "Date in Credential scope does not match" in error.message


# --- incomplete, unreadable and absent signatures -------------------------------------------

Edit = Callable[[SignedRequest], SignedRequest]


def auth_edit(pattern: str, new: str) -> Edit:
    return lambda request: edit_authorization(request, pattern, new)


def param_edit(name: str, value: str | None) -> Edit:
    return lambda request: with_param(request, name, value)


def header_edit(name: str, value: str | None) -> Edit:
    return lambda request: with_header(request, name, value)


def duplicate(name: str) -> Edit:
    return lambda request: with_pairs(request, "query", [*request.query, (name, "again")])


def both(first: Edit, second: Edit) -> Edit:
    return lambda request: second(first(request))


INCOMPLETE = "IncompleteSignature"
INVALID = "InvalidParameterValue"
REFUSALS = [
    # SigV4, Authorization header
    ("v4-header-post-boto3", auth_edit(r", Signature=\w+", ""), INCOMPLETE, "no-signature"),
    ("v4-header-post-boto3", auth_edit(r"Signature=\w+", "Signature="), INCOMPLETE, "empty-sig"),
    ("v4-header-post-boto3", auth_edit(r", SignedHeaders=[^,]+", ""), INCOMPLETE, "no-headers"),
    ("v4-header-post-boto3", auth_edit(r"Credential=[^,]+, ", ""), INCOMPLETE, "no-credential"),
    ("v4-header-post-boto3", auth_edit(r"$", ", Foo=bar"), INCOMPLETE, "unknown-part"),
    ("v4-header-post-boto3", auth_edit(r"^.*$", "AWS AKID:c2ln"), INCOMPLETE, "s3-v2-scheme"),
    ("v4-header-post-boto3", auth_edit(r"SHA256", "SHA1"), INCOMPLETE, "other-algorithm"),
    ("v4-header-post-boto3", auth_edit(r"^.*$", ""), INCOMPLETE, "empty-header"),
    ("v4-header-post-boto3", auth_edit(r"/ec2/", "/"), INCOMPLETE, "short-scope"),
    ("v4-header-post-boto3", auth_edit(r"aws4_request", "aws5_request"), INCOMPLETE, "term"),
    ("v4-header-post-boto3", auth_edit(r"Credential=\w+/", "Credential=/"), INCOMPLETE, "no-key"),
    ("v4-header-post-boto3", auth_edit(r"host;", ""), INCOMPLETE, "host-not-signed"),
    ("v4-header-post-boto3", auth_edit(r"host;", "host;host;"), INCOMPLETE, "host-twice"),
    ("v4-header-post-boto3", header_edit("x-amz-date", None), INCOMPLETE, "no-date"),
    ("v4-header-post-boto3", header_edit("x-amz-date", "2026-11-21T17:42:45Z"), INVALID, "iso"),
    ("v4-header-post-boto3", header_edit("x-amz-date", "20261321T174245Z"), INVALID, "month-13"),
    (
        "v4-header-post-boto3",
        both(header_edit("x-amz-date", None), header_edit("date", "yesterday")),
        INVALID,
        "unreadable-date",
    ),
    # SigV4, presigned
    *(
        ("v4-presigned-get", param_edit(f"X-Amz-{name}", None), INCOMPLETE, f"no-{name}")
        for name in ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature")
    ),
    ("v4-presigned-get", param_edit("X-Amz-Algorithm", "AWS4-HMAC-SHA1"), INCOMPLETE, "alg"),
    ("v4-presigned-get", duplicate("X-Amz-Signature"), INCOMPLETE, "signature-twice"),
    ("v4-presigned-get", param_edit("X-Amz-Credential", "AKID/x"), INCOMPLETE, "bad-scope"),
    ("v4-presigned-get", param_edit("X-Amz-SignedHeaders", "x"), INCOMPLETE, "host-not-signed"),
    ("v4-presigned-get", param_edit("X-Amz-Expires", "soon"), INVALID, "expires-words"),
    ("v4-presigned-get", param_edit("X-Amz-Expires", "0"), INVALID, "expires-0"),
    ("v4-presigned-get", param_edit("X-Amz-Expires", "604801"), INVALID, "expires-over-a-week"),
    ("v4-presigned-get", param_edit("X-Amz-Expires", "-1"), INVALID, "expires-negative"),
    (
        "v4-presigned-get",
        param_edit("X-Amz-Expires", "\uff13\uff10\uff10"),
        INVALID,
        "expires-fullwidth",
    ),
    ("v4-presigned-get", param_edit("X-Amz-Date", "2026-11-21"), INVALID, "date-unreadable"),
    # SigV2
    *(
        (case, param_edit(name, None), INCOMPLETE, f"{case}-no-{name}")
        for case in ("v2-sha256-get", "v2-sha1-post")
        for name in ("AWSAccessKeyId", "SignatureVersion", "SignatureMethod", "Signature")
    ),
    ("v2-sha256-get", param_edit("Timestamp", None), INCOMPLETE, "no-timestamp"),
    ("v2-sha256-get", param_edit("SignatureVersion", "1"), INCOMPLETE, "version-1"),
    ("v2-sha256-get", param_edit("SignatureVersion", "4"), INCOMPLETE, "version-4"),
    ("v2-sha256-get", param_edit("SignatureMethod", "HmacMD5"), INCOMPLETE, "hmac-md5"),
    ("v2-sha256-get", duplicate("AWSAccessKeyId"), INCOMPLETE, "key-twice"),
    ("v2-sha256-get", duplicate("Timestamp"), INCOMPLETE, "timestamp-twice"),
    # Two signatures in one request
    ("v4-header-post-boto3", param_edit("AWSAccessKeyId", ACCESS_KEY), INCOMPLETE, "v4-and-v2"),
    ("v4-header-get-libcloud", param_edit("X-Amz-Signature", "0"), INCOMPLETE, "v4-twice"),
    ("v4-presigned-get", param_edit("Signature", "c2ln"), INCOMPLETE, "presigned-and-v2"),
    ("v2-sha256-get", header_edit("authorization", "AWS4-HMAC-SHA256 x"), INCOMPLETE, "v2-v4"),
]


@pytest.mark.parametrize(
    ("case", "edit", "code"), [pytest.param(*row[:3], id=row[3]) for row in REFUSALS]
)
def test_malformed_signature_is_refused_before_the_secret_is_looked_up(
    case: str, edit: Edit, code: str
) -> None:
    request = edit(CASES[case]())
    with pytest.raises(SignatureError) as caught:
        credential_of(request)
    assert (caught.value.code, caught.value.status) == (code, 400)
    assert caught.value.message


def test_incomplete_signature_message_names_what_is_missing() -> None:
    request = edit_authorization(boto3_post(), r", SignedHeaders=[^,]+, Signature=\w+", "")
    with pytest.raises(SignatureError) as caught:
        credential_of(request)
    assert caught.value.message == (
        "Authorization header requires 'SignedHeaders' parameter."
        " Authorization header requires 'Signature' parameter."
    )


def test_missing_signed_header_is_signature_does_not_match() -> None:
    request = with_header(boto3_post(), "content-type", None)
    error = refusal(request)
    assert (error.code, error.status) == ("SignatureDoesNotMatch", 403)
    assert "content-type" in error.message


def unsigned(method: str, **kwargs: Any) -> SignedRequest:
    request = AWSRequest(method, ENDPOINT + "/", **kwargs)
    return received(request.prepare())


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(unsigned("GET", params={"Action": "DescribeRegions"}), id="get"),
        pytest.param(
            unsigned("POST", data=BOTO3_BODY, headers={"Content-Type": FORM}), id="post-form"
        ),
        pytest.param(unsigned("GET", headers={"X-Amz-Date": "20261121T174245Z"}), id="date-only"),
        pytest.param(
            unsigned("GET", params={"Timestamp": "2026-11-21T17:42:45Z", "X-Amz-Date": "x"}),
            id="times-only",
        ),
        pytest.param(unsigned("GET"), id="nothing"),
    ],
)
def test_no_signature_at_all_is_auth_failure(request_: SignedRequest) -> None:
    with pytest.raises(SignatureError) as caught:
        credential_of(request_)
    assert (caught.value.code, caught.value.status) == ("AuthFailure", 401)
    assert caught.value.message == "AWS was not able to validate the provided access credentials"


# --- the interface ------------------------------------------------------------------------------


def test_verify_refuses_a_credential_read_from_another_request() -> None:
    request = boto3_post()
    with pytest.raises(ValueError, match="credential"):
        verify(request, Credential(ACCESS_KEY, 2), SECRET, signed_at(request))
    with pytest.raises(ValueError, match="credential"):
        verify(request, Credential("AKIDOTHER", 4), SECRET, signed_at(request))


def test_verify_needs_an_aware_now() -> None:
    request = boto3_post()
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(request, credential_of(request), SECRET, signed_at(request).replace(tzinfo=None))


def test_signature_error_carries_code_message_and_status() -> None:
    error = SignatureError("RequestExpired", "Request has expired.", 400)
    assert (error.code, error.message, error.status) == (
        "RequestExpired",
        "Request has expired.",
        400,
    )
    assert str(error) == "RequestExpired (400): Request has expired."
    assert isinstance(error, Exception)
