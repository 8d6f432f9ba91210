"""Command-line options that name the endpoint under test, and the fixtures built from them.

Without ``--ec2-endpoint`` every test here is skipped: the suite only means something against a
server. Tests that launch instances need ``--ec2-image-id``, tenancy tests a second account
(``--ec2-access-key-2``/``--ec2-secret-key-2``); each is skipped, naming the option, without.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from botocore.session import Session

from conformance.ec2.client import Ec2, Keys, Resources, Target, make_client, new_name


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ec2", "EC2 Query API conformance")
    group.addoption("--ec2-endpoint", help="EC2 endpoint URL, e.g. http://127.0.0.1:8080/")
    group.addoption("--ec2-access-key", help="access key id of an account")
    group.addoption("--ec2-secret-key", help="its secret access key")
    group.addoption("--ec2-region", default="us-east-1", help="region to sign for (us-east-1)")
    group.addoption("--ec2-image-id", help="an AMI the account may launch (instance tests)")
    group.addoption(
        "--ec2-instance-type", default="t2.micro", help="instance type to launch (t2.micro)"
    )
    group.addoption(
        "--ec2-zone", help="availability zone for volumes and instances (default: the first)"
    )
    group.addoption("--ec2-access-key-2", help="access key id of a second account (tenancy)")
    group.addoption("--ec2-secret-key-2", help="secret access key of the second account")


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    def option(name: str) -> str | None:
        value = pytestconfig.getoption(name)
        return str(value) if value else None

    endpoint = option("--ec2-endpoint")
    if not endpoint:
        pytest.skip("no --ec2-endpoint given: the EC2 conformance suite needs a server")
    access_key, secret_key = option("--ec2-access-key"), option("--ec2-secret-key")
    if not (access_key and secret_key):
        raise pytest.UsageError("--ec2-endpoint needs --ec2-access-key and --ec2-secret-key")
    key_2, secret_2 = option("--ec2-access-key-2"), option("--ec2-secret-key-2")
    return Target(
        endpoint=endpoint,
        region=option("--ec2-region") or "us-east-1",
        keys=Keys(access_key, secret_key),
        other_keys=Keys(key_2, secret_2) if key_2 and secret_2 else None,
        image_id=option("--ec2-image-id"),
        instance_type=option("--ec2-instance-type") or "t2.micro",
        zone=option("--ec2-zone"),
    )


@pytest.fixture(autouse=True)
def _needs_endpoint(target: Target) -> None:
    """Makes every test here depend on ``target``, so each one is skipped without an endpoint."""


@pytest.fixture(scope="session")
def botocore_session() -> Session:
    """One session for every client, so botocore loads the EC2 model once."""
    return Session()


@pytest.fixture(scope="session")
def ec2(botocore_session: Session, target: Target) -> Ec2:
    return make_client(botocore_session, target, target.keys)


@pytest.fixture(scope="session")
def unchecked(botocore_session: Session, target: Target) -> Ec2:
    """A client that sends requests the model calls incomplete, to see the server refuse them."""
    return make_client(botocore_session, target, target.keys, validate=False)


@pytest.fixture(scope="session")
def other_ec2(botocore_session: Session, target: Target) -> Ec2:
    if target.other_keys is None:
        pytest.skip("no --ec2-access-key-2/--ec2-secret-key-2: tenancy needs a second account")
    return make_client(botocore_session, target, target.other_keys)


@pytest.fixture(scope="session")
def image_id(target: Target) -> str:
    if target.image_id is None:
        pytest.skip("no --ec2-image-id: launching an instance needs an AMI")
    return target.image_id


@pytest.fixture(scope="session")
def zone(target: Target, ec2: Ec2) -> str:
    """``--ec2-zone``, or the first zone ``DescribeAvailabilityZones`` lists."""
    if target.zone:
        return target.zone
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert zones, "DescribeAvailabilityZones lists no zone"
    return str(zones[0]["ZoneName"])


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture
def unique() -> str:
    return new_name()


@pytest.fixture
def resources(ec2: Ec2, zone: str) -> Iterator[Resources]:
    """What the test creates in the first account; deleted at teardown, failing on a leak."""
    tracker = Resources(ec2, zone)
    yield tracker
    tracker.close()


@pytest.fixture
def other_resources(other_ec2: Ec2, zone: str) -> Iterator[Resources]:
    """The same for the second account."""
    tracker = Resources(other_ec2, zone)
    yield tracker
    tracker.close()
