"""What the EC2 contract tests share: boto3 clients for an account of the gateway."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from core.views import NewAccount

REGION = "cloudgate-1"


def session(account: NewAccount) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=account.access_key,
        aws_secret_access_key=account.secret_key,
        region_name=REGION,
    )


def client(base_url: str, account: NewAccount, *, retries: int = 3) -> Any:
    """boto3's EC2 client on the gateway; ``retries=1`` for tests that look at one refusal."""
    config = Config(retries={"total_max_attempts": retries, "mode": "standard"})
    return session(account).client("ec2", endpoint_url=base_url, config=config)


def resource(base_url: str, account: NewAccount) -> Any:
    return session(account).resource("ec2", endpoint_url=base_url)


def fast(delay: int = 1, attempts: int = 60) -> dict[str, int]:
    """Waiter settings for a gateway whose jobs finish in well under a second."""
    return {"Delay": delay, "MaxAttempts": attempts}
