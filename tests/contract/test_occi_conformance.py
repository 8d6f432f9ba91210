"""The black-box OCCI conformance suite (``conformance/occi``) against our gateway.

The suite runs in a subprocess, as it would against any other OCCI endpoint; it reaches the
gateway, served on 127.0.0.1 in a thread of this process, at ``/occi/`` with the username and
password of two fresh accounts and a session key of the first as its ``X-Auth-Token``, and
finds the public image of the contract fixtures as an os_tpl. Every test must pass, none may be
skipped: the run is given every option the suite knows.
"""

from __future__ import annotations

from core.views import NewAccount
from tests.contract.conformance_run import assert_all_passed, run_suite
from tests.contract.conftest import ServedCloud

SUITE = "conformance/occi"


def _options(endpoint: str, account: NewAccount, token: str, other: NewAccount) -> list[str]:
    return [
        f"--occi-endpoint={endpoint}",
        f"--occi-username={account.username}",
        f"--occi-password={account.password}",
        f"--occi-token={token}",
        f"--occi-username-2={other.username}",
        f"--occi-password-2={other.password}",
        "--occi-timeout=60",
    ]


def test_the_gateway_passes_the_occi_conformance_suite(served_cloud: ServedCloud) -> None:
    served_cloud.image()
    account = served_cloud.account("occi-user")
    other = served_cloud.account("occi-user")
    token = served_cloud.services.identity.login(account.username, account.password).session_key
    endpoint = f"{served_cloud.url}/occi/"
    counts, output = run_suite(SUITE, _options(endpoint, account, token, other))
    assert_all_passed(counts, output, at_least=65)
