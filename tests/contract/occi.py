"""What the OCCI contract tests share: an account as rOCCI-cli and plain HTTP clients use it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx

from core.views import NewAccount
from tests.rocci import Auth, Basic, run_occi

INFRA: Final = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE_KIND: Final = f'Category: compute;scheme="{INFRA}";class="kind"'
STORAGE_KIND: Final = f'Category: storage;scheme="{INFRA}";class="kind"'
OS_TPL: Final = "http://schemas.cloudgate.invalid/occi/os_tpl#"
RESOURCE_TPL: Final = "http://schemas.cloudgate.invalid/occi/resource_tpl#"


def until(check: Callable[[], bool], timeout: float = 60) -> None:
    """Waits for a condition the gateway's jobs bring about; a busy host only makes it later."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@dataclass(frozen=True)
class OcciUser:
    """An account of the served gateway, with its OCCI endpoint ``<url>/occi/``."""

    url: str
    account: NewAccount

    @property
    def endpoint(self) -> str:
        return f"{self.url}/occi/"

    @property
    def basic(self) -> Basic:
        return Basic(self.account.username, self.account.password)

    def occi(self, *args: str, auth: Auth | None = None) -> str:
        """Runs rOCCI-cli with Basic auth (or ``auth``); fails the test unless it succeeds."""
        done = run_occi(self.endpoint, *args, auth=auth or self.basic)
        assert done.returncode == 0, f"occi {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def occi_failing(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_occi(self.endpoint, *args, auth=self.basic)

    def http(self) -> httpx.Client:
        """A plain HTTP client on the gateway with this account's Basic credentials."""
        auth = (self.account.username, self.account.password)
        return httpx.Client(base_url=self.url, auth=auth, timeout=60)

    def create_compute(self, image_id: str, flavor_id: str, title: str) -> str:
        """A compute made with text/plain by hand, for tests about other things."""
        body = (
            f"{COMPUTE_KIND}\n"
            f'Category: image-{image_id};scheme="{OS_TPL}";class="mixin"\n'
            f'Category: flavor-{flavor_id};scheme="{RESOURCE_TPL}";class="mixin"\n'
            f'X-OCCI-Attribute: occi.core.title="{title}"\n'
        )
        with self.http() as http:
            created = http.post(
                "/occi/compute/", content=body, headers={"Content-Type": "text/plain"}
            )
        assert created.status_code == 201, created.text
        return created.headers["location"]
