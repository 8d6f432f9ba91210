"""Which virtualisation a host really offers: KVM where it works, else QEMU's TCG emulator.

A host can advertise KVM and still fail to run real guests with it: on these machines /dev/kvm
is kvm_pvm, which starts a domain but cannot emulate a protected-mode IRET, so every BIOS guest
(syslinux, Linux's setup code) is paused with "KVM internal error ... emulation failure" seconds
later. The probe therefore boots a 512-byte program that does exactly that IRET and then resets
the machine on purpose (``kvm_probe.S``): a domain that shuts itself off proves KVM; one that
pauses, or never finishes, means TCG.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Final

import libvirt
from lxml import etree
from lxml.builder import E

from core.enums import VirtType

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS: Final = 30.0
PROBE_DISK_BYTES: Final = 1024 * 1024  # SeaBIOS does not boot a one-sector disk
BOOT_SECTOR: Final = (
    bytes.fromhex(
        "fa31c08ed88ed0bc007c660f0116607c0f20c06683c8010f22c066ea227c0000080066b810008ed88e"
        "d0bc007c00009c6a0868387c0000cf0f011d667c0000ccf4ebfd8d742600900000000000000000ffff"
        "0000009acf00ffff00000092cf001700487c"
    ).ljust(510, b"\0")
    + b"\x55\xaa"
)

ProbeDisk = Callable[[bytes], str]
"""Stores the probe's disk where the host's QEMU can read it; returns its path there."""


def _advertises_kvm(conn: libvirt.virConnect) -> bool:
    caps = etree.fromstring(conn.getCapabilities().encode())
    return bool(caps.xpath("//guest[arch/@name='x86_64']/arch/domain[@type='kvm']"))


def _probe_domain(disk: str) -> str:
    xml = E.domain(
        E.name(f"cloudgate-kvm-probe-{uuid.uuid4().hex[:8]}"),
        E.memory("32", unit="MiB"),
        E.vcpu("1"),
        E.os(E.type("hvm", arch="x86_64", machine="pc"), E.boot(dev="hd")),
        E.on_reboot("destroy"),
        E.on_crash("destroy"),
        E.devices(
            E.disk(
                E.driver(name="qemu", type="raw"),
                E.source(file=disk),
                E.target(dev="vda", bus="virtio"),
                E.readonly(),
                type="file",
                device="disk",
            )
        ),
        type="kvm",
    )
    return etree.tostring(xml, encoding="unicode")


def _finished_under_kvm(conn: libvirt.virConnect, disk: str) -> bool:
    try:
        dom = conn.createXML(_probe_domain(disk), 0)
    except libvirt.libvirtError as exc:
        log.info("KVM does not start on %s: %s", conn.getURI(), exc.get_error_message())
        return False
    deadline = time.monotonic() + PROBE_TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            state, _reason = dom.state()
            if state in (libvirt.VIR_DOMAIN_SHUTDOWN, libvirt.VIR_DOMAIN_SHUTOFF):
                return True
            if state in (libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_CRASHED):
                log.info("KVM on %s cannot run guests (the probe paused)", conn.getURI())
                return False
            time.sleep(0.1)
        log.info(
            "the KVM probe on %s did not finish in %.0fs", conn.getURI(), PROBE_TIMEOUT_SECONDS
        )
        return False
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return True  # the transient domain reset itself and is gone: the program finished
        raise
    finally:
        try:
            dom.destroy()
        except libvirt.libvirtError as exc:
            log.debug("probe domain already gone: %s", exc)


def probe_virt_type(conn: libvirt.virConnect, store_disk: ProbeDisk) -> VirtType:
    if conn.getType().upper() == "TEST":
        return VirtType.TEST
    if _advertises_kvm(conn) and _finished_under_kvm(conn, store_disk(BOOT_SECTOR)):
        return VirtType.KVM
    return VirtType.TCG
