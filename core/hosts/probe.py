"""Which virtualisation a host really offers: KVM where it works, else QEMU's TCG.

A host can advertise KVM in its capabilities and still fail to run a guest with it (on these
machines QEMU cannot use /dev/kvm), so the probe starts a small transient KVM domain and keeps
KVM only if that domain is still running a moment later.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Final

import libvirt
from lxml import etree
from lxml.builder import E

from core.enums import VirtType

log = logging.getLogger(__name__)

PROBE_SECONDS: Final = 1.5


def _advertises_kvm(conn: libvirt.virConnect) -> bool:
    caps = etree.fromstring(conn.getCapabilities().encode())
    return bool(caps.xpath("//guest[arch/@name='x86_64']/arch/domain[@type='kvm']"))


def _kvm_runs(conn: libvirt.virConnect) -> bool:
    probe = E.domain(
        E.name(f"cloudgate-kvm-probe-{uuid.uuid4().hex[:8]}"),
        E.memory("64", unit="MiB"),
        E.vcpu("1"),
        E.os(E.type("hvm", arch="x86_64", machine="pc")),
        E.devices(),
        type="kvm",
    )
    try:
        dom = conn.createXML(etree.tostring(probe, encoding="unicode"), 0)
    except libvirt.libvirtError as exc:
        log.info("KVM does not start on %s: %s", conn.getURI(), exc.get_error_message())
        return False
    try:
        time.sleep(PROBE_SECONDS)
        state, _reason = dom.state()
        return bool(state == libvirt.VIR_DOMAIN_RUNNING)
    except libvirt.libvirtError:
        return False  # the transient domain died, and with it the probe's answer
    finally:
        try:
            dom.destroy()
        except libvirt.libvirtError as exc:
            log.debug("probe domain already gone: %s", exc)


def probe_virt_type(conn: libvirt.virConnect) -> VirtType:
    if conn.getType().upper() == "TEST":
        return VirtType.TEST
    if _advertises_kvm(conn) and _kvm_runs(conn):
        return VirtType.KVM
    return VirtType.TCG
