"""The black-box EC2 conformance suite (``conformance/ec2``) against our gateway.

The suite runs in a subprocess, as it would against any other endpoint; it reaches the gateway,
served on 127.0.0.1 in a thread of this process, with the keys of two fresh accounts and the
public image of the contract fixtures. Every test must pass, none may be skipped: the run is
given every option the suite knows.
"""

from __future__ import annotations

from core.services.container import Services
from core.views import ImageView, NewAccount
from tests.contract.conformance_run import assert_all_passed, run_suite

SUITE = "conformance/ec2"


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


def test_the_gateway_passes_the_ec2_conformance_suite(
    base_url: str, services: Services, ec2_account: NewAccount, image: ImageView
) -> None:
    other = services.identity.create_account("conformance-ec2-2")
    counts, output = run_suite(SUITE, _options(base_url, ec2_account, other, image))
    assert_all_passed(counts, output, at_least=105)
