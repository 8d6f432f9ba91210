"""The HMAC-SHA1 signature (spec §1.2), its client variants, refusals, and signatureVersion=3
with ``expires`` (spec §1.3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from conformance.native.checks import error_text
from conformance.native.client import (
    Keys,
    NativeClient,
    canonical,
    java_encode,
    python_encode,
    read_json,
    sign,
    signature_of,
)

# Every character class the encodings disagree on: space, "*", "~", reserved, non-ASCII.
AWKWARD = "a b*c~d/e+f&g=h%i é"


@pytest.mark.parametrize(
    ("params", "signature"),
    [
        pytest.param(
            {"command": "listVirtualMachines", "listall": "true", "response": "json"},
            "B0d6hBsZTcFVCiioSxzwKA9Pke8=",
            id="cs",
        ),
        pytest.param(
            {"command": "listVirtualMachines", "listall": "1", "unicode_param": "éèààû"},
            "gABU/KFJKD3FLAgKDuxQoryu4sA=",
            id="cs-unicode",
        ),
        pytest.param(
            {
                "command": "listVirtualMachines",
                "zoneId": "2",
                "templateId": "3",
                "temPlateidd": "4",
                "pageSize": "10",
                "page": "1",
            },
            "mMS7XALuGkCXk7kj5SywySku0Z0=",
            id="cs-case-sensitive-order",
        ),
    ],
)
def test_the_suite_signs_like_cloudstack(params: dict[str, str], signature: str) -> None:
    """The suite's own signer against the golden vectors of spec §1.2 (key foo, secret bar), so
    that a 401 below is the server's doing, not the suite's."""
    assert sign({**params, "response": "json"}, Keys("foo", "bar"))["signature"] == signature


def test_java_exact_encoding_is_accepted(client: NativeClient) -> None:
    reply = client.call("listSSHKeyPairs", {"keyword": AWKWARD})
    assert (reply.status, reply.body) == (200, {})


def test_java_exact_encoding_is_accepted_in_a_post_body(client: NativeClient) -> None:
    reply = read_json(client.post(client.signed("listSSHKeyPairs", {"keyword": AWKWARD})))
    assert (reply.status, reply.body) == (200, {})


@pytest.mark.usefixtures("client_variants")
@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(java_encode, id="tilde-encoded"),
        pytest.param(python_encode, id="tilde-literal"),
    ],
)
def test_tilde_may_be_signed_literal_or_encoded(
    client: NativeClient, encode: Callable[[str], str]
) -> None:
    """Java encodes ``~`` as ``%7E``; Python's ``quote`` (cs) and Go (CloudMonkey) do not."""
    params = {"command": "listSSHKeyPairs", "response": "json", "keyword": "a~b"}
    assert java_encode("a~b") != python_encode("a~b")
    reply = read_json(client.get(sign(params, client.keys, encode=encode)))
    assert (reply.status, reply.body) == (200, {})


@pytest.mark.usefixtures("client_variants")
def test_names_may_be_sorted_lowercased(client: NativeClient) -> None:
    """libcloud and old Marvin sort lowercased names; with ``Keyword`` that order differs from
    Java's case-sensitive one (uppercase sorts first)."""
    params = {"command": "listSSHKeyPairs", "response": "json", "Keyword": "a~b", "apiKey": "k"}
    assert canonical(params, lower_sort=True) != canonical(params)
    signed = sign(params, client.keys, lower_sort=True)
    reply = read_json(client.get(signed))
    assert (reply.status, reply.body) == (200, {})


def _tampered_value(client: NativeClient) -> dict[str, str]:
    params = client.signed("listSSHKeyPairs", {"name": "signed"})
    return {**params, "name": "changed"}


def _wrong_secret(client: NativeClient) -> dict[str, str]:
    params = {"command": "listSSHKeyPairs", "response": "json"}
    return sign(params, Keys(client.keys.api_key, client.keys.secret_key[::-1] + "x"))


def _unknown_key(client: NativeClient) -> dict[str, str]:
    return sign({"command": "listSSHKeyPairs", "response": "json"}, Keys("nosuchkey", "x"))


def _added_parameter(client: NativeClient) -> dict[str, str]:
    return {**client.signed("listSSHKeyPairs"), "keyword": "unsigned"}


def _removed_parameter(client: NativeClient) -> dict[str, str]:
    params = client.signed("listSSHKeyPairs", {"name": "signed"})
    del params["name"]
    return params


def _no_signature(client: NativeClient) -> dict[str, str]:
    params = client.signed("listSSHKeyPairs")
    del params["signature"]
    return params


