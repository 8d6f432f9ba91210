"""The kit's limits as real clients meet them, over uvicorn: one request budget per account
across both APIs (native refusals reach ``cs`` as CloudStack's 429), and an oversized body
refused in each API's envelope (boto3 sees ``RequestEntityTooLarge``, ``cs`` a 431), and so are
too many or too large headers (431)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from botocore.exceptions import ClientError
from cs import CloudStack, CloudStackApiException
from lxml import etree

from core.services.container import Services
from core.views import NewAccount
from gateway.app import create_app
from gateway.common import RateLimit
from gateway.common.incoming import MAX_HEADER_BYTES, MAX_HEADERS
from tests.contract.ec2 import client
from tests.serving import served

LIMIT = 8192


def _cs(url: str, account: NewAccount, **options: str) -> CloudStack:
    return CloudStack(
        endpoint=f"{url}/client/api", key=account.access_key, secret=account.secret_key, **options
    )


@pytest.fixture
def tight(services: Services) -> Iterator[str]:
    """A gateway with a budget of two requests per account and an 8 KiB body limit."""
    app = create_app(
        services, rate_limit=RateLimit(per_second=0.01, burst=2), max_request_bytes=LIMIT
    )
    with served(app, lifespan="off") as url:
        yield url


def test_one_budget_per_account_across_apis_and_cs_gets_cloudstacks_429(
    tight: str, services: Services
) -> None:
    busy, quiet = (services.identity.create_account(n) for n in ("busy", "quiet"))
    client(tight, busy, retries=1).describe_regions()  # EC2 spends from the same budget
    assert _cs(tight, busy).listZones()["zone"]
    with pytest.raises(CloudStackApiException) as throttled:
        _cs(tight, busy).listZones()
    error = throttled.value.error
    assert (error["errorcode"], error["cserrorcode"]) == (429, 9999)
    assert error["errortext"].startswith("The given user has reached his/her account api limit")
    assert _cs(tight, quiet).listZones()["zone"]  # its own budget


def test_boto3_gets_request_entity_too_large(tight: str, services: Services) -> None:
    account = services.identity.create_account("big-boto3")
    ec2 = client(tight, account, retries=1)
    with pytest.raises(ClientError) as refused:
        ec2.import_key_pair(KeyName="huge", PublicKeyMaterial=b"ssh-rsa " + b"A" * LIMIT)
    error = refused.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "RequestEntityTooLarge",
        413,
    )
    assert ec2.describe_key_pairs()["KeyPairs"] == []  # and the connection still serves


def test_cs_gets_a_431_for_an_oversized_post(tight: str, services: Services) -> None:
    account = services.identity.create_account("big-cs")
    cs = _cs(tight, account, method="post")
    with pytest.raises(CloudStackApiException) as refused:
        cs.deployVirtualMachine(zoneid="z", serviceofferingid="s", userdata="A" * LIMIT)
    error = refused.value.error
    assert (error["errorcode"], error["cserrorcode"]) == (431, 4350)
    assert f"{LIMIT} bytes" in error["errortext"]


@pytest.mark.parametrize(
    ("path", "parse"),
    [
        ("/", lambda body: etree.fromstring(body).findtext("Errors/Error/Code")),
        ("/client/api", lambda body: etree.fromstring(body).findtext("errortext")),
        ("/occi/compute/", lambda body: body.decode()),
        ("/cimi/machines", lambda body: json.loads(body)["statusMessage"]),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({f"X-Padding-{n}": "x" for n in range(MAX_HEADERS + 1)}, id="too-many"),
        pytest.param({"X-Padding": "x" * MAX_HEADER_BYTES}, id="too-big"),
    ],
)
def test_too_many_or_too_big_headers_get_431_before_authentication(
    tight: str, path: str, parse: Callable[[bytes], str | None], headers: dict[str, str]
) -> None:
    """No credentials at all: the headers are refused before anyone is authenticated, in the
    API's own error document."""
    answer = httpx.get(f"{tight}{path}", headers=headers, timeout=30)
    assert answer.status_code == 431, answer.text
    said = parse(answer.content)
    assert said and ("header" in said or said == "RequestHeaderSectionTooLarge"), said
