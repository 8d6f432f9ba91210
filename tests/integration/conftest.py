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
from sqlalchemy import select

from core.bootstrap import ADMIN_ACCOUNT, bootstrap
from core.db.models import Network, Nic, SecurityGroup
from core.enums import TERMINAL_JOB_STATUSES
from core.hosts import domain_xml, nwfilter_xml
from core.hosts.tiny_image import build_tiny_image
from core.services.container import Services
from core.settings import CoreSettings
from core.states import InstanceState
from core.views import InstanceQuery, NetworkQuery, SecurityGroupQuery
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


def leftovers(
    conn: libvirt.virConnect, installation: str, pool_name: str, filters: set[str] = frozenset()
) -> list[str]:
    """Every domain, volume, network and named filter of this installation still on the host.

    Base images stay in the pool until the installation goes; everything else must not."""
    found = [f"domain {dom.name()}" for dom in our_domains(conn, installation)]
    pool = conn.storagePoolLookupByName(pool_name)
    pool.refresh(0)
    found += [
        f"volume {v.name()}" for v in pool.listAllVolumes(0) if not v.name().startswith("image-")
    ]
    found += [f"nwfilter {f.name()}" for f in conn.listAllNWFilters(0) if f.name() in filters]
    return found


def our_networks(conn: libvirt.virConnect, installation: str) -> list[libvirt.virNetwork]:
    return [
        net
        for net in conn.listAllNetworks(0)
        if domain_xml.installation_of_document(net.XMLDesc(0)) == installation
    ]


def filter_names(services: Services, *, groups_too: bool = True) -> set[str]:
    """Names of the nwfilters this installation may have defined: its NICs' and groups'."""
    with services.db.transaction() as session:
        nics = session.scalars(select(Nic.id)).all()
        groups = session.scalars(select(SecurityGroup.id)).all() if groups_too else []
    return {nwfilter_xml.nic_filter_name(n) for n in nics} | {
        nwfilter_xml.group_filter_name(g) for g in groups
    }


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


def purge(
    conn: libvirt.virConnect, installation: str, pool_name: str, filters: set[str] = frozenset()
) -> None:
    """After a failed test too: no domain, volume, pool, network or filter of this
    installation stays behind."""
    for dom in our_domains(conn, installation):
        if dom.isActive():
            dom.destroy()
        dom.undefine()
    for nwfilter in sorted(
        (f for f in conn.listAllNWFilters(0) if f.name() in filters),
        key=lambda f: not f.name().startswith("cloudgate-nic-"),  # NIC filters cite groups
    ):
        nwfilter.undefine()
    for net in our_networks(conn, installation):
        if net.isActive():
            net.destroy()
        net.undefine()
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


def delete_networks_and_groups(services: Services) -> None:
    """What an installation leaves when its users delete everything: the default network
    (which users cannot delete) goes with the installation, so it is removed here."""
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    for group in services.security_groups.list_groups(admin, SecurityGroupQuery()).items:
        if group.name != "default":
            services.security_groups.delete_group(admin, group.ref)
    for network in services.networks.list_networks(admin, NetworkQuery()).items:
        if not network.is_default:
            services.networks.delete_network(admin, network.ref)
    wait_for("network and group jobs", lambda: _jobs_done(services))
    with services.db.transaction() as session:
        networks = session.scalars(select(Network.id)).all()
        groups = session.scalars(select(SecurityGroup.id)).all()
    for host in services.catalog.list_hosts(admin):
        driver = services.drivers.get(host.id, host.uri, host.virt_type)
        driver.delete_filters(list(groups), [])
        for network in networks:
            driver.delete_network(network)


def _jobs_done(services: Services) -> bool:
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    return all(j.status in TERMINAL_JOB_STATUSES for j in services.jobs.list_jobs(admin).items)


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
        delete_networks_and_groups(services)
        services.reconciler.reconcile_once()
        assert (
            leftovers(
                qemu_conn,
                services.installation,
                services.settings.pool_name,
                filter_names(services),
            )
            == []
        )
        assert our_networks(qemu_conn, services.installation) == []
    finally:
        names = filter_names(services)
        services.close()
        purge(qemu_conn, services.installation, services.settings.pool_name, names)
        shutil.rmtree(workdir)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with postgres.cluster() as url:
        yield url
