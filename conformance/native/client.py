"""A deliberately small CloudStack client for the conformance suite.

It is written from the protocol description (spec §1.2), not from any server's code, so that
the suite checks a server against CloudStack's rules instead of mirroring our own
implementation. Only what the tests need is here: sign a parameter map, send it by GET, by POST
form or split between the two, read the one ``<command>response`` envelope, and poll an async
job until it is over.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import httpx

JOB_PENDING: Final = 0
JOB_SUCCEEDED: Final = 1
JOB_FAILED: Final = 2

Params = Mapping[str, str]
Encoder = Callable[[str], str]


def java_encode(value: str) -> str:
    """``URLEncoder.encode(value, "UTF-8")`` with ``+`` turned into ``%20``, as CloudStack's
    ``ApiServer.verifyRequest`` does: only ``A-Za-z0-9 . - * _`` stay literal, ``~`` is ``%7E``.

    ``quote`` never encodes ``~`` whatever ``safe`` says, so it is replaced afterwards.
    """
    return quote(value, safe="*-._").replace("~", "%7E")


def python_encode(value: str) -> str:
    """What Python 3 clients (``cs``) send: ``quote(value, safe="*")``, which leaves ``~``
    literal. CloudStack users meet it in practice, so a server is expected to accept it."""
    return quote(value, safe="*")


def canonical(params: Params, *, encode: Encoder = java_encode, lower_sort: bool = False) -> str:
    """The string CloudStack signs: every parameter but ``signature``, sorted by raw name
    (case-sensitive, like ``Collections.sort``; ``lower_sort`` sorts lowercased names as
    libcloud does), ``name=encoded value`` joined by ``&``, names not encoded, all lowercased."""
    names = sorted((n for n in params if n.lower() != "signature"), key=_sort_key(lower_sort))
    return "&".join(f"{name}={encode(params[name])}" for name in names).lower()


def _sort_key(lower_sort: bool) -> Callable[[str], str]:
    return str.lower if lower_sort else str


def signature_of(text: str, secret_key: str) -> str:
    """HMAC-SHA1 over the canonical string with the secret key, standard Base64 with padding."""
    digest = hmac.new(secret_key.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class Keys:
    """An API key pair of one user."""

    api_key: str
    secret_key: str


def sign(
    params: Params,
    keys: Keys,
    *,
    encode: Encoder = java_encode,
    lower_sort: bool = False,
    key_name: str = "apiKey",
) -> dict[str, str]:
    """``params`` plus the API key (under ``key_name``: CloudStack matches it in any case) and
    the ``signature`` over both."""
    with_key = {**params, key_name: keys.api_key}
    text = canonical(with_key, encode=encode, lower_sort=lower_sort)
    return {**with_key, "signature": signature_of(text, keys.secret_key)}


@dataclass(frozen=True, slots=True)
class Target:
    """The endpoint and credentials the suite was pointed at."""

    endpoint: str
    keys: Keys
    other_keys: Keys | None
    username: str | None
    password: str | None
    domain: str
    page_size_cap: int
    java_exact_only: bool


@dataclass(frozen=True, slots=True)
class Login:
    """A user's password login, for ``command=login``."""

    endpoint: str
    username: str
    password: str
    domain: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer: the status, and for JSON the single envelope split into its name and
    the object inside it (an answer with more than one top-level key is refused here, because
    clients such as ``cs`` break on it)."""

    status: int
    name: str
    body: dict[str, Any]
    response: httpx.Response

    @property
    def is_error(self) -> bool:
        return "errorcode" in self.body


def read_json(response: httpx.Response) -> Reply:
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/json"), (
        f"HTTP {response.status_code}: expected JSON, got {content_type!r}: {response.text[:300]}"
    )
    document = response.json()
    assert isinstance(document, dict) and len(document) == 1, (
        f"expected exactly one top-level key, got {document!r}"
    )
    [(name, body)] = document.items()
    assert isinstance(body, dict), f"{name} holds {body!r}, not an object"
    return Reply(response.status_code, name, body, response)


class NativeClient:
    """Signed calls for one user against one endpoint, always asking for JSON unless told.

    ``call`` returns whatever the server said (errors included) so a test can assert on it;
    ``ok`` insists on success and returns the object inside the envelope.
    """

    def __init__(self, http: httpx.Client, endpoint: str, keys: Keys) -> None:
        self.http = http
        self.endpoint = endpoint
        self.keys = keys

    def signed(self, command: str, params: Params | None = None) -> dict[str, str]:
        return sign({"command": command, "response": "json", **(params or {})}, self.keys)

    def get(self, params: Params) -> httpx.Response:
        """Send already-built parameters in the query string."""
        return self.http.get(self.endpoint, params=dict(params))

    def post(self, params: Params, *, query: Params | None = None) -> httpx.Response:
        """Send parameters as an ``application/x-www-form-urlencoded`` body, optionally with
        some others in the query string (the servlet merges both)."""
        return self.http.post(self.endpoint, params=dict(query or {}), data=dict(params))

    def call(self, command: str, params: Params | None = None) -> Reply:
        return read_json(self.get(self.signed(command, params)))

    def ok(self, command: str, params: Params | None = None) -> dict[str, Any]:
        reply = self.call(command, params)
        assert reply.status == 200 and not reply.is_error, (
            f"{command} {dict(params or {})} failed: HTTP {reply.status} {reply.body}"
        )
        assert reply.name == f"{command.lower()}response", reply.name
        return reply.body

    def items(self, command: str, key: str, params: Params | None = None) -> list[dict[str, Any]]:
        """The rows of a list call (an empty list answers ``{}``)."""
        found = self.ok(command, params).get(key, [])
        assert isinstance(found, list), f"{key} is {found!r}, not a list"
        return found

    def job(self, job_id: str) -> dict[str, Any]:
        return self.ok("queryAsyncJobResult", {"jobid": job_id})

    def wait(self, job_id: str, *, timeout: float = 120.0, interval: float = 0.2) -> dict[str, Any]:
        """Poll ``queryAsyncJobResult`` until ``jobstatus`` leaves 0, as every client does
        (they poll every 1-5 s; a short interval keeps the suite quick)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.job(job_id)
            if result["jobstatus"] != JOB_PENDING:
                return result
            assert time.monotonic() < deadline, f"job {job_id} still pending: {result}"
            time.sleep(interval)

    def run(self, command: str, params: Params | None = None) -> dict[str, Any]:
        """An async command that must succeed: submit, poll, return the finished job."""
        submitted = self.ok(command, params)
        result = self.wait(submitted["jobid"])
        assert result["jobstatus"] == JOB_SUCCEEDED, f"{command} job failed: {result}"
        return result


