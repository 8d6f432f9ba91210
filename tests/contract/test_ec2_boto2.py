"""boto 2.49, as old scripts use it: ``connect_ec2(..., path="/awsapi", port=…)``. It runs as a
script in its own interpreter, as such scripts do (boto 2 imports modules Python 3.11 warns
about, which this suite turns into errors)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.services.container import Services
from core.views import ImageView, NewAccount

SCRIPT = Path(__file__).parent / "scripts" / "boto2_walkthrough.py"


def test_a_classic_boto2_script_runs_unchanged(
    base_url: str, ec2_account: NewAccount, image: ImageView, services: Services
) -> None:
    ran = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            base_url,
            ec2_account.access_key,
            ec2_account.secret_key,
            f"ami-{image.ref}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-4000:]
    seen = json.loads(ran.stdout)
    assert seen["zones"] == ["cloudgate-1a"]
    assert len(seen["fingerprint"].split(":")) == 20  # AWS's SHA-1 for a key it made
    assert seen["state"] == "running"
    assert seen["tagged"] == [seen["instance"]]
    assert seen["terminated"] == [seen["instance"]]
    assert seen["volume"] == "available"
    assert seen["address"].startswith("198.51.100.")
    assert ["boto2-web", [["tcp", "22", "22"]]] in seen["groups"]
    view = services.compute.get_instance(
        services.identity.caller_for(ec2_account.account.name), seen["instance"].removeprefix("i-")
    )
    assert view.security_groups == ["boto2-web"]
    assert view.key_name == "boto2-key"  # deleting the pair later does not change the instance
