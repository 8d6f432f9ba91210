"""The gateway's two APIs on the kit, in-process over SQLite and test:///default: each mounted
where its clients call it, each refusing an oversized body in its own envelope before any
signature is checked, and an access log that never holds a signature, a secret key, a password
or a session key, however the request was signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import httpx
import pytest
from botocore.auth import SigV2Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from lxml import etree
from starlette.applications import Starlette

from core.services.container import Services
from core.views import NewAccount
from gateway.app import create_app
from tests.unit.asgi import call, chunks

FORM = "application/x-www-form-urlencoded"
LIMIT = 4096


@pytest.fixture
def app(services: Services) -> Starlette:
    return create_app(services, max_request_bytes=LIMIT)


@pytest.fixture
def bob(services: Services) -> NewAccount:
    return services.identity.create_account("bob")


def _ec2_error(response: httpx.Response) -> tuple[int, str | None]:
    body = etree.fromstring(response.content)
    assert body.findtext("RequestID")
    return response.status_code, body.findtext("Errors/Error/Code")


def _native_signed(params: dict[str, str], account: NewAccount) -> dict[str, str]:
    """CloudStack's reference signing, written out here as the contract tests do."""
    signed = {**params, "apiKey": account.access_key}
    text = "&".join(
        f"{k}={quote(signed[k], safe='*-._')}" for k in sorted(signed, key=str.lower)
    ).lower()
    digest = hmac.new(account.secret_key.encode(), text.encode(), hashlib.sha1).digest()
    return {**signed, "signature": base64.b64encode(digest).decode()}


@pytest.mark.parametrize("path", ["/", "/awsapi", "/awsapi/"])
def test_ec2_answers_where_its_clients_post(app: Starlette, path: str) -> None:
    response = call(app, "POST", path, data={"Action": "DescribeRegions"})
    assert _ec2_error(response) == (401, "AuthFailure")


def test_native_answers_at_client_api_exactly(app: Starlette) -> None:
    response = call(app, "GET", "/client/api", params={"command": "listZones", "response": "json"})
    assert response.status_code == 401
    assert response.json()["listzonesresponse"]["errorcode"] == 401


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_ec2_refuses_an_oversized_unsigned_body_before_authentication(
    app: Starlette, declared: bool
) -> None:
    body = urlencode({"Action": "ImportKeyPair", "PublicKeyMaterial": "A" * LIMIT}).encode()
    content = body if declared else chunks(body[:100], body[100:])
    response = call(app, "POST", "/", content=content, headers={"Content-Type": FORM})
    assert _ec2_error(response) == (413, "RequestEntityTooLarge")
    message = etree.fromstring(response.content).findtext("Errors/Error/Message")
    size = f"Request size {len(body)}" if declared else "Request size"
    assert message == f"{size} exceeded {LIMIT} bytes"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_native_refuses_an_oversized_unsigned_body_before_authentication(
    app: Starlette, declared: bool
) -> None:
    body = urlencode({"command": "deployVirtualMachine", "userdata": "A" * LIMIT}).encode()
    content = body if declared else chunks(body[:100], body[100:])
    response = call(
        app,
        "POST",
        "/client/api?response=json",
        content=content,
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 431
    error = response.json()["errorresponse"]  # the body holding the command was never read
    assert (error["errorcode"], error["cserrorcode"]) == (431, 4350)
    assert f"larger than the {LIMIT} bytes accepted" in error["errortext"]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything the gateway logs, down to DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="gateway"):
        yield caplog


def test_no_secret_of_a_signed_request_reaches_the_log(
    app: Starlette, bob: NewAccount, logged: pytest.LogCaptureFixture
) -> None:
    credentials = Credentials(bob.access_key, bob.secret_key)
    secrets = {bob.secret_key, bob.password}
    answered = []

    v2 = AWSRequest("GET", "http://gateway/", params={"Action": "DescribeRegions"})
    SigV2Auth(credentials).add_auth(v2)
    v2_url = v2.prepare().url
    secrets.add(httpx.URL(v2_url).params["Signature"])
    answered.append(call(app, "GET", v2_url))

    v4 = AWSRequest(
        "POST",
        "http://gateway/awsapi/",
        data=urlencode({"Action": "DescribeRegions", "Version": "2016-11-15"}),
        headers={"Content-Type": FORM},
    )
    SigV4Auth(credentials, "ec2", "anywhere-1").add_auth(v4)
    v4_ready = v4.prepare()
    secrets.add(v4_ready.headers["Authorization"].rpartition("Signature=")[2])
    answered.append(
        call(app, "POST", v4_ready.url, content=v4_ready.body, headers=dict(v4_ready.headers))
    )

    presigned = AWSRequest("GET", "http://gateway/", params={"Action": "DescribeRegions"})
    SigV4QueryAuth(credentials, "ec2", "anywhere-1", expires=300).add_auth(presigned)
    presigned_url = presigned.prepare().url
    secrets.add(httpx.URL(presigned_url).params["X-Amz-Signature"])
    answered.append(call(app, "GET", presigned_url))

    native = _native_signed({"command": "listZones", "response": "json"}, bob)
    secrets.add(native["signature"])
    answered.append(call(app, "GET", "/client/api", params=native))

    login = {"command": "login", "username": bob.username, "password": bob.password}
    logged_in = call(app, "POST", "/client/api?response=json", data=login)
    session = json.loads(logged_in.text)["loginresponse"]["sessionkey"]
    secrets.add(session)
    answered.append(logged_in)
    answered.append(
        call(
            app,
            "GET",
            "/client/api",
            params={"command": "listZones", "response": "json", "sessionkey": session},
            headers={"Cookie": f"sessionkey={session}"},
        )
    )

    assert [r.status_code for r in answered] == [200] * 6, [r.text for r in answered]
    text = logged.text + "".join(f"{r.getMessage()} {r.args}" for r in logged.records)
    leaked = [s for s in secrets if s in text or quote(s, safe="") in text]
    assert not leaked
    access = [r.getMessage() for r in logged.records if r.name == "gateway.access"]
    assert len(access) == 6
    assert sum(f"account={bob.account.id}" in line for line in access) == 5  # login: no caller
    assert all("?" not in line for line in access)


def test_an_unexpected_error_is_each_apis_internal_error_with_the_request_id(
    app: Starlette,
    services: Services,
    bob: NewAccount,
    logged: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(services.catalog, "list_zones", broken)
    native = _native_signed({"command": "listZones", "response": "json"}, bob)
    error = call(app, "GET", "/client/api", params=native).json()["listzonesresponse"]
    assert (error["errorcode"], error["cserrorcode"]) == (530, 9999)
    v2 = AWSRequest("GET", "http://gateway/", params={"Action": "DescribeAvailabilityZones"})
    SigV2Auth(Credentials(bob.access_key, bob.secret_key)).add_auth(v2)
    response = call(app, "GET", v2.prepare().url)
    assert _ec2_error(response) == (500, "InternalError")
    ec2_id = etree.fromstring(response.content).findtext("RequestID")
    assert "secret detail" not in error["errortext"] + response.text
    failures = [r for r in logged.records if r.exc_info]
    assert [r.getMessage().split()[0] for r in failures] == ["native", "ec2"]
    native_id = failures[0].getMessage().split()[2]
    assert error["errortext"].endswith(f"(request id {native_id})")
    assert ec2_id in failures[1].getMessage()
