"""The black-box native conformance suite (``conformance/native``) against our gateway.

The suite runs in a subprocess, as it would against any other endpoint; it reaches the gateway,
served on 127.0.0.1 in a thread of this process, with the keys and password of fresh accounts.
Every test must pass, none may be skipped: the run is given every option the suite knows.
"""

from __future__ import annotations

from core.services.container import Services
from tests.contract.conformance_run import assert_all_passed, run_suite
from tests.contract.native import NativeUser

SUITE = "conformance/native"


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


def test_the_gateway_passes_the_native_conformance_suite(
    native_user: NativeUser, services: Services
) -> None:
    other = NativeUser(native_user.endpoint, services.identity.create_account("conformance-2"))
    counts, output = run_suite(SUITE, _options(native_user, other))
    assert_all_passed(counts, output, at_least=90)
