"""What ``cloudgate serve`` writes while real clients of all four APIs send it their secrets.

The gateway runs as an operator runs it (a child process, its own logging set-up: uvicorn's
lines and ``gateway.access``'s, everything at INFO), over test:///default. Each client's
requests are recorded on the client side as they leave, so the test knows every signature,
password, session key and token that crossed the wire; none of them, plain or URL-encoded, may
appear in what the gateway wrote.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
import requests
from botocore.auth import SigV2Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cs import CloudStack

from core.bootstrap import bootstrap
from core.services.container import Services
from core.settings import CoreSettings
from core.views import NewAccount
from tests.contract.ec2 import client as ec2_client
from tests.contract.native import signed
from tests.unit.conftest import make_settings

SECRET_PARAMS: Final = frozenset({"signature", "x-amz-signature", "sessionkey", "password"})
SECRET_HEADERS: Final = frozenset({"authorization", "x-auth-token", "cookie"})


@dataclass
class Wire:
    """Every secret the clients sent, gathered from their requests as they left."""

    secrets: set[str] = field(default_factory=set)
    requests: int = 0

    def saw(self, url: str, headers: Any, body: bytes | str | None) -> None:
        self.requests += 1
        text = body.decode() if isinstance(body, bytes) else body or ""
        for name, value in [*parse_qsl(urlsplit(url).query), *parse_qsl(text)]:
            if name.lower() in SECRET_PARAMS:
                self.secrets.add(value)
        for name, value in headers.items():
            if name.lower() in SECRET_HEADERS:  # botocore's values are bytes, others' str
                text_value = value.decode() if isinstance(value, bytes) else value
                self.secrets.update(_header_secrets(name.lower(), text_value))

    def httpx_hook(self, request: httpx.Request) -> None:
        self.saw(str(request.url), request.headers, request.content)


def _header_secrets(name: str, value: str) -> set[str]:
    """The whole value, and the parts of it that are secrets on their own: a SigV4
    ``Signature=…``, a Basic ``user:password`` in base64 and the password in it, cookie values."""
    found = {value, *re.findall(r"Signature=([0-9a-f]+)", value)}
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() == "basic":
        found.update({credentials, base64.b64decode(credentials).decode().partition(":")[2]})
    if name == "cookie":
        found.update(part.partition("=")[2] for part in value.split("; "))
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(settings: CoreSettings) -> dict[str, str]:
    return {
        **os.environ,
        "CLOUDGATE_CONFIG": str(settings.data_dir / "absent.toml"),
        "CLOUDGATE_DATABASE_URL": settings.database_url,
        "CLOUDGATE_LIBVIRT_URI": settings.libvirt_uri,
        "CLOUDGATE_DATA_DIR": str(settings.data_dir),
        "CLOUDGATE_POOL_NAME": settings.pool_name,
        "CLOUDGATE_PASSWORD_TIME_COST": str(settings.password_time_cost),
        "CLOUDGATE_PASSWORD_MEMORY_COST": str(settings.password_memory_cost),
        "CLOUDGATE_PASSWORD_PARALLELISM": str(settings.password_parallelism),
    }


class RecordingSession(requests.Session):
    """What ``cs`` sends through: it prepares its requests itself, so session hooks never
    see them, but every one passes ``send``."""

    def __init__(self, wire: Wire) -> None:
        super().__init__()
        self._wire = wire

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body if isinstance(request.body, bytes | str) else None  # cs: a form
        self._wire.saw(request.url or "", request.headers, body)
        return super().send(request, **kwargs)


@dataclass(frozen=True)
class Gateway:
    url: str
    account: NewAccount
    log: Path


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"the gateway exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"no /healthz in 60 s:\n{log.read_text()}"
        time.sleep(0.1)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    """``cloudgate serve`` on a fresh database with one user account, its output in a file."""
    settings = make_settings(tmp_path)
    services = Services(settings)
    try:
        bootstrap(services)
        account = services.identity.create_account("logged", password="pass-word-in-clear")
    finally:
        services.close()
    port, log = _free_port(), tmp_path / "gateway.log"
    command = [sys.executable, "-m", "gateway.cli", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=_environment(settings),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Gateway(url, account, log)
    finally:
        process.terminate()
        process.wait(60)


def _ec2(gateway: Gateway, wire: Wire) -> None:
    """boto3 (SigV4 in the Authorization header), its presigned URL (SigV4 in the query) and
    botocore's SigV2 signer (``Signature`` in the query)."""
    ec2 = ec2_client(gateway.url, gateway.account)
    ec2.meta.events.register(
        "before-send.ec2.*",
        lambda request, **_: wire.saw(request.url, request.headers, request.body),
    )
    assert ec2.describe_regions()["Regions"]
    presigned = ec2.generate_presigned_url("describe_regions", ExpiresIn=60, HttpMethod="GET")
    sigv2 = AWSRequest("GET", f"{gateway.url}/", params={"Action": "DescribeRegions"})
    credentials = Credentials(gateway.account.access_key, gateway.account.secret_key)
    SigV2Auth(credentials).add_auth(sigv2)
    with httpx.Client(event_hooks={"request": [wire.httpx_hook]}) as http:
        for url in (presigned, sigv2.prepare().url):
            assert http.get(url).status_code == 200


