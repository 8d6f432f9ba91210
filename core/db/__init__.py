"""Persistence: the database handle, the tables and their migrations."""

from core.db.database import Database as Database
