"""Running a black-box conformance suite (``conformance/<api>``) against our gateway, as it
would run against any other endpoint: in a subprocess, with every option it knows."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
# The last line of a run: "95 passed in 11.19s", with or without "=" around it.
SUMMARY: Final = re.compile(r"=* ?(?P<counts>[^=]+?) in [0-9.]+s(?: \([0-9:]+\))? ?=*")


def run_suite(suite: str, options: Sequence[str]) -> tuple[dict[str, int], str]:
    """Runs pytest on ``suite``; returns the outcome counts of its summary and its output."""
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", suite, *options],
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


def assert_all_passed(counts: dict[str, int], output: str, at_least: int) -> None:
    """Nothing but passes (no skip, failure, error or warning), and no test lost."""
    assert counts == {"exit": 0, "passed": counts.get("passed", 0)}, f"{counts}\n{output[-8000:]}"
    assert counts["passed"] >= at_least, "the suite lost tests"
