"""``login``/``logout`` (spec §1.4): a POSTed password gives a session key, in the body and in a
``sessionkey`` cookie; later calls carry both, unsigned; after ``logout`` the key is dead."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conformance.native.checks import UUID, error_text
from conformance.native.client import Login, Reply, read_json


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A client with its own cookie jar, like CloudMonkey's, apart from the signed one."""
    with httpx.Client(timeout=60) as client:
        yield client


def _login(http: httpx.Client, login: Login, password: str | None = None) -> Reply:
    form = {
        "command": "login",
        "username": login.username,
        "password": login.password if password is None else password,
        "domain": login.domain,
        "response": "json",
    }
    return read_json(http.post(login.endpoint, data=form))


def _session_key(http: httpx.Client, login: Login) -> str:
    reply = _login(http, login)
    assert (reply.status, reply.name) == (200, "loginresponse"), reply.body
    key = reply.body["sessionkey"]
    assert isinstance(key, str) and key
    return key


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def test_login_gives_the_session_key_in_body_and_cookie(
    browser: httpx.Client, login: Login
) -> None:
    reply = _login(browser, login)
    assert (reply.status, reply.name) == (200, "loginresponse"), reply.body
    answer = reply.body
    assert answer["username"] == login.username
    assert UUID.fullmatch(answer["userid"]) and UUID.fullmatch(answer["domainid"])
    assert answer["sessionkey"] and browser.cookies.get("sessionkey") == answer["sessionkey"]
    [cookie] = [c for c in reply.response.headers.get_list("set-cookie") if "sessionkey=" in c]
    assert "httponly" in cookie.lower()


def test_session_calls_need_no_signature(browser: httpx.Client, login: Login) -> None:
    key = _session_key(browser, login)
    params = {"command": "listZones", "response": "json", "sessionkey": key}
    by_get = read_json(browser.get(login.endpoint, params=params))
    assert (by_get.status, by_get.name) == (200, "listzonesresponse"), by_get.body
    assert by_get.body["zone"]
    by_post = read_json(browser.post(login.endpoint, data=params))
    assert (by_post.status, by_post.name) == (200, "listzonesresponse"), by_post.body


def test_logout_ends_the_session(browser: httpx.Client, login: Login) -> None:
    key = _session_key(browser, login)
    cookies = dict(browser.cookies)
    out = read_json(
        browser.post(
            login.endpoint, data={"command": "logout", "response": "json", "sessionkey": key}
        )
    )
    assert (out.status, out.name) == (200, "logoutresponse"), out.body
    # Replay the dead session exactly as it was sent before logout: key and cookies.
    with httpx.Client(timeout=60, headers={"Cookie": _cookie_header(cookies)}) as replay:
        params = {"command": "listZones", "response": "json", "sessionkey": key}
        after = read_json(replay.get(login.endpoint, params=params))
    error_text(after, 401, "listzonesresponse")


def test_wrong_password_gives_no_session(browser: httpx.Client, login: Login) -> None:
    reply = _login(browser, login, password=login.password + "-wrong")
    assert reply.status != 200
    error_text(reply, reply.status, "loginresponse")
    assert "sessionkey" not in reply.body and "sessionkey" not in browser.cookies


def test_a_made_up_session_key_is_401(browser: httpx.Client, login: Login) -> None:
    params = {"command": "listZones", "response": "json", "sessionkey": "made-up"}
    reply = read_json(
        browser.get(login.endpoint, params=params, headers={"Cookie": "sessionkey=made-up"})
    )
    error_text(reply, 401, "listzonesresponse")
