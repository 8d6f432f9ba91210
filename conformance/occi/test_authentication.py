"""Authentication (spec §1.6, §2.1): requests without credentials or with a wrong password get
401 with a challenge, and an ``X-Auth-Token`` (when one is given) reads the same model."""

from __future__ import annotations

import httpx
import pytest

from conformance.occi.checks import assert_error
from conformance.occi.client import Credentials, Model, OcciClient, Target


def test_no_credentials_is_401(anonymous: OcciClient, model: Model, target: Target) -> None:
    """RFC 7235: a 401 carries ``WWW-Authenticate``; rOCCI-cli's first request is this GET."""
    for url in (target.query_interface, anonymous.url(model.kind("compute").location or "")):
        response = anonymous.get(url)
        assert_error(response, {401})
        assert response.headers.get("www-authenticate"), response.headers


def test_wrong_password_is_401(http: httpx.Client, target: Target) -> None:
    username = target.credentials.username
    if username is None:
        pytest.skip("no --occi-username/--occi-password: no password to get wrong")
    wrong = OcciClient(http, target.endpoint, Credentials(username, "not-the-password"))
    assert_error(wrong.get(target.query_interface), {401})


def test_unknown_token_is_401(http: httpx.Client, target: Target) -> None:
    if target.token is None:
        pytest.skip("no --occi-token: the endpoint's token support is not under test")
    wrong = OcciClient(http, target.endpoint, Credentials(token="cf-not-a-token"))
    assert_error(wrong.get(target.query_interface), {401})


def test_token_reads_the_same_model(http: httpx.Client, model: Model, target: Target) -> None:
    if target.token is None:
        pytest.skip("no --occi-token: the endpoint's token support is not under test")
    by_token = OcciClient(http, target.endpoint, Credentials(token=target.token)).model()
    assert {c.type_id for c in by_token.categories} == {c.type_id for c in model.categories}
