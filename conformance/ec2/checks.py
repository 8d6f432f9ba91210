"""What the tests share: the code and status of an error, id shapes, waiter settings and the
XML of a raw answer."""

from __future__ import annotations

import re
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx
from botocore.exceptions import ClientError

# Waiters poll every second for up to ten minutes: a real cloud needs about a minute to stop
# an instance, and a quick server answers on the first or second poll.
WAIT: Final = {"Delay": 1, "MaxAttempts": 600}

# Ingress rules every EC2 refuses with InvalidParameterValue, by name.
BAD_PERMISSIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "malformed-cidr": {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "x/33"}],
    },
    "ports-backwards": {
        "IpProtocol": "tcp",
        "FromPort": 90,
        "ToPort": 80,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    },
}

# ``prefix-`` and 17 lower-case hex digits, or the older 8 (spec §2.8).
_HEX_ID: Final = r"(?:[0-9a-f]{17}|[0-9a-f]{8})"


def until(condition: Callable[[], bool], what: str) -> None:
    """Polls ``condition`` as a waiter would, for what botocore has no waiter for; a cloud may
    take a moment (eventual consistency) before a change shows."""
    deadline = time.monotonic() + WAIT["Delay"] * WAIT["MaxAttempts"]
    while not condition():
        assert time.monotonic() < deadline, f"still not so: {what}"
        time.sleep(0.25)


def until_not_found(describe: Callable[[], object], not_found: str) -> None:
    """Polls a describe-by-id of a deleted resource until it answers ``not_found`` (400); any
    other error fails at once."""

    def gone() -> bool:
        try:
            describe()
        except ClientError as error:
            assert error_of(error) == (not_found, 400), error
            return True
        return False

    until(gone, f"a deleted resource is still described, not {not_found}")


def id_pattern(prefix: str) -> re.Pattern[str]:
    """An EC2 id of one kind: ``i``, ``r``, ``vol``, ``snap``, ``sg``, ``key``, ``ami``."""
    return re.compile(f"{re.escape(prefix)}-{_HEX_ID}")


def unknown(prefix: str) -> str:
    """A well-formed id of a kind (17 hex digits) that no one has."""
    return f"{prefix}-0{secrets.token_hex(8)}"


def error_of(error: ClientError) -> tuple[str, int]:
    """(``Code``, HTTP status) of an error answer as botocore parsed it."""
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def refused(
    call: Callable[[], Mapping[str, Any]],
    created: Callable[[Mapping[str, Any]], object] | None = None,
) -> tuple[str, int]:
    """(code, status) of a call that must fail, with its envelope checked: a message and a
    request id (spec §2.6). Should a create succeed after all, ``created`` is handed its answer
    first, so the resource is tracked for cleanup before the test fails."""
    try:
        answer = call()
    except ClientError as error:
        assert error.response["Error"].get("Message"), f"no Message: {error.response}"
        assert error.response["ResponseMetadata"].get("RequestId"), f"no RequestID: {error}"
        return error_of(error)
    if created is not None:
        created(answer)
    raise AssertionError(f"expected an error, the call succeeded: {answer}")


def colon_hex(digest: bytes) -> str:
    """``1f:8b:...``, as key fingerprints are shown."""
    return ":".join(f"{byte:02x}" for byte in digest)


# The raw wire.


def namespace_and_name(tag: str) -> tuple[str, str]:
    """``{uri}Name`` → (``uri``, ``Name``); a tag with no namespace gives ``""``."""
    if tag.startswith("{"):
        uri, _, name = tag[1:].partition("}")
        return uri, name
    return "", tag


def xml_of(response: httpx.Response) -> ET.Element:
    content_type = response.headers.get("content-type", "")
    assert "xml" in content_type, f"HTTP {response.status_code}, Content-Type {content_type!r}"
    return ET.fromstring(response.content)


def error_envelope(response: httpx.Response) -> tuple[int, str]:
    """Checks EC2's error envelope (spec §2.6) and returns (status, ``Code``):
    ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``."""
    root = xml_of(response)
    assert root.tag == "Response", f"error root {root.tag!r}: {response.text[:500]}"
    code = root.findtext("Errors/Error/Code")
    assert code, f"no Errors/Error/Code: {response.text[:500]}"
    assert root.findtext("Errors/Error/Message"), f"no Message: {response.text[:500]}"
    assert root.findtext("RequestID"), f"no RequestID: {response.text[:500]}"
    return response.status_code, code
