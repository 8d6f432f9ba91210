"""kill -9 of ``cloudgate serve`` in the middle of jobs: after a restart nothing is lost and
nothing is orphaned. The test drives the queue through its own core on the same database, as a
second gateway process would, and watches the server from outside."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import libvirt
import pytest
from sqlalchemy import select

from core.bootstrap import ADMIN_ACCOUNT, bootstrap
from core.db.models import Job
from core.enums import TERMINAL_JOB_STATUSES, JobStatus
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.settings import CoreSettings
from core.states import InstanceState
from core.views import InstanceQuery
from tests.integration.conftest import (
    filter_names,
    leftovers,
    new_workdir,
    our_domains,
    purge,
    settings_for,
    wait_for,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gateway:
    """``cloudgate serve`` as a child process on 127.0.0.1, configured through the environment."""

    def __init__(self, settings: CoreSettings, log: Path) -> None:
        self.port = _free_port()
        self._log = log
        self._env = {
            **os.environ,
            "CLOUDGATE_CONFIG": str(settings.data_dir / "absent.toml"),
            "CLOUDGATE_DATABASE_URL": settings.database_url,
            "CLOUDGATE_LIBVIRT_URI": settings.libvirt_uri,
            "CLOUDGATE_DATA_DIR": str(settings.data_dir),
            "CLOUDGATE_POOL_NAME": settings.pool_name,
            "CLOUDGATE_RECONCILE_INTERVAL": "1",
            "CLOUDGATE_WORKERS": "2",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gateway.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for("the gateway's /healthz", self._healthy, timeout=60)

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"gateway exited with {self.process.returncode}:\n{self._log.read_text()}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def kill_9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)


@contextmanager
def crashing_cloud(
    qemu_conn: libvirt.virConnect, tiny_image: Path
) -> Iterator[tuple[Services, Gateway]]:
    """A real cloud whose jobs only a ``cloudgate serve`` child process runs (not started
    yet), with the public image; everything it made is purged at the end."""
    workdir = new_workdir()
    settings = settings_for(workdir)
    services = Services(settings)  # no workers here: only the gateway process runs jobs
    bootstrap(services)
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    services.images.register(admin, tiny_image, name="tiny-linux", public=True)
    gateway = Gateway(settings, workdir / "gateway.log")
    try:
        yield services, gateway
    finally:
        gateway.stop()
        names = filter_names(services)
        services.close()
        purge(qemu_conn, services.installation, settings.pool_name, names)
        shutil.rmtree(workdir)


@pytest.fixture
def crashing(qemu_conn: libvirt.virConnect, tiny_image: Path) -> Iterator[tuple[Services, Gateway]]:
    with crashing_cloud(qemu_conn, tiny_image) as made:
        yield made


def _jobs(services: Services) -> list[Job]:
    with services.db.transaction() as session:
        return list(session.scalars(select(Job)))


def _kill_during_a_job(services: Services, gateway: Gateway) -> None:
    wait_for(
        "a job to be running",
        lambda: any(j.status is JobStatus.RUNNING for j in _jobs(services)),
        timeout=60,
        interval=0.02,
    )
    gateway.kill_9()
    assert any(j.status is JobStatus.RUNNING for j in _jobs(services)), "killed between jobs"


def _all_jobs_terminal(services: Services) -> bool:
    return all(j.status in TERMINAL_JOB_STATUSES for j in _jobs(services))


def test_kill_9_during_jobs_loses_nothing(
    crashing: tuple[Services, Gateway], qemu_conn: libvirt.virConnect
) -> None:
    services, gateway = crashing
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    gateway.start()
    services.key_pairs.create_key_pair(admin, "crash-key")
    services.compute.launch(
        admin, LaunchRequest(image="tiny-linux", flavor="t1.micro", count=2, key_name="crash-key")
    )
    _kill_during_a_job(services, gateway)

    gateway.start()
    wait_for("every job to finish after the restart", lambda: _all_jobs_terminal(services))
    instances = services.compute.list_instances(admin, InstanceQuery()).items
    assert len(instances) == 2
    assert {i.state for i in instances} <= {InstanceState.RUNNING, InstanceState.ERROR}
    running = {str(i.id) for i in instances if i.state is InstanceState.RUNNING}
    assert running, "no instance survived the crash"
    assert {d.UUIDString() for d in our_domains(qemu_conn, services.installation)} == running
    resumed = [j for j in _jobs(services) if j.attempts > 1]
    assert resumed, "no job was resumed after the restart"

    services.compute.terminate_instances(admin, [i.ref for i in instances])
    _kill_during_a_job(services, gateway)
    gateway.start()
    wait_for("the terminations to finish", lambda: _all_jobs_terminal(services))
    assert {i.state for i in services.compute.list_instances(admin, InstanceQuery()).items} == {
        InstanceState.TERMINATED
    }
    wait_for(
        "the reconciler to leave nothing behind",
        lambda: (
            leftovers(
                qemu_conn,
                services.installation,
                services.settings.pool_name,
                filter_names(services, groups_too=False),
            )
            == []
        ),
        timeout=30,
    )
