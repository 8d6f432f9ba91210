"""The black-box native conformance suite (``conformance/native``) against our gateway.

The suite runs in a subprocess, as it would against any other endpoint; it reaches the gateway,
served on 127.0.0.1 in a thread of this process, with the keys and password of fresh accounts.
Every test must pass, none may be skipped: the run is given every option the suite knows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from core.services.container import Services
from tests.contract.native import NativeUser

ROOT: Final = Path(__file__).resolve().parents[2]
SUITE: Final = "conformance/native"
# The last line of a run: "95 passed in 11.19s", with or without "=" around it.
SUMMARY: Final = re.compile(r"=* ?(?P<counts>[^=]+?) in [0-9.]+s(?: \([0-9:]+\))? ?=*")


def _options(native_user: NativeUser, other: NativeUser) -> list[str]:
    return [
        f"--native-endpoint={native_user.endpoint}",
        f"--native-api-key={native_user.key}",
        f"--native-secret-key={native_user.secret}",
        f"--native-username={native_user.account.username}",
        f"--native-password={native_user.account.password}",
        "--native-domain=/",
        f"--native-api-key-2={other.key}",
        f"--native-secret-key-2={other.secret}",
    ]


def _run(arguments: Sequence[str]) -> tuple[dict[str, int], str]:
    """Runs pytest on ``arguments``; returns the outcome counts of its summary and its output."""
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    output = completed.stdout + completed.stderr
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    found = SUMMARY.fullmatch(lines[-1].strip()) if lines else None
    assert found, f"no pytest summary (exit {completed.returncode}):\n{output[-5000:]}"
    counts = {"exit": completed.returncode}
    for part in found["counts"].split(", "):
        number, outcome = part.split(" ", 1)  # "3 passed", "1 deselected", "2 errors" …
        counts[outcome] = int(number)
    return counts, output


def test_the_gateway_passes_the_native_conformance_suite(
    native_user: NativeUser, services: Services
) -> None:
    other = NativeUser(native_user.endpoint, services.identity.create_account("conformance-2"))
    counts, output = _run([SUITE, *_options(native_user, other)])
    # Nothing but passes: no skip, failure, error or warning.
    assert counts == {"exit": 0, "passed": counts.get("passed", 0)}, f"{counts}\n{output[-8000:]}"
    assert counts["passed"] >= 90, "the suite lost tests"
