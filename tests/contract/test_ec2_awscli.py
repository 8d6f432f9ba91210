"""awscli, unmodified, as a user runs it: ``aws --endpoint-url … ec2 …`` in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.views import ImageView, NewAccount
from tests.contract.ec2 import REGION

AWS = Path(sys.executable).with_name("aws")


class Aws:
    def __init__(self, base_url: str, account: NewAccount, home: Path) -> None:
        self._base_url = base_url
        self._env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),  # no ~/.aws of whoever runs the tests
            "AWS_ACCESS_KEY_ID": account.access_key,
            "AWS_SECRET_ACCESS_KEY": account.secret_key,
            "AWS_DEFAULT_REGION": REGION,
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AWS), "--endpoint-url", self._base_url, "ec2", *args],
            capture_output=True,
            text=True,
            env=self._env,
            timeout=300,
            check=False,
        )

    def json(self, *args: str) -> Any:
        ran = self.run(*args, "--output", "json")
        assert ran.returncode == 0, ran.stderr
        return json.loads(ran.stdout) if ran.stdout.strip() else None


@pytest.fixture
def aws(base_url: str, ec2_account: NewAccount, tmp_path: Path) -> Aws:
    return Aws(base_url, ec2_account, tmp_path)


def test_instances_from_the_command_line(aws: Aws, image: ImageView) -> None:
    [region] = aws.json("describe-regions")["Regions"]
    assert region["RegionName"] == REGION
    material = aws.run("create-key-pair", "--key-name", "cli", "--query", "KeyMaterial")
    assert "PRIVATE KEY" in material.stdout
    launched = aws.json(
        "run-instances",
        "--image-id",
        f"ami-{image.ref}",
        "--count",
        "2",
        "--instance-type",
        "t2.nano",
        "--key-name",
        "cli",
        "--tag-specifications",
        "ResourceType=instance,Tags=[{Key=Name,Value=cli-made}]",
    )
    ids = [i["InstanceId"] for i in launched["Instances"]]
    waited = aws.run("wait", "instance-running", "--instance-ids", *ids)
    assert waited.returncode == 0, waited.stderr
    names = aws.json(
        "describe-instances",
        "--filters",
        "Name=tag:Name,Values=cli-*",
        "--query",
        "Reservations[].Instances[].[InstanceId,State.Name]",
    )
    assert sorted(names) == sorted([i, "running"] for i in ids)
    table = aws.run("describe-instances", "--instance-ids", ids[0], "--output", "table")
    assert table.returncode == 0, table.stderr
    assert "DescribeInstances" in table.stdout and ids[0] in table.stdout and "+--" in table.stdout
    text = aws.run(
        "describe-instances", "--query", "Reservations[].Instances[].State.Name", "--output", "text"
    )
    assert text.stdout.split() == ["running", "running"]
    console = aws.json("get-console-output", "--instance-id", ids[0])
    assert console["InstanceId"] == ids[0]
    stopped = aws.json("stop-instances", "--instance-ids", ids[0])
    assert stopped["StoppingInstances"][0]["PreviousState"]["Name"] == "running"
    terminated = aws.json("terminate-instances", "--instance-ids", *ids)
    assert len(terminated["TerminatingInstances"]) == 2


def test_auto_paging_and_injected_max_results(aws: Aws) -> None:
    for n in range(11):
        aws.json("create-security-group", "--group-name", f"g{n}", "--description", "paged")
    # awscli pages on its own: 5 at a time, three requests, one answer of all twelve groups
    groups = aws.json("describe-security-groups", "--page-size", "5")["SecurityGroups"]
    assert len(groups) == 12
    first = aws.json("describe-security-groups", "--max-items", "5")
    assert len(first["SecurityGroups"]) == 5 and first["NextToken"]
    # describe-volumes: awscli adds MaxResults=1000 itself
    aws.json("create-volume", "--size", "1", "--availability-zone", "cloudgate-1a")
    assert len(aws.json("describe-volumes")["Volumes"]) == 1


def test_errors_reach_the_user_with_ec2s_codes(aws: Aws, image: ImageView) -> None:
    malformed = aws.run("describe-instances", "--instance-ids", "i-bad")
    assert malformed.returncode != 0
    assert "InvalidInstanceID.Malformed" in malformed.stderr
    dry = aws.run(
        "run-instances",
        "--image-id",
        f"ami-{image.ref}",
        "--instance-type",
        "t2.nano",
        "--dry-run",
    )
    assert dry.returncode != 0  # awscli exits non-zero on DryRunOperation, by design
    assert "DryRunOperation" in dry.stderr
    assert aws.json("describe-instances")["Reservations"] == []
