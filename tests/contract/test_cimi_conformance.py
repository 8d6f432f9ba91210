"""The black-box CIMI conformance suite (``conformance/cimi``) against our gateway.

The suite runs in a subprocess, as it would against any other CIMI endpoint; it reaches the
gateway, served on 127.0.0.1 in a thread of this process, through the CloudEntryPoint at
``/cimi/cloudEntryPoint`` with the username and password of two fresh accounts, finds the public
image of the contract fixtures as a MachineImage, and validates every XML answer against the
project's copy of DSP8009. Every test must pass, none may be skipped: the run is given every
option the suite knows.
"""

from __future__ import annotations

from pathlib import Path

from core.views import NewAccount
from tests.contract.conformance_run import ROOT, assert_all_passed, run_suite
from tests.contract.conftest import ServedCloud

SUITE = "conformance/cimi"
XSD = ROOT / "tests" / "data" / "cimi" / "dsp8009-1.0.2.xsd"


def _options(cep: str, account: NewAccount, other: NewAccount, xsd: Path) -> list[str]:
    return [
        f"--cimi-cep={cep}",
        f"--cimi-username={account.username}",
        f"--cimi-password={account.password}",
        f"--cimi-username-2={other.username}",
        f"--cimi-password-2={other.password}",
        f"--cimi-xsd={xsd}",
        "--cimi-timeout=60",
    ]


def test_the_gateway_passes_the_cimi_conformance_suite(served_cloud: ServedCloud) -> None:
    served_cloud.image()
    account = served_cloud.account("cimi-user")
    other = served_cloud.account("cimi-user")
    cep = f"{served_cloud.url}/cimi/cloudEntryPoint"
    counts, output = run_suite(SUITE, _options(cep, account, other, XSD))
    assert_all_passed(counts, output, at_least=60)
