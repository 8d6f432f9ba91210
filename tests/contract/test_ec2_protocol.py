"""The EC2 wire protocol, request by request: requests signed by botocore's own signers (SigV4,
SigV2, presigned) sent with httpx, and the envelopes, statuses and headers that come back."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from botocore.auth import SigV2Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from lxml import etree

from core.services.container import Services
from core.views import NewAccount
from gateway.app import create_app
from gateway.common import RateLimit
from tests.contract.ec2 import client
from tests.serving import served

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def sigv4_post(
    url: str, params: dict[str, str], account: NewAccount, secret: str = ""
) -> httpx.Response:
    request = AWSRequest("POST", url, data=urlencode(params), headers={"Content-Type": FORM})
    credentials = Credentials(account.access_key, secret or account.secret_key)
    SigV4Auth(credentials, "ec2", "anywhere-1").add_auth(request)
    prepared = request.prepare()
    return httpx.post(prepared.url, content=prepared.body, headers=dict(prepared.headers))


def sigv2_get(url: str, params: dict[str, str], account: NewAccount) -> httpx.Response:
    request = AWSRequest("GET", url, params=params)
    SigV2Auth(Credentials(account.access_key, account.secret_key)).add_auth(request)
    return httpx.get(request.prepare().url)


def xml(response: httpx.Response) -> Any:
    return etree.fromstring(response.content)


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = xml(response)
    assert body.tag == "Response"
    assert body.findtext("RequestID")
    return response.status_code, body.findtext("Errors/Error/Code")


def test_success_envelope_echoes_the_version_and_sends_a_date(
    base_url: str, ec2_account: NewAccount
) -> None:
    response = sigv4_post(
        f"{base_url}/", {"Action": "DescribeRegions", "Version": "2014-10-01"}, ec2_account
    )
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "{http://ec2.amazonaws.com/doc/2014-10-01/}DescribeRegionsResponse"
    namespace = {"ec2": "http://ec2.amazonaws.com/doc/2014-10-01/"}
    assert root.findtext("ec2:requestId", namespaces=namespace)
    assert root.findtext("ec2:regionInfo/ec2:item/ec2:regionName", namespaces=namespace)
    sent = parsedate_to_datetime(response.headers["date"])
    assert abs(sent - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_sigv2_get_on_awsapi_with_query_and_form_merged(
    base_url: str, ec2_account: NewAccount
) -> None:
    response = sigv2_get(
        f"{base_url}/awsapi",
        {"Action": "DescribeAvailabilityZones", "Version": "2010-08-31"},
        ec2_account,
    )
    assert response.status_code == 200
    assert b"<zoneName>cloudgate-1a</zoneName>" in response.content
    assert b'xmlns="http://ec2.amazonaws.com/doc/2010-08-31/"' in response.content


def test_presigned_get_from_botocore(base_url: str, ec2_account: NewAccount) -> None:
    ec2 = client(base_url, ec2_account)
    url = ec2.generate_presigned_url("describe_regions", ExpiresIn=60, HttpMethod="GET")
    response = httpx.get(url)
    assert response.status_code == 200
    assert b"DescribeRegionsResponse" in response.content


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, (401, "AuthFailure"), id="unsigned"),
        pytest.param(
            {"Authorization": "AWS4-HMAC-SHA256 Credential=nope"},
            (400, "IncompleteSignature"),
            id="malformed-authorization",
        ),
    ],
)
def test_unsigned_and_malformed_requests_are_refused_in_xml(
    base_url: str, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    response = httpx.post(
        f"{base_url}/",
        content="Action=DescribeRegions&Version=2016-11-15",
        headers={"Content-Type": FORM, **headers},
    )
    assert error_of(response) == expected
    assert "date" in response.headers


def test_unknown_key_wrong_secret_and_tampering(
    base_url: str, ec2_account: NewAccount, services: Services
) -> None:
    params = {"Action": "DescribeRegions", "Version": "2016-11-15"}
    stranger = services.identity.create_account("stranger")
    services.identity.delete_account(services.identity.caller_for("admin"), stranger.account.ref)
    services.workers.run_pending()
    assert error_of(sigv4_post(f"{base_url}/", params, stranger)) == (401, "AuthFailure")
    wrong = sigv4_post(f"{base_url}/", params, ec2_account, secret="not-the-secret")
    assert error_of(wrong) == (403, "SignatureDoesNotMatch")

    request = AWSRequest(
        "POST", f"{base_url}/", data=urlencode(params), headers={"Content-Type": FORM}
    )
    SigV4Auth(Credentials(ec2_account.access_key, ec2_account.secret_key), "ec2", "r").add_auth(
        request
    )
    prepared = request.prepare()
    tampered = httpx.post(
        prepared.url,
        content=str(prepared.body).replace("Version=2016", "Version=2017"),
        headers=dict(prepared.headers),
    )
    assert error_of(tampered) == (403, "SignatureDoesNotMatch")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("", (400, "MissingAction")),
        ("NoSuchThing", (400, "InvalidAction")),
        ("describeRegions", (400, "InvalidAction")),  # names are case-sensitive, as on AWS
        ("CreateFleet", (400, "Unsupported")),
    ],
)
def test_actions_we_do_not_serve(
    base_url: str, ec2_account: NewAccount, action: str, expected: tuple[int, str]
) -> None:
    response = sigv4_post(f"{base_url}/", {"Action": action, "Version": "2016-11-15"}, ec2_account)
    assert error_of(response) == expected


def test_an_internal_error_is_a_500_in_ec2s_envelope(
    base_url: str, ec2_account: NewAccount, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(services.catalog, "list_zones", broken)
    ec2 = client(base_url, ec2_account, retries=1)
    with pytest.raises(ClientError) as failed:
        ec2.describe_availability_zones()
    error = failed.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InternalError",
        500,
    )
    assert "secret detail" not in error["Error"]["Message"]


def test_an_account_over_its_request_rate_gets_request_limit_exceeded(
    services: Services,
) -> None:
    slow = RateLimit(per_second=0.01, burst=2)
    busy, quiet = (services.identity.create_account(n) for n in ("busy", "quiet"))
    with served(create_app(services, rate_limit=slow), lifespan="off") as url:
        ec2 = client(url, busy, retries=1)
        ec2.describe_regions()
        ec2.describe_regions()
        with pytest.raises(ClientError) as throttled:
            ec2.describe_regions()
        error = throttled.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            "RequestLimitExceeded",
            503,
        )
        assert client(url, quiet, retries=1).describe_regions()["Regions"]  # its own budget
