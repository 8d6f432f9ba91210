"""CloudStack HMAC-SHA1 signatures: the golden vectors of spec §1.2, each client's encoding, and
the v3 ``expires`` formats.

The reference signers below are written out here, byte by byte, from the spec's description of
each client, so the module under test never checks itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import string
from collections.abc import Callable, Sequence
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.native.signature import canonical_strings, parse_expires, sign, verify

Pairs = Sequence[tuple[str, str]]

JAVA_UNRESERVED = frozenset(string.ascii_letters + string.digits + ".-*_")


def java_urlencode(value: str) -> str:
    """``java.net.URLEncoder.encode(value, "UTF-8")``: keep ``A-Za-z0-9.-*_``, space as ``+``."""
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char in JAVA_UNRESERVED:
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def hmac_sha1(canonical: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def server_canonical(params: Pairs) -> str:
    """ApiServer.verifyRequest: raw-name sort, URLEncoder with ``+`` as ``%20``, lowercased."""
    pairs = sorted(params)
    return "&".join(f"{k}={java_urlencode(v).replace('+', '%20')}" for k, v in pairs).lower()


def server_signature(params: Pairs, secret: str) -> str:
    return hmac_sha1(server_canonical(params), secret)


def cs_signature(params: Pairs, secret: str) -> str:
    """cs ``_sign``: ``quote(v, safe="*")``, which leaves ``~`` literal."""
    pairs = sorted(params)
    return hmac_sha1("&".join(f"{k}={quote(v, safe='*')}" for k, v in pairs).lower(), secret)


def libcloud_signature(params: Pairs, secret: str) -> str:
    """libcloud ``_make_signature``: lowercased names, ``urlquote(v, safe="[]*")``."""
    pairs = sorted(((k.lower(), v) for k, v in params), key=lambda pair: pair[0])
    canonical = "&".join(f"{k}={quote(v, safe='[]*')}" for k, v in pairs)
    return hmac_sha1(canonical.lower(), secret)


def marvin_signature(params: Pairs, secret: str) -> str:
    """Old Marvin on Python 2: lowercased names, ``quote_plus`` encoding ``*`` and ``~``."""
    pairs = sorted(params, key=lambda pair: pair[0].lower())
    values = [(k, quote(v, safe="").replace("~", "%7E")) for k, v in pairs]
    return hmac_sha1("&".join(f"{k}={v}" for k, v in values).lower(), secret)


def cs_params(*extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("apiKey", "foo"), ("response", "json"), *extra)


def libcloud_params(*extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("apiKey", "fnord"), ("response", "json"), *extra)


DEPLOY_FRED = (
    ("command", "deployVirtualMachine"),
    ("name", "fred"),
    ("serviceofferingid", "5"),
    ("templateid", "17"),
    ("zoneid", "23"),
    ("networkids", "42"),
)

# (params, secret, signature): the spec §1.2 table, row by row, then two more from the same files.
VECTORS = [
    pytest.param(
        cs_params(("command", "listVirtualMachines"), ("listall", "true")),
        "bar",
        "B0d6hBsZTcFVCiioSxzwKA9Pke8=",
        id="cs-listall",
    ),
    pytest.param(
        cs_params(("command", "listVirtualMachines"), ("listall", "1"), ("unicode_param", "éèààû")),
        "bar",
        "gABU/KFJKD3FLAgKDuxQoryu4sA=",
        id="cs-unicode",
    ),
    pytest.param(
        cs_params(
            ("command", "scaleVirtualMachine"),
            ("id", "a"),
            ("details[0].cpunumber", "1000"),
            ("details[0].memory", "640k"),
        ),
        "bar",
        "ZNl66z3gFhnsx2Eo3vvCIM0kAgI=",
        id="cs-details-map",
    ),
    pytest.param(
        cs_params(("command", "createNetwork"), ("name", ""), ("display_text", "")),
        "bar",
        "CistTEiPt/4Rv1v4qSyILvPbhmg=",
        id="cs-empty-values",
    ),
    pytest.param(
        cs_params(
            ("command", "listVirtualMachines"),
            ("zoneId", "2"),
            ("templateId", "3"),
            ("temPlateidd", "4"),
            ("pageSize", "10"),
            ("page", "1"),
        ),
        "bar",
        "mMS7XALuGkCXk7kj5SywySku0Z0=",
        id="cs-case-sensitive-order",
    ),
    pytest.param(
        libcloud_params(("command", "listVirtualMachines")),
        "abracadabra",
        "z/a9Y7J52u48VpqIgiwaGUMCso0=",
        id="libcloud-list",
    ),
    pytest.param(
        libcloud_params(*DEPLOY_FRED, ("displayname", "George+Ringo")),
        "abracadabra",
        "tAgfrreI1ZvWlWLClD3gu4+aKv4=",
        id="libcloud-deploy-plus",
    ),
    pytest.param(
        (
            ("apiKey", "key"),
            ("response", "json"),
            ("command", "someApiCall"),
            ("arg1", "test"),
            ("arg2", "42"),
            ("signatureVersion", "3"),
            ("expires", "2019-01-01T01:00:00+0000"),
        ),
        "secret",
        "8KNWCEMTMhcMm8LG3nhAy4RSlhE=",
        id="clostack-v3",
    ),
    # Not in the spec's table: more cases from libcloud's test_signature_algorithm and cs's tests.
    pytest.param(
        libcloud_params(*DEPLOY_FRED, ("displayname", "George")),
        "abracadabra",
        "gHTo7mYmadZ+zluKHzlEKb1i/QU=",
        id="libcloud-deploy",
    ),
    pytest.param(
        cs_params(
            ("command", "listVirtualMachines"),
            ("foo", "foo,bar"),
            ("bar[0].baz", "blah"),
            ("bar[0].foo", "1000"),
            ("bytes_param", "blah"),
        ),
        "bar",
        "ImJ/5F0P2RDL7yn4LdLnGcEx5WE=",
        id="cs-transform",
    ),
]


@pytest.mark.parametrize(("params", "secret", "signature"), VECTORS)
def test_golden_vector_verifies(params: Pairs, secret: str, signature: str) -> None:
    assert verify(params, signature, secret)


@pytest.mark.parametrize(("params", "secret", "signature"), VECTORS)
def test_golden_vector_is_the_server_string_signed(
    params: Pairs, secret: str, signature: str
) -> None:
    canonical = canonical_strings(params)[0]
    assert canonical == server_canonical(params)
    assert sign(canonical, secret) == signature


def test_reference_canonical_string_from_cs() -> None:
    params = cs_params(("command", "listVirtualMachines"), ("listall", "true"))
    # Nothing to encode and no names that sort differently once lowercased: one string.
    assert canonical_strings(params) == (
        "apikey=foo&command=listvirtualmachines&listall=true&response=json",
    )


def test_unicode_is_encoded_before_lowercasing() -> None:
    params = cs_params(("unicode_param", "é"))
    assert "unicode_param=%c3%a9" in canonical_strings(params)[0]


def change_last_value(params: Pairs) -> list[tuple[str, str]]:
    *rest, (name, value) = params
    return [*rest, (name, value + "1")]


TAMPERINGS: list[tuple[str, Callable[[Pairs], list[tuple[str, str]]], Callable[[str], str]]] = [
    ("changed-value", change_last_value, str),
    ("extra-param", lambda params: [*params, ("extra", "1")], str),
    ("dropped-param", lambda params: list(params[1:]), str),
    ("wrong-secret", list, lambda secret: secret + "x"),
]


@pytest.mark.parametrize(("params", "secret", "signature"), VECTORS)
@pytest.mark.parametrize(
    ("tamper_params", "tamper_secret"),
    [pytest.param(p, s, id=name) for name, p, s in TAMPERINGS],
)
def test_tampered_vector_fails(
    params: Pairs,
    secret: str,
    signature: str,
    tamper_params: Callable[[Pairs], list[tuple[str, str]]],
    tamper_secret: Callable[[str], str],
) -> None:
    assert not verify(tamper_params(params), signature, tamper_secret(secret))


def test_plus_turned_into_space_by_form_decoding_still_verifies() -> None:
    params = libcloud_params(*DEPLOY_FRED, ("displayname", "George+Ringo"))
    assert verify(params, "tAgfrreI1ZvWlWLClD3gu4 aKv4=", "abracadabra")


def test_non_ascii_signature_is_refused_not_an_error() -> None:
    assert not verify(cs_params(("command", "listZones")), "é" * 28, "bar")


# ngine-io/ansible-collection-cloudstack#85: an addHost password with "~" failed to verify.
TILDE_PARAMS = cs_params(("command", "addHost"), ("password", "Of4N~H$JP9"))


def test_tilde_java_and_python_quote_signatures_both_verify() -> None:
    java, python = server_signature(TILDE_PARAMS, "bar"), cs_signature(TILDE_PARAMS, "bar")
    assert java != python
    assert verify(TILDE_PARAMS, java, "bar")
    assert verify(TILDE_PARAMS, python, "bar")


def test_tilde_is_encoded_in_the_server_string() -> None:
    assert "password=of4n%7eh%24jp9" in canonical_strings(TILDE_PARAMS)[0]


STAR_PARAMS = cs_params(("command", "listVirtualMachines"), ("keyword", "web*"))


def test_star_is_literal_in_the_server_string() -> None:
    assert "keyword=web*" in canonical_strings(STAR_PARAMS)[0]


def test_star_java_and_percent_encoded_signatures_both_verify() -> None:
    java, marvin = server_signature(STAR_PARAMS, "bar"), marvin_signature(STAR_PARAMS, "bar")
    assert java != marvin
    assert verify(STAR_PARAMS, java, "bar")
    assert verify(STAR_PARAMS, marvin, "bar")


BRACKET_PARAMS = cs_params(
    ("command", "createTags"),
    ("resourceIds", "[1]"),
    ("tags[0].key", "k"),
    ("tags[0].value", "v"),
)


def test_bracket_names_are_not_encoded() -> None:
    assert canonical_strings(BRACKET_PARAMS)[0] == (
        "apikey=foo&command=createtags&resourceids=%5b1%5d&response=json"
        "&tags[0].key=k&tags[0].value=v"
    )


def test_libcloud_brackets_in_values_verify() -> None:
    libcloud = libcloud_signature(BRACKET_PARAMS, "bar")
    assert libcloud != server_signature(BRACKET_PARAMS, "bar")
    assert verify(BRACKET_PARAMS, libcloud, "bar")


def test_lowercase_name_order_verifies() -> None:
    # "temPlateidd" sorts before "templateId" as raw names, after it once lowercased.
    params = cs_params(("command", "listTemplates"), ("templateId", "3"), ("temPlateidd", "4"))
    libcloud = libcloud_signature(params, "bar")
    assert libcloud != server_signature(params, "bar")
    assert verify(params, libcloud, "bar")


def test_repeated_name_signs_its_first_value() -> None:
    params = cs_params(("command", "listZones"), ("name", "first"), ("name", "second"))
    first_only = cs_params(("command", "listZones"), ("name", "first"))
    second_only = cs_params(("command", "listZones"), ("name", "second"))
    assert verify(params, server_signature(first_only, "bar"), "bar")
    assert not verify(params, server_signature(second_only, "bar"), "bar")


NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,9}(\[[0-9]\]\.[A-Za-z]{1,6})?", fullmatch=True)
VALUES = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20)
PARAM_DICTS = st.dictionaries(NAMES, VALUES, min_size=1, max_size=8).filter(
    lambda d: "signature" not in {name.lower() for name in d} and any(d.values())
)


@given(params=PARAM_DICTS, data=st.data())
def test_java_signature_verifies_and_any_changed_character_breaks_it(
    params: dict[str, str], data: st.DataObject
) -> None:
    pairs = list(params.items())
    signature = server_signature(pairs, "s3cret")
    assert verify(pairs, signature, "s3cret")

    name = data.draw(st.sampled_from([name for name, value in pairs if value]), label="name")
    value = params[name]
    at = data.draw(st.integers(0, len(value) - 1), label="at")
    char = data.draw(st.characters(exclude_categories=("Cc", "Cs")), label="char")
    # Lowercasing the canonical string makes "A" and "a" sign alike; that is the server's rule.
    assume(char.lower() != value[at].lower())
    changed = {**params, name: value[:at] + char + value[at + 1 :]}
    assert not verify(list(changed.items()), signature, "s3cret")


UTC = dt.UTC
ONE_AM = dt.datetime(2019, 1, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2019-01-01T01:00:00+00:00", ONE_AM, id="iso-offset"),
        pytest.param("2019-01-01T03:30:00+02:30", ONE_AM, id="iso-other-offset"),
        pytest.param("2019-01-01T01:00:00Z", ONE_AM, id="iso-instant"),
        pytest.param("2019-01-01T01:00Z", ONE_AM, id="iso-without-seconds"),
        pytest.param("2019-01-01t01:00:00z", ONE_AM, id="iso-lowercase"),
        pytest.param("2019-01-01T01:00:00+0000", ONE_AM, id="cs-clostack"),
        pytest.param("2018-12-31T20:00:00-0500", ONE_AM, id="negative-offset"),
        pytest.param(
            "2019-01-01T01:00:00.5+00:00",
            ONE_AM.replace(microsecond=500000),
            id="iso-fraction",
        ),
        pytest.param(
            "2019-01-01T01:00:00.123456789Z",
            ONE_AM.replace(microsecond=123456),
            id="iso-nanoseconds",
        ),
        pytest.param(
            "2019-01-01T01:00:00.123456+0000",
            ONE_AM.replace(microsecond=123456),
            id="micros-hhmm",
        ),
        pytest.param(
            "2019-01-01T02:00:00.123456+01",
            ONE_AM.replace(microsecond=123456),
            id="micros-hours-only",
        ),
        pytest.param("2019-01-01T01:00:00Z+0000", ONE_AM, id="legacy"),
        pytest.param("2019-01-01T03:00:00Z+0200", ONE_AM, id="legacy-offset"),
    ],
)
def test_parse_expires(text: str, expected: dt.datetime) -> None:
    parsed = parse_expires(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("tomorrow", id="words"),
        pytest.param("1546304400", id="epoch"),
        pytest.param("2019-01-01", id="date-only"),
        pytest.param("2019-01-01T01:00:00", id="no-offset"),
        pytest.param("2019-01-01 01:00:00Z", id="space-separator"),
        pytest.param("2019-02-30T01:00:00Z", id="february-30"),
        pytest.param("2019-01-01T24:00:00Z", id="hour-24"),
        pytest.param("2019-01-01T01:00:00+19:00", id="offset-beyond-18h"),
        pytest.param("2019-01-01T01:00:00+0060", id="offset-minute-60"),
        pytest.param("2019-01-01T01:00:00.123+0000", id="three-digits-with-hhmm"),
        pytest.param("2019-01-01T01:00:00.123456+013", id="three-digit-offset"),
        pytest.param("2019-01-01T01:00:00ZZ", id="double-z"),
        pytest.param("2019-01-01T01:00:00Z+00:00", id="legacy-with-colon"),
        pytest.param("2019-01-01T01:00:00+00:00 ", id="trailing-space"),
    ],
)
def test_parse_expires_refuses(text: str) -> None:
    assert parse_expires(text) is None
