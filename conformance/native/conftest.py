"""Command-line options that name the endpoint under test, and the fixtures built from them.

Without ``--native-endpoint`` every test here is skipped: the suite only means something
against a server. Tests that need a password (login) or a second account (tenancy) are skipped
when those options are missing, each with the option to pass in the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from conformance.native.client import Keys, Login, NativeClient, Resources, Target

DEFAULT_PAGE_SIZE = 500  # CloudStack's default.page.size


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("native", "CloudStack native API conformance")
    group.addoption("--native-endpoint", help="API URL, e.g. http://127.0.0.1:8080/client/api")
    group.addoption("--native-api-key", help="API key of a user account")
    group.addoption("--native-secret-key", help="secret key of that user")
    group.addoption("--native-username", help="login name of the same kind of user (login tests)")
    group.addoption("--native-password", help="its password (login tests)")
    group.addoption("--native-domain", default="/", help="its domain path (default /)")
    group.addoption("--native-api-key-2", help="API key of a second account (tenancy tests)")
    group.addoption("--native-secret-key-2", help="secret key of the second account")
    group.addoption(
        "--native-page-size-cap",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        help="the endpoint's default.page.size, the largest pagesize it allows (default 500)",
    )
    group.addoption(
        "--native-java-exact-only",
        action="store_true",
        help="the endpoint verifies only CloudStack's own canonical string (as CloudStack "
        "does): skip the tests of the client signing variants it is recommended to accept",
    )


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    def option(name: str) -> str | None:
        value = pytestconfig.getoption(name)
        return None if value is None else str(value)

    endpoint = option("--native-endpoint")
    if not endpoint:
        pytest.skip("no --native-endpoint given: the native conformance suite needs a server")
    api_key, secret_key = option("--native-api-key"), option("--native-secret-key")
    if not (api_key and secret_key):
        raise pytest.UsageError("--native-endpoint needs --native-api-key and --native-secret-key")
    key_2, secret_2 = option("--native-api-key-2"), option("--native-secret-key-2")
    return Target(
        endpoint=endpoint,
        keys=Keys(api_key, secret_key),
        other_keys=Keys(key_2, secret_2) if key_2 and secret_2 else None,
        username=option("--native-username"),
        password=option("--native-password"),
        domain=option("--native-domain") or "/",
        page_size_cap=int(pytestconfig.getoption("--native-page-size-cap")),
        java_exact_only=bool(pytestconfig.getoption("--native-java-exact-only")),
    )


@pytest.fixture(autouse=True)
def _needs_endpoint(target: Target) -> None:
    """Makes every test here depend on ``target``, so each one is skipped without an endpoint."""


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture
def client(http: httpx.Client, target: Target) -> NativeClient:
    return NativeClient(http, target.endpoint, target.keys)


@pytest.fixture
def other_client(http: httpx.Client, target: Target) -> NativeClient:
    if target.other_keys is None:
        pytest.skip("no --native-api-key-2/--native-secret-key-2: tenancy needs a second account")
    return NativeClient(http, target.endpoint, target.other_keys)


@pytest.fixture
def login(target: Target) -> Login:
    if not (target.username and target.password):
        pytest.skip("no --native-username/--native-password: login tests need a password")
    return Login(target.endpoint, target.username, target.password, target.domain)


@pytest.fixture
def client_variants(target: Target) -> None:
    """For tests of signatures that real clients compute slightly differently from CloudStack
    (spec §1.2, §5): CloudStack itself refuses them, a compatible server should accept them."""
    if target.java_exact_only:
        pytest.skip("--native-java-exact-only: the endpoint accepts only the Java-exact string")


@pytest.fixture
def resources(client: NativeClient) -> Iterator[Resources]:
    tracker = Resources(client)
    yield tracker
    tracker.close()


@pytest.fixture
def unique() -> str:
    """A name prefix no other test (or earlier run) uses, so a shared cloud is no obstacle."""
    return f"cf-{uuid.uuid4().hex[:10]}"
