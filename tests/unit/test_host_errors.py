"""What a caller reads of a libvirt failure: what failed and libvirt's message without the
host's paths, which libvirt quotes (a disk, a command line); the log keeps them."""

from __future__ import annotations

import logging

import libvirt
import pytest

from core.errors import HostError
from core.hosts.libvirt_driver import _host_errors


def test_the_message_hides_the_hosts_paths(
    caplog: pytest.LogCaptureFixture,
) -> None:
    conn = libvirt.open("test:///default")
    try:
        with (
            caplog.at_level(logging.WARNING),
            pytest.raises(HostError) as failed,
            _host_errors("find the disk"),
        ):
            conn.storageVolLookupByPath("/srv/secret/tenant-b/disk.qcow2")
    finally:
        conn.close()
    assert str(failed.value) == (
        "the host failed to find the disk: Storage volume not found: no storage vol with"
        " matching path '…'"
    )
    assert "/srv/secret/tenant-b/disk.qcow2" in caplog.text
