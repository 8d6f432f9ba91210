"""The gateway served by uvicorn on 127.0.0.1 (a free port) in a thread, over test:///default."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from core.bootstrap import bootstrap
from core.services.container import Services
from core.views import ImageView
from gateway.app import create_app
from tests.contract.native import NativeUser, public_image
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
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


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
def image(services: Services, tmp_path: Path) -> ImageView:
    return public_image(services, tmp_path)
