"""The kit's limits as real clients meet them, over uvicorn: one request budget per account
across both APIs (native refusals reach ``cs`` as CloudStack's 429), and an oversized body
refused in each API's envelope (boto3 sees ``RequestEntityTooLarge``, ``cs`` a 431)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack, CloudStackApiException

from core.services.container import Services
from core.views import NewAccount
from gateway.app import create_app
from gateway.common import RateLimit
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
