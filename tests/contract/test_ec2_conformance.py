"""The black-box EC2 conformance suite (``conformance/ec2``) against our gateway.

The suite runs in a subprocess, as it would against any other endpoint; it reaches the gateway,
served on 127.0.0.1 in a thread of this process, with the keys of two fresh accounts and the
public image of the contract fixtures. Every test must pass, none may be skipped: the run is
given every option the suite knows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from core.services.container import Services
from core.views import ImageView, NewAccount

ROOT: Final = Path(__file__).resolve().parents[2]
SUITE: Final = "conformance/ec2"
# The last line of a run: "95 passed in 11.19s", with or without "=" around it.
SUMMARY: Final = re.compile(r"=* ?(?P<counts>[^=]+?) in [0-9.]+s(?: \([0-9:]+\))? ?=*")


def _options(base_url: str, account: NewAccount, other: NewAccount, image: ImageView) -> list[str]:
    return [
        f"--ec2-endpoint={base_url}/",
        f"--ec2-access-key={account.access_key}",
        f"--ec2-secret-key={account.secret_key}",
        "--ec2-region=cloudgate-1",
        f"--ec2-image-id=ami-{image.ref}",
        "--ec2-instance-type=t2.nano",
        "--ec2-zone=cloudgate-1a",
        f"--ec2-access-key-2={other.access_key}",
        f"--ec2-secret-key-2={other.secret_key}",
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


def test_the_gateway_passes_the_ec2_conformance_suite(
    base_url: str, services: Services, ec2_account: NewAccount, image: ImageView
) -> None:
    other = services.identity.create_account("conformance-ec2-2")
    counts, output = _run([SUITE, *_options(base_url, ec2_account, other, image)])
    # Nothing but passes: no skip, failure, error or warning.
    assert counts == {"exit": 0, "passed": counts.get("passed", 0)}, f"{counts}\n{output[-8000:]}"
    assert counts["passed"] >= 105, "the suite lost tests"
