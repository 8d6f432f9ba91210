"""What a caller reads of a libvirt failure: what failed and libvirt's kind of failure, never
the rest of libvirt's message, which quotes host paths and command lines (the log keeps it)."""

from __future__ import annotations

import logging

import libvirt
import pytest

from core.errors import HostError
from core.hosts.libvirt_driver import _host_errors


def test_the_message_keeps_libvirts_kind_and_hides_the_details(
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
    assert str(failed.value) == "the host failed to find the disk: Storage volume not found"
    assert "/srv/secret/tenant-b/disk.qcow2" in caplog.text
