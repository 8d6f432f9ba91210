"""The engine and its sessions: SQLite (WAL) by default, PostgreSQL by URL.

SQLite is opened in WAL mode with every transaction begun IMMEDIATE: the gateway's request
threads, its job workers and a second process (the CLI, a test) all write to one file, and a
deferred transaction that later wants to write can fail at once with "database is locked"
instead of waiting. IMMEDIATE makes each writer queue on ``busy_timeout`` instead.

Inside ``rehearsal()`` every transaction is rolled back where it would commit: a front end runs
a whole service call, with every check core makes, and nothing of it stays (EC2's DryRun).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker

from core.errors import InvalidArgument, StorageFull

SQLITE_BUSY_TIMEOUT_MS = 30_000
_REHEARSING: Final[ContextVar[bool]] = ContextVar("rehearsing", default=False)


@contextmanager
def rehearsal() -> Iterator[None]:
    """Transactions opened in this context (this thread's, not the workers') roll back."""
    token = _REHEARSING.set(True)
    try:
        yield
    finally:
        _REHEARSING.reset(token)


def rehearsing() -> bool:
    """For the rare service step outside the database (removing a file) that must not run
    in a rehearsal either."""
    return _REHEARSING.get()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


#: PostgreSQL's SQLSTATE for disk_full
_PG_DISK_FULL: Final = "53100"


def _name_known_failures(context: ExceptionContext) -> None:
    """Failures that are not bugs, raised as the core errors they are.

    A string no UTF-8 encoder can write (a lone surrogate, which a JSON body can carry) is the
    caller's bad value wherever it meets the database, a lookup as much as a write. (Writes
    are checked earlier, see ``core.text``.) A full disk is ``StorageFull``: the transaction
    rolls back and the same call succeeds once there is space again."""
    found = context.original_exception
    if isinstance(found, UnicodeEncodeError):
        raise InvalidArgument("text", "holds a lone surrogate, which no UTF-8 text can carry")
    full = getattr(found, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    if full or getattr(found, "sqlstate", None) == _PG_DISK_FULL:
        raise StorageFull() from found


def create_db_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "handle_error", _name_known_failures)
    return engine


class Database:
    """Owns the engine; services open one transaction per call with ``transaction()``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success (roll back in a rehearsal), roll back on any exception."""
        with self._sessions() as session:
            session.begin()
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            if rehearsing():
                session.rollback()
            else:
                session.commit()

    def dispose(self) -> None:
        self.engine.dispose()
