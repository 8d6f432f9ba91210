"""Command-line options that name the endpoint under test, and the fixtures built from them.

Without ``--occi-endpoint`` every test here is skipped: the suite only means something against
a server. Tests that need a second account (tenancy), a token or credentials at all (the 401
checks) are skipped when those options are missing, each naming the option in the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from conformance.occi.client import Credentials, Model, OcciClient, Resources, Target

DEFAULT_TIMEOUT = 300.0  # seconds a machine under test may take to change state


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("occi", "OGF OCCI 1.1 conformance")
    group.addoption("--occi-endpoint", help="OCCI endpoint, e.g. http://127.0.0.1:8080/occi/")
    group.addoption("--occi-username", help="HTTP Basic user name of an account")
    group.addoption("--occi-password", help="its password")
    group.addoption("--occi-token", help="an X-Auth-Token of the same account (token tests)")
    group.addoption("--occi-username-2", help="user name of a second account (tenancy tests)")
    group.addoption("--occi-password-2", help="password of the second account")
    group.addoption(
        "--occi-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for a state change or a delete (default 300: real machines)",
    )
    group.addoption(
        "--occi-os-tpl", help="os_tpl mixin to create from (scheme+term; default the first)"
    )
    group.addoption(
        "--occi-resource-tpl",
        help="resource_tpl mixin to create from (scheme+term; default the first)",
    )


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    def option(name: str) -> str | None:
        value = pytestconfig.getoption(name)
        return str(value) if value else None

    endpoint = option("--occi-endpoint")
    if not endpoint:
        pytest.skip("no --occi-endpoint given: the OCCI conformance suite needs a server")
    username, password = option("--occi-username"), option("--occi-password")
    if bool(username) != bool(password):
        raise pytest.UsageError("--occi-username and --occi-password go together")
    token = option("--occi-token")
    username_2, password_2 = option("--occi-username-2"), option("--occi-password-2")
    return Target(
        endpoint=endpoint if endpoint.endswith("/") else endpoint + "/",
        credentials=Credentials(username, password) if username else Credentials(token=token),
        other=Credentials(username_2, password_2) if username_2 and password_2 else None,
        token=token,
        timeout=float(pytestconfig.getoption("--occi-timeout")),
        os_tpl=option("--occi-os-tpl"),
        resource_tpl=option("--occi-resource-tpl"),
    )


@pytest.fixture(autouse=True)
def _needs_endpoint(target: Target) -> None:
    """Makes every test here depend on ``target``, so each one is skipped without an endpoint."""


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as client:
        yield client


@pytest.fixture(scope="session")
def client(http: httpx.Client, target: Target) -> OcciClient:
    return OcciClient(http, target.endpoint, target.credentials)


@pytest.fixture(scope="session")
def model(client: OcciClient) -> Model:
    """The query interface, read once: every location the suite uses comes from here."""
    return client.model()


@pytest.fixture
def other_client(http: httpx.Client, target: Target) -> OcciClient:
    if target.other is None:
        pytest.skip("no --occi-username-2/--occi-password-2: tenancy needs a second account")
    return OcciClient(http, target.endpoint, target.other)


@pytest.fixture
def anonymous(http: httpx.Client, target: Target) -> OcciClient:
    """A client that sends no credentials, for endpoints the suite was given credentials to."""
    if target.credentials == Credentials():
        pytest.skip("no --occi-username/--occi-password or --occi-token: nothing to refuse")
    return OcciClient(http, target.endpoint, Credentials())


@pytest.fixture
def resources(client: OcciClient, model: Model, target: Target) -> Iterator[Resources]:
    tracker = Resources(client, model, target)
    yield tracker
    tracker.close()


@pytest.fixture
def other_resources(other_client: OcciClient, model: Model, target: Target) -> Iterator[Resources]:
    tracker = Resources(other_client, model, target)
    yield tracker
    tracker.close()


@pytest.fixture
def unique() -> str:
    """A title prefix no other test (or earlier run) uses, so a shared cloud is no obstacle."""
    return f"cf-{uuid.uuid4().hex[:10]}"
