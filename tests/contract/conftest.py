"""The gateway served by uvicorn on 127.0.0.1 (a free port) in a thread, over test:///default.

One cloud and one server serve all the tests of a module (``served_cloud``); each test gets
accounts of its own, named apart (``alice-3``, ``ec2-user-4``), so tests of a module meet only
in what the whole cloud shares: the host's capacity, the public image, the public addresses and
an administrator's view. A module whose tests need a cloud each overrides ``served_cloud`` with
``fresh_cloud`` and says why in the override's docstring.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import bootstrap
from core.services.container import Services
from core.states import LIVE_INSTANCE_STATES
from core.views import ImageView, InstanceQuery, NewAccount
from gateway.app import create_app
from tests.conftest import DatabaseTemplate
from tests.contract.ec2 import client as ec2_client
from tests.contract.native import NativeUser, public_image
from tests.serving import served
from tests.unit.conftest import make_settings


@dataclass
class ServedCloud:
    """A cloud on a copy of the template database and test:///default, and its served URL."""

    url: str
    services: Services
    folder: Path
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _image: ImageView | None = None

    def account(self, name: str, *, admin: bool = False) -> NewAccount:
        """A new account ``<name>-<n>``: a name no other test of this cloud has."""
        return self.services.identity.create_account(f"{name}-{next(self._serial)}", admin=admin)

    def terminate_all(self, account: NewAccount, timeout: float = 120) -> None:
        """Ends an account's instances after a test and waits until they are gone, so the
        module's shared test host has room for the next test's (a terminating instance still
        holds its memory)."""
        caller = self.services.identity.caller_for(account.account.name)
        page = self.services.compute.list_instances(
            caller, InstanceQuery(states=LIVE_INSTANCE_STATES)
        )
        if not page.items:
            return
        done = self.services.compute.terminate_instances(caller, [str(i.id) for i in page.items])
        jobs = [str(d.job_id) for d in done if d.job_id is not None]
        deadline = time.monotonic() + timeout
        while any(self.services.jobs.get_job(caller, j).finished_at is None for j in jobs):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{account.account.name}'s instances still ending")
            time.sleep(0.05)

    def image(self) -> ImageView:
        """The admin's public image ``tiny-linux``, registered when first asked for."""
        if self._image is None:
            self._image = public_image(self.services, self.folder)
        return self._image


@contextmanager
def _serve_cloud(template: DatabaseTemplate, folder: Path) -> Iterator[ServedCloud]:
    services = template.services(make_settings(folder))
    try:
        bootstrap(services)
        with served(create_app(services)) as url:  # its lifespan closes the services at the end
            yield ServedCloud(url, services, folder)
    finally:
        services.close()  # closing is idempotent


@pytest.fixture(scope="module")
def served_cloud(
    db_template: DatabaseTemplate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedCloud]:
    """The module's cloud: one database, one server, for every test of the module."""
    with _serve_cloud(db_template, tmp_path_factory.mktemp("cloud")) as cloud:
        yield cloud


@pytest.fixture
def fresh_cloud(db_template: DatabaseTemplate, tmp_path: Path) -> Iterator[ServedCloud]:
    """A cloud and a server for one test, for modules that override ``served_cloud`` with it."""
    with _serve_cloud(db_template, tmp_path / "cloud") as cloud:
        yield cloud


@pytest.fixture
def services(served_cloud: ServedCloud) -> Services:
    return served_cloud.services


@pytest.fixture
def base_url(served_cloud: ServedCloud) -> str:
    return served_cloud.url


@pytest.fixture
def native_user(served_cloud: ServedCloud) -> NativeUser:
    """A fresh user account (``alice-<n>``); its keys sign native requests."""
    return NativeUser(f"{served_cloud.url}/client/api", served_cloud.account("alice"))


@pytest.fixture
def native_admin(served_cloud: ServedCloud) -> NativeUser:
    """A fresh admin account (``root-admin-<n>``)."""
    return NativeUser(
        f"{served_cloud.url}/client/api", served_cloud.account("root-admin", admin=True)
    )


@pytest.fixture
def ec2_account(served_cloud: ServedCloud) -> NewAccount:
    """A fresh user account for EC2 tests (``ec2-user-<n>``)."""
    return served_cloud.account("ec2-user")


@pytest.fixture
def ec2(base_url: str, ec2_account: NewAccount) -> Any:
    """boto3's EC2 client signed with that account's keys."""
    return ec2_client(base_url, ec2_account)


@pytest.fixture
def image(served_cloud: ServedCloud) -> ImageView:
    """The cloud's public image; tests launch from it and never change it."""
    return served_cloud.image()
