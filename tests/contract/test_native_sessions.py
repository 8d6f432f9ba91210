"""A session from ``login`` authenticates only with its ``sessionkey`` parameter (a cookie alone
is what a forged cross-site request carries), and failed password logins in a row lock a user on
every API that takes a password until an administrator calls ``enableUser``. Browsers' way in
is played by httpx (it keeps the cookies ``login`` sets); signed calls by the ``cs`` client."""

from __future__ import annotations

from typing import Any, Final

import httpx
import pytest
from cs import CloudStack, CloudStackApiException

from core.views import NewAccount
from tests.contract.conftest import ServedCloud
from tests.contract.native import NativeUser

REFUSED: Final = "unable to verify user credentials and/or request signature"
LOGIN_FAILED: Final = "failed to authenticate user, check if username/password are correct"


def _cs(user: NativeUser) -> CloudStack:
    return CloudStack(endpoint=user.endpoint, key=user.key, secret=user.secret)


def _login(http: httpx.Client, endpoint: str, account: NewAccount, password: str) -> httpx.Response:
    form = {
        "command": "login",
        "username": account.username,
        "password": password,
        "response": "json",
    }
    return http.post(endpoint, data=form)


def _session(http: httpx.Client, endpoint: str, account: NewAccount) -> str:
    """Logs in as a browser does: ``http`` keeps the cookies ``login`` sets. The session key."""
    answer = _login(http, endpoint, account, account.password)
    assert answer.status_code == 200, answer.text
    key = answer.json()["loginresponse"]["sessionkey"]
    assert http.cookies["sessionkey"] == key
    return str(key)


def _key_pairs(http: httpx.Client, endpoint: str, key: str) -> list[str]:
    params = {"command": "listSSHKeyPairs", "response": "json", "sessionkey": key}
    answer = http.get(endpoint, params=params).json()["listsshkeypairsresponse"]
    return [k["name"] for k in answer.get("sshkeypair", [])]


@pytest.mark.parametrize(
    "command",
    [
        pytest.param({"command": "createSSHKeyPair", "name": "forged"}, id="state-changing"),
        pytest.param({"command": "listZones"}, id="read-only"),
    ],
)
def test_the_session_cookie_alone_is_refused(
    native_user: NativeUser, command: dict[str, str]
) -> None:
    with httpx.Client(timeout=30) as http:
        key = _session(http, native_user.endpoint, native_user.account)
        forged = http.get(native_user.endpoint, params={**command, "response": "json"})
        assert forged.status_code == 401
        [envelope] = forged.json().values()
        assert (envelope["errorcode"], envelope["errortext"]) == (401, REFUSED)
        assert _key_pairs(http, native_user.endpoint, key) == []
        with_key = http.get(
            native_user.endpoint, params={**command, "response": "json", "sessionkey": key}
        )
        assert with_key.status_code == 200, with_key.text


def test_a_session_key_parameter_creates_with_or_without_the_cookie(
    native_user: NativeUser,
) -> None:
    with httpx.Client(timeout=30) as http:
        key = _session(http, native_user.endpoint, native_user.account)
        for name, cookies in (("with-cookie", http.cookies), ("without-cookie", None)):
            made = httpx.get(
                native_user.endpoint,
                params={
                    "command": "createSSHKeyPair",
                    "name": name,
                    "response": "json",
                    "sessionkey": key,
                },
                cookies=cookies,
            )
            assert made.status_code == 200, made.text
        assert sorted(_key_pairs(http, native_user.endpoint, key)) == [
            "with-cookie",
            "without-cookie",
        ]


def test_signed_calls_need_no_session(native_user: NativeUser) -> None:
    made = _cs(native_user).createSSHKeyPair(name="signed")
    assert made["keypair"]["name"] == "signed"


def _refused_everywhere(cloud: ServedCloud, account: NewAccount, password: str) -> None:
    """The right password, refused by native login, OCCI's and CIMI's HTTP Basic alike."""
    with httpx.Client(timeout=30) as http:
        login = _login(http, f"{cloud.url}/client/api", account, password)
        assert login.status_code == 531
        assert login.json()["loginresponse"]["errortext"] == LOGIN_FAILED
        for path in ("/occi/compute/", "/cimi/cloudEntryPoint"):
            basic = http.get(f"{cloud.url}{path}", auth=(account.username, password))
            assert basic.status_code == 401, path


def test_failed_logins_lock_a_user_until_an_admin_enables_it(
    served_cloud: ServedCloud, native_user: NativeUser, native_admin: NativeUser
) -> None:
    account, endpoint = native_user.account, native_user.endpoint
    with httpx.Client(timeout=30) as http:
        for _ in range(3):
            assert _login(http, endpoint, account, "guess").status_code == 531
        for _ in range(2):  # HTTP Basic guesses count as much as login's
            guess = http.get(f"{served_cloud.url}/occi/compute/", auth=(account.username, "guess"))
            assert guess.status_code == 401
    _refused_everywhere(served_cloud, account, account.password)

    admin = _cs(native_admin)
    user: dict[str, Any] = admin.getUser(userapikey=account.access_key)["user"]
    assert user["state"] == "locked"
    assert _cs(native_user).listZones()["zone"]  # its keys still sign
    with pytest.raises(CloudStackApiException) as not_admin:
        _cs(native_user).enableUser(id=user["id"])
    assert not_admin.value.error["errorcode"] == 401

    enabled = admin.enableUser(id=user["id"])
    assert enabled["user"]["id"] == user["id"]
    assert enabled["user"]["state"] == "enabled"
    assert enabled["user"]["username"] == account.username
    with httpx.Client(timeout=30) as http:
        assert _session(http, endpoint, account)
    occi = httpx.get(
        f"{served_cloud.url}/occi/compute/", auth=(account.username, account.password), timeout=30
    )
    assert occi.status_code == 200


def test_a_successful_login_starts_the_count_afresh(native_user: NativeUser) -> None:
    account, endpoint = native_user.account, native_user.endpoint
    with httpx.Client(timeout=30) as http:
        for _ in range(2):
            for _ in range(4):
                assert _login(http, endpoint, account, "guess").status_code == 531
            assert _login(http, endpoint, account, account.password).status_code == 200
