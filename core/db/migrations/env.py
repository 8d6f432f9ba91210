"""Alembic environment: batch mode for SQLite, an advisory lock on PostgreSQL.

Two gateway replicas starting together must not both migrate, so on PostgreSQL the upgrade runs
under ``pg_advisory_xact_lock``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from core.db import models  # noqa: F401  (registers every table on the metadata)
from core.db.base import Base

MIGRATION_LOCK_KEY = 0x436C6F7564676174  # "Cloudgat"


def run_migrations_online() -> None:
    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY}
                )
            context.run_migrations()


run_migrations_online()
