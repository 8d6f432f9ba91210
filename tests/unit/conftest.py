"""Core on a real SQLite file and libvirt's test:///default driver: no daemon, no guests."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bootstrap import ADMIN_ACCOUNT, bootstrap
from core.services.container import Services
from core.settings import CoreSettings
from core.views import Caller, ImageView
from tests.conftest import DatabaseTemplate


def make_settings(tmp_path: Path) -> CoreSettings:
    return CoreSettings(
        database_url=f"sqlite:///{tmp_path}/cloudgate.db",
        libvirt_uri="test:///default",
        data_dir=tmp_path / "data",
        pool_name=f"cg-unit-{uuid.uuid4().hex[:10]}",
        stop_timeout=1.0,
        # argon2id at its lowest costs: tests create hundreds of accounts, and what they check
        # of password hashing does not depend on the costs (a unit test pins the defaults)
        password_time_cost=1,
        password_memory_cost=64,
        password_parallelism=1,
    )


@pytest.fixture
def services(db_template: DatabaseTemplate, tmp_path: Path) -> Iterator[Services]:
    """Core on a copy of the session's template database, bootstrapped as every start is."""
    built = db_template.services(make_settings(tmp_path))
    bootstrap(built)
    yield built
    built.close()


@pytest.fixture
def admin(services: Services) -> Caller:
    return services.identity.caller_for(ADMIN_ACCOUNT)


@pytest.fixture
def alice(services: Services) -> Caller:
    services.identity.create_account("alice")
    return services.identity.caller_for("alice")


@pytest.fixture
def image(services: Services, admin: Caller, tmp_path: Path) -> ImageView:
    disk = tmp_path / "base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    return services.images.register(admin, disk, name="tiny-linux", public=True)
