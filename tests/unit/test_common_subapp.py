"""The front-end kit on a toy API (no API vocabulary): renderers found by class along the MRO,
one request id per request, the body limit before authentication, throttling after it, and
the handler in a worker thread. Driven in-process through httpx's ASGI transport."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response

from gateway.common import (
    ApiRequest,
    Endpoint,
    ErrorRenderers,
    HeadersTooLarge,
    Limits,
    RateLimit,
    RequestTooLarge,
    Throttle,
    Throttled,
    api_app,
)
from tests.unit.asgi import call, chunks


class ToyError(Exception):
    """The toy API's own protocol error."""


class Refused(ToyError):
    """A subclass: rendered by the ``ToyError`` renderer, found along the MRO."""


class Toy:
    """Authenticates by an ``X-Key`` header naming the account, then answers what it saw."""

    def __init__(self) -> None:
        self.handled = 0
        self.threads: list[str] = []

    def handle(self, request: ApiRequest) -> Response:
        self.handled += 1
        self.threads.append(threading.current_thread().name)
        account = request.headers.get("x-key")
        if not account:
            raise Refused("who are you?")
        request.admit(account)
        fail = dict(request.params).get("fail")
        if fail == "toy":
            raise ToyError("bad toy")
        if fail == "crash":
            raise RuntimeError("secret detail")
        return JSONResponse(
            {"request_id": request.request_id, "body": len(request.body), "form": request.form}
        )


ERRORS = (
    ErrorRenderers()
    .on(ToyError, lambda exc, r: JSONResponse({"error": "toy", "id": r.request_id}, 400))
    .on(RequestTooLarge, lambda exc, r: JSONResponse({"error": "size", "limit": exc.limit}, 413))
    .on(HeadersTooLarge, lambda exc, r: JSONResponse({"error": "headers", "why": str(exc)}, 431))
    .on(Throttled, lambda exc, r: JSONResponse({"error": "slow", "wait": exc.retry_after}, 429))
    .on(Exception, lambda exc, r: JSONResponse({"error": "internal", "id": r.request_id}, 500))
)


def _app(toy: Toy, *, limit: int = 64, rate: RateLimit | None = None) -> Starlette:
    limits = Limits(limit, Throttle(rate or RateLimit(per_second=0.001, burst=3)))
    return api_app("toy", [Endpoint("/toy", toy.handle)], ERRORS, limits)


@pytest.fixture
def toy() -> Toy:
    return Toy()


class Client:
    def __init__(self, app: Starlette) -> None:
        self.app = app

    def get(self, url: str, **options: Any) -> httpx.Response:
        return call(self.app, "GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return call(self.app, "POST", url, **options)


@pytest.fixture
def client(toy: Toy) -> Client:
    return Client(_app(toy))


@pytest.mark.parametrize(
    ("headers", "params", "status", "error"),
    [
        pytest.param({}, {}, 400, "toy", id="subclass-by-base-renderer"),
        pytest.param({"x-key": "a"}, {"fail": "toy"}, 400, "toy", id="own-class"),
        pytest.param({"x-key": "a"}, {"fail": "crash"}, 500, "internal", id="anything-else"),
    ],
)
def test_errors_are_rendered_by_the_nearest_class(
    client: Client, headers: dict[str, str], params: dict[str, str], status: int, error: str
) -> None:
    response = client.get("/toy", headers=headers, params=params)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_an_unexpected_error_logs_its_traceback_and_answers_with_the_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.get("/toy", headers={"x-key": "a"}, params={"fail": "crash"})
    body = response.json()
    assert "secret detail" not in response.text
    [failure] = [r for r in caplog.records if r.exc_info]
    assert failure.exc_info is not None and "secret detail" in str(failure.exc_info[1])
    assert body["id"] in failure.getMessage()
    [access] = [r for r in caplog.records if r.name == "gateway.access"]
    assert body["id"] in access.getMessage() and "status=500" in access.getMessage()


def test_every_request_gets_its_own_request_id(client: Client) -> None:
    ids = [client.get("/toy", headers={"x-key": k}).json()["request_id"] for k in "abc"]
    assert len(set(ids)) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_the_handler_runs_in_a_worker_thread(client: Client, toy: Toy) -> None:
    client.get("/toy", headers={"x-key": "a"})
    assert toy.threads and all(t != threading.current_thread().name for t in toy.threads)
    assert threading.main_thread().name not in toy.threads


def test_a_form_within_the_limit_reaches_the_handler(client: Client) -> None:
    response = client.post("/toy", headers={"x-key": "a"}, data={"a": "1", "b": ""})
    assert response.json()["form"] == [["a", "1"], ["b", ""]]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_unsigned_body_gets_the_size_error_before_authentication(
    client: Client, toy: Toy, declared: bool
) -> None:
    body = b"x" * 65
    content = body if declared else chunks(body[:40], body[40:])
    response = client.post("/toy", content=content)  # no X-Key: authentication would refuse
    assert (response.status_code, response.json()) == (413, {"error": "size", "limit": 64})
    assert toy.handled == 0  # the handler (and its authentication) never ran


def test_a_body_at_the_limit_is_read(client: Client) -> None:
    response = client.post("/toy", headers={"x-key": "a"}, content=b"x" * 64)
    assert (response.status_code, response.json()["body"]) == (200, 64)


def test_each_account_is_throttled_after_authentication(client: Client, toy: Toy) -> None:
    statuses = [client.get("/toy", headers={"x-key": "busy"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = client.get("/toy", headers={"x-key": "busy"}).json()
    assert throttled["error"] == "slow" and throttled["wait"] > 0
    assert client.get("/toy", headers={"x-key": "quiet"}).status_code == 200  # its own budget
    assert client.get("/toy").status_code == 400  # unauthenticated requests spend no budget


def test_the_access_log_names_method_path_api_account_status_and_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        request_id = client.get("/toy?x=1", headers={"x-key": "acct-7"}).json()["request_id"]
        client.get("/toy")
    ok, refused = (r.getMessage() for r in caplog.records if r.name == "gateway.access")
    assert ok.startswith("GET /toy api=toy account=acct-7 status=200 duration_ms=")
    assert ok.endswith(f"request_id={request_id}")
    assert "x=1" not in ok
    assert "account=- status=400" in refused


def test_the_access_log_escapes_control_characters_in_the_path(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        client.get("/toy%0Aforged")
    [line] = [r.getMessage() for r in caplog.records if r.name == "gateway.access"]
    assert "\n" not in line and "/toy\\x0aforged" in line


def test_an_api_must_render_exception_and_the_kits_own_refusals() -> None:
    partial = ErrorRenderers().on(ToyError, lambda exc, r: Response(status_code=400))
    with pytest.raises(ValueError, match="Exception, HeadersTooLarge, RequestTooLarge, Throttled"):
        api_app("toy", [], partial, Limits(64, Throttle(RateLimit())))
