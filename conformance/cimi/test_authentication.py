"""HTTP Basic (spec notes §1.11): no credentials or a wrong password is 401 with
``WWW-Authenticate`` and a body, on the CloudEntryPoint and on a collection."""

from __future__ import annotations

import httpx

from conformance.cimi.checks import assert_error
from conformance.cimi.client import CimiClient, EntryPoint, Target


def test_no_credentials_is_401(anonymous: CimiClient, entry: EntryPoint, target: Target) -> None:
    for url in (target.cep, entry.collections()["machines"]):
        response = anonymous.get(url)
        assert_error(response, {401})
        assert response.headers.get("www-authenticate"), response.headers


def test_wrong_password_is_401(client: CimiClient, entry: EntryPoint, target: Target) -> None:
    assert target.credentials is not None
    wrong = httpx.BasicAuth(target.credentials.username, target.credentials.password + "x")
    response = client.request("GET", entry.collections()["machines"], auth=wrong)
    assert_error(response, {401})
