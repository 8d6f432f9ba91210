"""Small readers shared by unit tests: they look at the database only through core's tables
(or its engine's events)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import libvirt
from sqlalchemy import event, func, select

from core.db.models import Event, Image, Instance, Job, Snapshot, Tag, Volume
from core.hosts.driver import HostDriver
from core.services.container import Services


def row_counts(services: Services) -> dict[str, int]:
    """How many rows each table of resources has: compared before and after a refusal."""
    with services.db.transaction() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Instance, Job, Event, Tag, Volume, Snapshot, Image)
        }


@contextmanager
def counted(services: Services) -> Iterator[list[str]]:
    """The SQL statements the block sends, as a listing's fixed cost is asserted by them."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)


def host_driver(services: Services) -> HostDriver:
    host = services.catalog.list_hosts(services.identity.caller_for("admin"))[0]
    return services.drivers.get(host.id, host.uri, host.virt_type)


def behind_cores_back(services: Services) -> libvirt.virConnect:
    """A second connection to test:///default, for changing the host as an outsider would.

    The test driver shares its state between connections only while one is open, so core's
    driver is opened first.
    """
    host_driver(services)
    return libvirt.open("test:///default")


def _no_growth(connection: Any, _record: Any) -> None:
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")


@contextmanager
def full_database(services: Services) -> Iterator[None]:
    """Inside the block no connection may grow the SQLite file: a write that needs a new page
    fails with SQLITE_FULL, exactly as on a full disk. Room comes back when the block ends."""
    engine = services.db.engine
    engine.dispose()
    event.listen(engine, "connect", _no_growth)
    try:
        yield
    finally:
        event.remove(engine, "connect", _no_growth)
        engine.dispose()
