"""Shape checks the tests share: error envelopes, UUIDs and CloudStack's timestamps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from conformance.native.client import Reply

# yyyy-MM-dd'T'HH:mm:ssZ, e.g. 2013-09-05T06:19:59-0400 (spec §1.5)
DATE: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}")
UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Fields that hold a resource's id wherever they appear; CloudMonkey does resource["id"].(string)
# and panics on a number, so each must be a UUID string (spec §1.8). deviceid, a number, is not.
ID_FIELDS: Final = frozenset(
    {"id", "jobid", "jobinstanceid", "accountid", "userid", "domainid", "ruleid", "zoneid"}
)
DATE_FIELDS: Final = frozenset({"created", "completed"})


def response_name(command: str) -> str:
    return f"{command.lower()}response"


def error_text(reply: Reply, status: int, envelope: str) -> str:
    """Checks CloudStack's error envelope (spec §1.6) and returns its ``errortext``:
    ``{"<envelope>": {"uuidList": [], "errorcode": N, "cserrorcode": M, "errortext": "…"}}``
    with the HTTP status equal to ``errorcode``."""
    body = reply.body
    assert (reply.status, reply.name) == (status, envelope), (
        f"expected HTTP {status} in {envelope}, got {reply.status} {reply.name}: {body}"
    )
    assert body.get("errorcode") == status and type(body["errorcode"]) is int, body
    assert type(body.get("cserrorcode")) is int, f"cserrorcode missing or not a number: {body}"
    assert isinstance(body.get("uuidList"), list), f"uuidList missing or not a list: {body}"
    text = body.get("errortext")
    assert isinstance(text, str) and text, f"errortext missing or empty: {body}"
    return text


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a JSON document, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from walk(inner)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def assert_ids_and_dates(document: Any) -> int:
    """Every id field is a UUID string and every date CloudStack's format; returns how many
    fields were checked, so a test can insist that it checked something."""
    checked = 0
    for key, value in walk(document):
        if key in ID_FIELDS and value is not None:
            assert isinstance(value, str) and UUID.fullmatch(value), f"{key}={value!r}: no UUID"
            checked += 1
        elif key in DATE_FIELDS:
            assert isinstance(value, str) and DATE.fullmatch(value), f"{key}={value!r}: bad date"
            checked += 1
    return checked
