"""The served app: start-up recovery and the workers run in its lifespan, then /healthz answers."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from core.bootstrap import ADMIN_ACCOUNT
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState


def test_healthz(base_url: str) -> None:
    response = httpx.get(f"{base_url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}  # nothing else to anyone, not the installation
    assert httpx.get(f"{base_url}/nope").status_code == 404


def test_served_gateway_runs_queued_jobs(base_url: str, services: Services, tmp_path: Path) -> None:
    disk = tmp_path / "base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    services.images.register(admin, disk, name="tiny-linux", public=True)
    [instance] = services.compute.launch(admin, LaunchRequest("tiny-linux", "t1.micro")).instances
    for _ in range(200):
        if services.compute.get_instance(admin, instance.ref).state is InstanceState.RUNNING:
            break
        time.sleep(0.05)
    assert services.compute.get_instance(admin, instance.ref).state is InstanceState.RUNNING
