"""The folder sets the kind of test: ``unit``, ``contract`` or ``integration``, nothing else.

A unit test that asks for a real-host fixture fails at collection, so fast tests can't quietly
start depending on libvirtd.

Unit and contract tests open their SQLite database as a copy of a template that was migrated
and bootstrapped once per session (``db_template``), not by running every migration again.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from core.bootstrap import bootstrap
from core.db.models import Setting
from core.services.container import Services
from core.settings import CoreSettings

TESTS: Final = Path(__file__).parent
KINDS: Final = ("unit", "contract", "integration")
REAL_HOST_FIXTURES: Final = frozenset({"cloud", "tiny_image", "qemu_conn", "postgres_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        kind = Path(str(item.path)).relative_to(TESTS).parts[0]
        if kind not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: tests live in {' or '.join(KINDS)}/")
        item.add_marker(getattr(pytest.mark, kind))
        fixtures = set(getattr(item, "fixturenames", ()))
        if kind == "unit" and fixtures & REAL_HOST_FIXTURES:
            raise pytest.UsageError(
                f"{item.nodeid}: a unit test may not use {sorted(fixtures & REAL_HOST_FIXTURES)}"
            )


class DatabaseTemplate:
    """Core's SQLite schema at head, bootstrapped once per session, copied for each test.

    ``services(settings)`` copies the template into ``settings``' database file and builds
    ``Services`` on it: the migrations find the schema at head and do nothing, and the test's
    own ``bootstrap`` finds zone, flavors, disk offerings, admin and host already there. One
    template is made for each libvirt URI, zone and region, since bootstrap writes those.

    The template keeps no installation id: each copy makes its own on first start, as a new
    installation does, so the libvirt objects tagged with it are never taken for another
    test's. The copies share the other ids and keys bootstrap made (zone, flavors, admin and
    its default group, host), none of which names a libvirt object: test:///default has no
    nwfilter driver, networks, guests and disks are made later under fresh ids, and pool
    names stay unique through ``settings.pool_name``. Tests of the migrations themselves
    build their databases from scratch and never come here.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._files: dict[tuple[str, str, str], Path] = {}

    def services(self, settings: CoreSettings) -> Services:
        url = make_url(settings.database_url)
        assert url.get_backend_name() == "sqlite" and url.database, settings.database_url
        target = Path(url.database)
        assert not target.exists(), f"{target} exists: a copy starts a database, never joins one"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._template(settings), target)
        return Services(settings)

    def _template(self, settings: CoreSettings) -> Path:
        key = (settings.libvirt_uri, settings.zone, settings.region)
        if key not in self._files:
            self._files[key] = self._build(settings, self._root / f"template-{len(self._files)}")
        return self._files[key]

    @staticmethod
    def _build(settings: CoreSettings, folder: Path) -> Path:
        built = Services(
            dataclasses.replace(
                settings,
                database_url=f"sqlite:///{folder}/cloudgate.db",
                data_dir=folder / "data",
                pool_name=f"cg-template-{uuid.uuid4().hex[:10]}",
            )
        )
        try:
            bootstrap(built)
            with built.db.transaction() as session:
                session.execute(delete(Setting).where(Setting.value == built.installation))
        finally:
            built.close()
        path = folder / "cloudgate.db"
        # One self-contained file: the write-ahead log folded in and switched off (each copy's
        # engine turns WAL back on when it connects).
        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            connection.close()
        assert not path.with_name(f"{path.name}-wal").exists()
        return path


@pytest.fixture(scope="session")
def db_template(tmp_path_factory: pytest.TempPathFactory) -> DatabaseTemplate:
    return DatabaseTemplate(tmp_path_factory.mktemp("db-template"))
