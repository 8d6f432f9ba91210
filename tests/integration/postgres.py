"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, the server on
127.0.0.1 and a free port, run as the ``postgres`` user (PostgreSQL refuses to run as root),
stopped and deleted afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

SERVER_USER = "postgres"
SUPERUSER = "cloudgate"


def _bindir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed (run scripts/setup-host.sh)")
    return versions[-1]


def _as_server_user(*command: str) -> None:
    subprocess.run(["runuser", "-u", SERVER_USER, "--", *command], check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def cluster() -> Iterator[str]:
    """Yields a libpq URL of a superuser on a fresh cluster."""
    root = Path(tempfile.mkdtemp(prefix="cloudgate-pg-", dir="/var/tmp"))
    shutil.chown(root, SERVER_USER)
    data, port, bindir = root / "data", _free_port(), _bindir()
    _as_server_user(
        str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER, "--no-sync"
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_server_user(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(root / "server.log"),
        "-w",
        "start",
    )
    try:
        yield f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
    finally:
        _as_server_user(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root)


def new_database(server_url: str) -> str:
    """A new empty database on the cluster, as a SQLAlchemy URL (psycopg 3 driver)."""
    name = f"cg_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return (
        server_url.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    )