class Resources:
    """What one test creates, deleted again at teardown, newest first.

    The suite may run against a shared, real cloud, so nothing may be left behind. A resource
    the test already deleted itself is fine; one that is still there after a failed delete
    fails the teardown, so a leak is never silent.
    """

    def __init__(self, client: NativeClient) -> None:
        self.client = client
        self._created: list[tuple[str, str]] = []  # (kind, id)

    def security_group(self, name: str, description: str = "") -> dict[str, Any]:
        params = {"name": name, "description": description or f"conformance {name}"}
        group: dict[str, Any] = self.client.ok("createSecurityGroup", params)["securitygroup"]
        self.track("securitygroup", group["id"])
        return group

    def volume(self, name: str) -> dict[str, Any]:
        """A data volume from the smallest fixed-size disk offering in the first zone; it is
        created by an async job, and returned once that job succeeded."""
        zone = self.client.items("listZones", "zone")[0]["id"]
        offerings = [
            o
            for o in self.client.items("listDiskOfferings", "diskoffering")
            if not o["iscustomized"]
        ]
        assert offerings, "the endpoint offers no fixed-size disk offering to create a volume"
        offering = min(offerings, key=lambda o: int(o.get("disksize", 0)))["id"]
        submitted = self.client.ok(
            "createVolume", {"name": name, "zoneid": zone, "diskofferingid": offering}
        )
        if "id" in submitted:
            self.track("volume", submitted["id"])
        finished = self.client.wait(submitted["jobid"])
        assert finished["jobstatus"] == JOB_SUCCEEDED, f"createVolume failed: {finished}"
        volume: dict[str, Any] = finished["jobresult"]["volume"]
        if "id" not in submitted:
            self.track("volume", volume["id"])
        return volume

    def track(self, kind: str, resource_id: str) -> None:
        """Delete ``resource_id`` at teardown; ``kind`` is ``securitygroup`` or ``volume``."""
        assert kind in _CLEANUP, kind
        self._created.append((kind, resource_id))

    def close(self) -> None:
        leaks = []
        for kind, resource_id in reversed(self._created):
            delete, listing = _CLEANUP[kind]
            reply = self.client.call(delete, {"id": resource_id})
            if reply.status == 200:
                continue
            # Gone already? A list by id answers without it (or, in CloudStack, 431 for an id
            # it cannot resolve any more).
            listed = self.client.call(listing, {"id": resource_id})
            if listed.status != 431 and (listed.status != 200 or listed.body.get(kind)):
                leaks.append(f"{kind} {resource_id}: {reply.status} {reply.body}")
        self._created.clear()
        assert not leaks, f"could not clean up: {leaks}"


_CLEANUP: Final = {
    "securitygroup": ("deleteSecurityGroup", "listSecurityGroups"),
    "volume": ("deleteVolume", "listVolumes"),
}
