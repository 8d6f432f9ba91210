"""The gateway served by uvicorn on 127.0.0.1 (a free port) in a thread, over test:///default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import bootstrap
from core.services.container import Services
from core.views import ImageView, NewAccount
from gateway.app import create_app
from tests.contract.ec2 import client as ec2_client
from tests.contract.native import NativeUser, public_image
from tests.serving import served
from tests.unit.conftest import make_settings


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    built = Services(make_settings(tmp_path))
    bootstrap(built)
    yield built
    built.close()  # after the server's lifespan closed it too: closing is idempotent


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    """Serves until the test ends; the app's lifespan closes the services on shutdown."""
    with served(create_app(services)) as url:
        yield url


@pytest.fixture
def native_user(base_url: str, services: Services) -> NativeUser:
    """A fresh user account; its keys sign native requests."""
    return NativeUser(f"{base_url}/client/api", services.identity.create_account("alice"))


@pytest.fixture
def native_admin(base_url: str, services: Services) -> NativeUser:
    return NativeUser(
        f"{base_url}/client/api", services.identity.create_account("root-admin", admin=True)
    )


@pytest.fixture
def ec2_account(base_url: str, services: Services) -> NewAccount:
    """A fresh user account for EC2 tests; ``base_url`` first, so the gateway is serving."""
    return services.identity.create_account("ec2-user")


@pytest.fixture
def ec2(base_url: str, ec2_account: NewAccount) -> Any:
    """boto3's EC2 client signed with that account's keys."""
    return ec2_client(base_url, ec2_account)


@pytest.fixture
def image(services: Services, tmp_path: Path) -> ImageView:
    return public_image(services, tmp_path)