def _native(gateway: Gateway, wire: Wire) -> str:
    """cs (signed), a signed GET, login by POST and by GET (the password in the query string),
    a wrong password, and calls by session; the session key."""
    endpoint, account = f"{gateway.url}/client/api", gateway.account
    cs = CloudStack(
        endpoint=endpoint,
        key=account.access_key,
        secret=account.secret_key,
        session=RecordingSession(wire),
    )
    assert cs.listZones()["zone"]
    assert cs.createSSHKeyPair(name="k1")["keypair"]["name"] == "k1"
    with httpx.Client(event_hooks={"request": [wire.httpx_hook]}, timeout=30) as http:
        listing = {"command": "listZones", "response": "json"}
        assert http.get(endpoint, params=signed(listing, account.access_key, account.secret_key))
        login = {"command": "login", "username": account.username, "response": "json"}
        assert http.post(endpoint, data={**login, "password": "a-wrong-guess"}).status_code == 531
        assert http.get(endpoint, params={**login, "password": account.password}).is_success
        answer = http.post(endpoint, data={**login, "password": account.password})
        key = str(answer.json()["loginresponse"]["sessionkey"])
        by_session = {"command": "createSSHKeyPair", "name": "k2", "sessionkey": key}
        assert http.get(endpoint, params={**by_session, "response": "json"}).is_success
        assert http.post(endpoint, data={**listing, "sessionkey": key}).is_success
    return key


def _occi_and_cimi(gateway: Gateway, wire: Wire, token: str) -> None:
    basic = (gateway.account.username, gateway.account.password)
    with httpx.Client(event_hooks={"request": [wire.httpx_hook]}, timeout=30) as http:
        for path in ("/occi/compute/", "/cimi/cloudEntryPoint"):
            assert http.get(f"{gateway.url}{path}", auth=basic).status_code == 200
            by_token = http.get(f"{gateway.url}{path}", headers={"X-Auth-Token": token})
            assert by_token.status_code == 200


def test_no_secret_reaches_the_log(gateway: Gateway) -> None:
    wire = Wire({gateway.account.password, gateway.account.secret_key})
    _ec2(gateway, wire)
    token = _native(gateway, wire)
    _occi_and_cimi(gateway, wire, token)
    assert {token, "a-wrong-guess"} - wire.secrets == set()
    assert wire.requests == 15

    written = gateway.log.read_text()
    access = [line for line in written.splitlines() if "gateway.access" in line]
    assert len(access) >= wire.requests  # one line per request (and /healthz polls)
    for secret in sorted(wire.secrets):
        assert len(secret) >= 8, "a secret this short would match by chance"
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            assert form not in written, f"{secret!r} is in the gateway's log"
