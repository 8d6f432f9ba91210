"""The real rOCCI-cli 4.3.10, run the way an EGI user runs it: one process per command.

``scripts/rocci/occi`` starts it from the source trees ``scripts/setup-rocci.sh`` put in the test
cache, with Debian's Ruby and our shim. Tests read what it prints and its exit status.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeAlias

OCCI: Final = Path(__file__).resolve().parent.parent / "scripts" / "rocci" / "occi"
VERSION: Final = "4.3.10"


@dataclass(frozen=True)
class Basic:
    """HTTP Basic with an account's username and password (``--auth basic``)."""

    username: str
    password: str


@dataclass(frozen=True)
class Token:
    """A token the client sends as ``X-Auth-Token`` (``--auth token``)."""

    token: str


Auth: TypeAlias = Basic | Token | None
"""``None`` is ``--auth none``: the client sends no credentials."""


def occi_command() -> list[str]:
    """The argv that starts the client; its options follow."""
    return [str(OCCI)]


def auth_options(auth: Auth) -> list[str]:
    match auth:
        case Basic(username, password):
            return ["--auth", "basic", "--username", username, "--password", password]
        case Token(token):
            return ["--auth", "token", "--token", token]
        case None:
            return ["--auth", "none"]


def run_occi(
    endpoint: str, *args: str, auth: Auth, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Runs one command against ``endpoint`` (``http://127.0.0.1:PORT/occi/``) and returns its
    exit status, stdout and stderr unchecked, since a test asserts on all three.

    stdin is empty, so a prompt (the client asks for a password it lacks) ends instead of
    waiting; past ``timeout`` seconds ``subprocess.TimeoutExpired`` fails the test.
    """
    return subprocess.run(
        [*occi_command(), "--endpoint", endpoint, *auth_options(auth), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
