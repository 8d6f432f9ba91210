"""Command-line options that name the CloudEntryPoint under test, and the fixtures built from
them.

Without ``--cimi-cep`` every test here is skipped: the suite only means something against a
server. Tests that need a second account (tenancy) or credentials at all (the 401 checks) are
skipped when those options are missing, each naming the option in the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.cimi.client import (
    CimiClient,
    Credentials,
    EntryPoint,
    Resources,
    Target,
    XsdValidator,
)

DEFAULT_TIMEOUT = 300.0  # seconds a machine under test may take to change state


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cimi", "DMTF CIMI 1.x conformance")
    group.addoption(
        "--cimi-cep", help="the CloudEntryPoint, e.g. http://127.0.0.1:8080/cimi/cloudEntryPoint"
    )
    group.addoption("--cimi-username", help="HTTP Basic user name of an account")
    group.addoption("--cimi-password", help="its password")
    group.addoption("--cimi-username-2", help="user name of a second account (tenancy tests)")
    group.addoption("--cimi-password-2", help="password of the second account")
    group.addoption(
        "--cimi-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for a Job, a state change or a delete (default 300: real machines)",
    )
    group.addoption(
        "--cimi-xsd", help="DSP8009 schema file: validate every XML answer against it (lxml)"
    )


def _credentials(config: pytest.Config, username: str, password: str) -> Credentials | None:
    user, secret = config.getoption(username), config.getoption(password)
    if bool(user) != bool(secret):
        raise pytest.UsageError(f"{username} and {password} go together")
    return Credentials(str(user), str(secret)) if user else None


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    cep = pytestconfig.getoption("--cimi-cep")
    if not cep:
        pytest.skip("no --cimi-cep given: the CIMI conformance suite needs a server")
    xsd = pytestconfig.getoption("--cimi-xsd")
    return Target(
        cep=str(cep),
        credentials=_credentials(pytestconfig, "--cimi-username", "--cimi-password"),
        other=_credentials(pytestconfig, "--cimi-username-2", "--cimi-password-2"),
        timeout=float(pytestconfig.getoption("--cimi-timeout")),
        xsd=Path(str(xsd)) if xsd else None,
    )


@pytest.fixture(autouse=True)
def _needs_cep(target: Target) -> None:
    """Makes every test here depend on ``target``, so each one is skipped without a CEP."""


@pytest.fixture(scope="session")
def http(target: Target) -> Iterator[httpx.Client]:
    """One connection pool; with ``--cimi-xsd`` it validates every XML answer."""
    hooks: dict[str, list[Callable[..., Any]]] = (
        {"response": [XsdValidator(target.xsd)]} if target.xsd else {}
    )
    with httpx.Client(timeout=120, event_hooks=hooks) as client:
        yield client


@pytest.fixture(scope="session")
def client(http: httpx.Client, target: Target) -> CimiClient:
    return CimiClient(http, target.credentials)


@pytest.fixture(scope="session")
def entry(client: CimiClient, target: Target) -> EntryPoint:
    """The CloudEntryPoint, read once: every collection the suite uses comes from here."""
    return EntryPoint(client.read(target.cep))


@pytest.fixture
def other_client(http: httpx.Client, target: Target) -> CimiClient:
    if target.other is None:
        pytest.skip("no --cimi-username-2/--cimi-password-2: tenancy needs a second account")
    return CimiClient(http, target.other)


@pytest.fixture
def anonymous(http: httpx.Client, target: Target) -> CimiClient:
    """A client that sends no credentials, for an endpoint the suite was given some for."""
    if target.credentials is None:
        pytest.skip("no --cimi-username/--cimi-password: nothing to refuse")
    return CimiClient(http, None)


@pytest.fixture
def resources(client: CimiClient, entry: EntryPoint, target: Target) -> Iterator[Resources]:
    tracker = Resources(client, entry, target)
    yield tracker
    tracker.close()


@pytest.fixture
def other_resources(
    other_client: CimiClient, entry: EntryPoint, target: Target
) -> Iterator[Resources]:
    tracker = Resources(other_client, entry, target)
    yield tracker
    tracker.close()


@pytest.fixture
def unique() -> str:
    """A name no other test (or earlier run) uses, so a shared cloud is no obstacle."""
    return f"cf-{uuid.uuid4().hex[:10]}"
