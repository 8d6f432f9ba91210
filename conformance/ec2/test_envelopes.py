"""The wire itself (spec §2.5, §2.6): requests signed by botocore's SigV4 signer, or not signed
at all, sent with httpx; the XML, status and headers that come back are read as they are."""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Final

import httpx
import pytest

from conformance.ec2.checks import error_envelope, namespace_and_name, xml_of
from conformance.ec2.client import API_VERSION, Keys, Target, new_name, post

ZONES: Final = {"Action": "DescribeAvailabilityZones", "Version": API_VERSION}
BOOLEAN_WORDS: Final = frozenset({"true", "false"})


@pytest.mark.parametrize(
    "version",
    [
        pytest.param(API_VERSION, id="botocore"),
        pytest.param("2014-10-01", id="boto2"),
        pytest.param("2010-08-31", id="euca2ools"),
    ],
)
def test_success_root_namespace_and_request_id(
    http: httpx.Client, target: Target, version: str
) -> None:
    """``<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/<Version>/">``
    echoing the Version sent, trailing slash included, with ``requestId`` inside."""
    response = post(http, target, {**ZONES, "Version": version}, target.keys)
    assert response.status_code == 200, response.text[:500]
    root = xml_of(response)
    uri, name = namespace_and_name(root.tag)
    assert name == "DescribeAvailabilityZonesResponse"
    assert uri == f"http://ec2.amazonaws.com/doc/{version}/"
    assert root.findtext(f"{{{uri}}}requestId"), "no requestId in the success envelope"
    assert root.find(f"{{{uri}}}availabilityZoneInfo") is not None


def test_every_answer_carries_a_date(http: httpx.Client, target: Target) -> None:
    """botocore estimates clock skew from ``Date`` (spec §2.4): on success and on errors."""
    for keys in (target.keys, None):
        response = post(http, target, ZONES, keys)
        assert "date" in response.headers, f"HTTP {response.status_code} without Date"
        sent = parsedate_to_datetime(response.headers["date"])
        assert abs(sent - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=15), sent


def test_unsigned_request_is_auth_failure(http: httpx.Client, target: Target) -> None:
    assert error_envelope(post(http, target, ZONES, None)) == (401, "AuthFailure")


def test_wrong_secret_is_refused(http: httpx.Client, target: Target) -> None:
    """SignatureDoesNotMatch (403) or, as moto answers for EC2, AuthFailure (401): the spec
    leaves the choice open (§2.6, unverified on AWS)."""
    wrong = Keys(target.keys.access_key, target.keys.secret_key + "x")
    answer = error_envelope(post(http, target, ZONES, wrong))
    assert answer in {(403, "SignatureDoesNotMatch"), (401, "AuthFailure")}, answer


def test_unknown_access_key_is_auth_failure(http: httpx.Client, target: Target) -> None:
    stranger = Keys("AKIA" + uuid.uuid4().hex[:16].upper(), "not-a-secret")
    assert error_envelope(post(http, target, ZONES, stranger)) == (401, "AuthFailure")


@pytest.mark.parametrize(
    "action",
    [
        pytest.param("NoSuchAction", id="unknown"),
        pytest.param("describeAvailabilityZones", id="wrong-case"),  # names are case-sensitive
    ],
)
def test_unknown_action_is_invalid_action(http: httpx.Client, target: Target, action: str) -> None:
    response = post(http, target, {"Action": action, "Version": API_VERSION}, target.keys)
    assert error_envelope(response) == (400, "InvalidAction")


def _instance_type(target: Target) -> dict[str, str]:
    """Flags such as ``currentGeneration`` and ``freeTierEligible``."""
    return {"Action": "DescribeInstanceTypes", "InstanceType.1": target.instance_type}


def _delete_missing_key_pair(target: Target) -> dict[str, str]:
    """``<return>true</return>``: deleting a key pair that does not exist succeeds."""
    return {"Action": "DeleteKeyPair", "KeyName": new_name()}


@pytest.mark.parametrize(
    "request_for",
    [
        pytest.param(_instance_type, id="instance-type-flags"),
        pytest.param(_delete_missing_key_pair, id="return-element"),
    ],
)
def test_booleans_are_lower_case(
    http: httpx.Client, target: Target, request_for: Callable[[Target], dict[str, str]]
) -> None:
    """botocore takes only ``true`` as True (spec §2.5)."""
    params = {**request_for(target), "Version": API_VERSION}
    response = post(http, target, params, target.keys)
    assert response.status_code == 200, response.text[:500]
    words = [_leaf_text(e) for e in xml_of(response).iter() if len(e) == 0]
    booleans = [w for w in words if w.lower() in BOOLEAN_WORDS]
    assert booleans, f"no boolean in the answer: {response.text[:500]}"
    assert all(w in BOOLEAN_WORDS for w in booleans), booleans


def _leaf_text(element: ET.Element) -> str:
    return (element.text or "").strip()
