"""Real guests: qemu:///system, the tiny-linux image, an installation of our own per test.

Each test gets its own database, storage pool and installation id under /var/tmp (qemu runs as
libvirt-qemu and must be able to traverse the path), and its teardown fails the test if any
domain or volume of that installation is left on the host.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, TypeVar

import libvirt
import pytest

from core.bootstrap import ADMIN_ACCOUNT, bootstrap
from core.hosts import domain_xml
from core.hosts.tiny_image import build_tiny_image
from core.services.container import Services
from core.settings import CoreSettings
from core.states import InstanceState
from core.views import InstanceQuery
from tests.integration import postgres

CACHE: Final = Path(os.environ.get("CLOUDGATE_TEST_CACHE", "/var/tmp/cloudgate-test-cache"))
T = TypeVar("T")


def wait_for(
    what: str, probe: Callable[[], T | None], *, timeout: float = 120.0, interval: float = 0.5
) -> T:
    """Poll until ``probe`` returns something truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def qemu_conn() -> Iterator[libvirt.virConnect]:
    conn = libvirt.open("qemu:///system")  # no libvirtd is a failure, never a skip
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def tiny_image() -> Path:
    return build_tiny_image(CACHE / "tiny-linux.qcow2", cache_dir=CACHE / "debs")


def new_workdir() -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="cloudgate-it-", dir="/var/tmp"))
    workdir.chmod(0o755)
    return workdir


def settings_for(workdir: Path) -> CoreSettings:
    return CoreSettings(
        database_url=f"sqlite:///{workdir}/cloudgate.db",
        libvirt_uri="qemu:///system",
        data_dir=workdir / "data",
        pool_name=f"cg-it-{uuid.uuid4().hex[:10]}",
        workers=2,
        stop_timeout=30.0,
        reconcile_interval=1.0,
    )


def leftovers(conn: libvirt.virConnect, installation: str, pool_name: str) -> list[str]:
    """Every domain and volume of this installation still on the host."""
    found = [f"domain {dom.name()}" for dom in our_domains(conn, installation)]
    pool = conn.storagePoolLookupByName(pool_name)
    pool.refresh(0)
    found += [
        f"volume {v.name()}" for v in pool.listAllVolumes(0) if not v.name().startswith("image-")
    ]
    return found


def our_domains(conn: libvirt.virConnect, installation: str) -> list[libvirt.virDomain]:
    found = []
    for dom in conn.listAllDomains(0):
        try:
            metadata = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domain_xml.METADATA_NS, 0)
        except libvirt.libvirtError:
            continue
        if domain_xml.installation_of(metadata) == installation:
            found.append(dom)
    return found


def purge(conn: libvirt.virConnect, installation: str, pool_name: str) -> None:
    """After a failed test too: no domain, volume or pool of this installation stays behind."""
    for dom in our_domains(conn, installation):
        if dom.isActive():
            dom.destroy()
        dom.undefine()
    pool = conn.storagePoolLookupByName(pool_name)
    for volume in pool.listAllVolumes(0):
        volume.delete(0)
    if pool.isActive():
        pool.destroy()
    pool.undefine()


def terminate_everything(services: Services) -> None:
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    live = [
        i.ref
        for i in services.compute.list_instances(
            admin, InstanceQuery(include_terminated=False)
        ).items
    ]
    if live:
        services.compute.terminate_instances(admin, live)
    wait_for(
        "every instance to terminate",
        lambda: all(
            i.state is InstanceState.TERMINATED
            for i in services.compute.list_instances(admin, InstanceQuery()).items
        ),
        timeout=120,
    )


@pytest.fixture
def cloud(qemu_conn: libvirt.virConnect, tiny_image: Path) -> Iterator[Services]:
    """A running core (workers and reconciler) on qemu:///system with tiny-linux registered."""
    workdir = new_workdir()
    services = Services(settings_for(workdir))
    bootstrap(services)
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    services.images.register(admin, tiny_image, name="tiny-linux", public=True)
    services.start_background()
    try:
        yield services
        terminate_everything(services)
        services.reconciler.reconcile_once()
        assert leftovers(qemu_conn, services.installation, services.settings.pool_name) == []
    finally:
        services.close()
        purge(qemu_conn, services.installation, services.settings.pool_name)
        shutil.rmtree(workdir)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with postgres.cluster() as url:
        yield url
