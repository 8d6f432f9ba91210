"""The storage pool on qemu:///system while libvirt builds one of its volumes.

libvirt refuses to refresh a pool while it builds a volume ("pool has asynchronous jobs
running"): a disk copied for a snapshot or a capture, a root disk or config drive being made.
A console read, a guest's removal or the reconciler's volume listing refresh the pool
meanwhile; CI once saw a console read fail so, as a guest started. They now wait for the build.
"""

from __future__ import annotations

import threading
import uuid

import libvirt

from core.services.container import Services
from tests.integration.conftest import wait_for
from tests.unit.helpers import host_driver

#: Big enough that copying it takes a while (about a second here), fully allocated so the
#: copy writes every byte. On a host fast enough to copy it before the read below starts, the
#: test passes without proving anything; it never fails for speed or slowness.
SIZE = 512 * 1024 * 1024


def _raw(name: str) -> str:
    return (
        f"<volume><name>{name}</name><capacity>{SIZE}</capacity><allocation>{SIZE}</allocation>"
        "<target><format type='raw'/></target></volume>"
    )


def test_a_console_read_waits_for_a_volume_build_in_the_pool(
    cloud: Services, qemu_conn: libvirt.virConnect
) -> None:
    driver = host_driver(cloud)
    driver.volumes()  # makes the pool
    pool = qemu_conn.storagePoolLookupByName(cloud.settings.pool_name)
    source, copy = (f"probe-{uuid.uuid4().hex}.raw" for _ in range(2))
    original = pool.createXML(_raw(source), 0)
    built: list[libvirt.virStorageVol] = []
    copier = threading.Thread(
        target=lambda: built.append(pool.createXMLFrom(_raw(copy), original, 0))
    )
    try:
        copier.start()
        wait_for("the copy to begin", lambda: (cloud.settings.pool_path / copy).exists())
        assert driver.console_output(uuid.uuid4()) == b""  # no such log: a refresh
    finally:
        copier.join(120)
        for name in (source, copy):
            driver.delete_volume(name)
    assert len(built) == 1