def _garbled_signature(client: NativeClient) -> dict[str, str]:
    params = client.signed("listSSHKeyPairs")
    return {**params, "signature": params["signature"][::-1]}


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(_tampered_value, id="value-changed-after-signing"),
        pytest.param(_wrong_secret, id="wrong-secret"),
        pytest.param(_unknown_key, id="unknown-api-key"),
        pytest.param(_added_parameter, id="unsigned-parameter-added"),
        pytest.param(_removed_parameter, id="signed-parameter-removed"),
        pytest.param(_no_signature, id="no-signature"),
        pytest.param(_garbled_signature, id="garbled-signature"),
    ],
)
def test_unverifiable_requests_are_401(
    client: NativeClient, build: Callable[[NativeClient], dict[str, str]]
) -> None:
    reply = read_json(client.get(build(client)))
    error_text(reply, 401, "listsshkeypairsresponse")
    assert list(reply.response.json()) == ["listsshkeypairsresponse"]


def test_unsigned_request_without_session_is_401(client: NativeClient) -> None:
    reply = read_json(client.get({"command": "listZones", "response": "json"}))
    error_text(reply, 401, "listzonesresponse")


def _v3(client: NativeClient, expires: str | None) -> tuple[int, str]:
    params = {"command": "listZones", "response": "json", "signatureVersion": "3"}
    if expires is not None:
        params["expires"] = expires
    reply = read_json(client.get(sign(params, client.keys)))
    return reply.status, reply.name


UTC = dt.UTC
PLUS_5 = dt.timezone(dt.timedelta(hours=5))
MINUS_5 = dt.timezone(dt.timedelta(hours=-5))

# The formats DateUtil.parseTZDateString reads (spec §1.3), each as strftime pattern and zone.
FORMATS = [
    pytest.param("%Y-%m-%dT%H:%M:%S%z", UTC, id="+0000"),
    pytest.param("%Y-%m-%dT%H:%M:%S+00:00", UTC, id="+00:00"),
    pytest.param("%Y-%m-%dT%H:%M:%SZ", UTC, id="Z"),
    pytest.param("%Y-%m-%dT%H:%M:%S.%fZ", UTC, id="micros-Z"),
    pytest.param("%Y-%m-%dT%H:%M:%S.%f%z", UTC, id="micros-+0000"),
    pytest.param("%Y-%m-%dT%H:%M:%SZ%z", UTC, id="legacy-'Z'Z"),
]


@pytest.mark.parametrize(("pattern", "zone"), FORMATS)
def test_v3_with_future_expires_is_accepted(
    client: NativeClient, pattern: str, zone: dt.timezone
) -> None:
    expires = (dt.datetime.now(UTC) + dt.timedelta(minutes=5)).astimezone(zone)
    assert _v3(client, expires.strftime(pattern)) == (200, "listzonesresponse")


@pytest.mark.parametrize(("pattern", "zone"), FORMATS)
def test_v3_with_past_expires_is_401(client: NativeClient, pattern: str, zone: dt.timezone) -> None:
    expires = (dt.datetime.now(UTC) - dt.timedelta(minutes=10)).astimezone(zone)
    assert _v3(client, expires.strftime(pattern)) == (401, "listzonesresponse")


def test_v3_expires_offsets_are_honoured(client: NativeClient) -> None:
    """A future instant written at -05:00 looks past if the offset is ignored, and a past one
    written at +05:00 looks future."""
    now = dt.datetime.now(UTC)
    future = (now + dt.timedelta(minutes=5)).astimezone(MINUS_5)
    past = (now - dt.timedelta(minutes=10)).astimezone(PLUS_5)
    assert _v3(client, future.strftime("%Y-%m-%dT%H:%M:%S%z")) == (200, "listzonesresponse")
    assert _v3(client, past.strftime("%Y-%m-%dT%H:%M:%S%z")) == (401, "listzonesresponse")


@pytest.mark.parametrize(
    "expires",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("tomorrow", id="unreadable"),
    ],
)
def test_v3_without_a_valid_expires_is_401(client: NativeClient, expires: str | None) -> None:
    assert _v3(client, expires) == (401, "listzonesresponse")


def test_signature_is_plain_base64_hmac_sha1(client: NativeClient) -> None:
    """Built by hand, without the suite's ``sign``: the server checks exactly this string."""
    params = {"apiKey": client.keys.api_key, "command": "listZones", "response": "json"}
    text = f"apikey={client.keys.api_key}&command=listzones&response=json".lower()
    assert canonical(params) == text
    params["signature"] = signature_of(text, client.keys.secret_key)
    assert read_json(client.get(params)).status == 200
