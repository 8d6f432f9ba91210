"""What the CIMI contract tests share: an httpx client for an account that checks every XML
answer against DMTF's schema as it arrives, and the walk from the CloudEntryPoint."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx

from core.views import NewAccount
from tests.cimi_schema import validate

CIMI: Final = "http://schemas.dmtf.org/cimi/1"
XML: Final = {"Accept": "application/xml"}


def _validated(response: httpx.Response) -> None:
    """Every XML document the server sends must be valid DSP8009 1.0.2."""
    if response.request.method == "HEAD":  # the headers of a GET, with no document
        return
    if response.headers.get("content-type", "").startswith("application/xml"):
        response.read()
        validate(response.content)


@contextmanager
def client(url: str, account: NewAccount) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=url,
        auth=(account.username, account.password),
        timeout=60,
        event_hooks={"response": [_validated]},
    ) as http:
        yield http


def entry_point(http: httpx.Client) -> dict[str, Any]:
    answer = http.get("/cimi/cloudEntryPoint")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def until_job_done(http: httpx.Client, job_uri: str, timeout: float = 60) -> dict[str, Any]:
    """Polls a Job until it leaves QUEUED/RUNNING; a busy host only makes it later."""
    deadline = time.monotonic() + timeout
    while True:
        job = dict(http.get(job_uri).json())
        if job["state"] not in ("QUEUED", "RUNNING"):
            return job
        assert time.monotonic() < deadline, f"job {job_uri} still {job['state']}"
        time.sleep(0.2)


def operation(resource: dict[str, Any], rel: str) -> str:
    """The href of an operation the resource offers now; fails if it offers none such."""
    found = [o["href"] for o in resource.get("operations", []) if o["rel"].endswith(rel)]
    assert found, f"{resource['id']} offers no {rel}: {resource.get('operations')}"
    return str(found[0])
