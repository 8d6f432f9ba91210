"""libvirt XML for our guests and volumes, built with lxml (never by string formatting).

The shape matches what the tiny image expects: virtio-blk root disk, the config drive as a
CD-ROM behind virtio-scsi, the serial console appended to a log file, ACPI for clean shutdown.
Each domain carries our metadata element so the reconciler can tell our guests from others'.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree
from lxml.builder import E

from core.enums import DiskFormat, VirtType

METADATA_NS: Final = "urn:cloudgate:instance:1"
METADATA_PREFIX: Final = "cloudgate"
_DOMAIN_TYPES: Final = {VirtType.KVM: "kvm", VirtType.TCG: "qemu", VirtType.TEST: "test"}


@dataclass(frozen=True, slots=True)
class DomainDisks:
    root: str
    config_drive: str
    console_log: str


@dataclass(frozen=True, slots=True)
class Interface:
    """A virtio NIC on a libvirt network, optionally behind an nwfilter."""

    mac: str
    network: str
    filter: str | None


def metadata_element(installation: str) -> str:
    """The body of ``<metadata>`` that marks a domain as ours (set with ``setMetadata``)."""
    element = etree.Element(f"{{{METADATA_NS}}}instance", nsmap={METADATA_PREFIX: METADATA_NS})
    etree.SubElement(element, f"{{{METADATA_NS}}}installation").text = installation
    return etree.tostring(element, encoding="unicode")


def installation_of(metadata_xml: str) -> str | None:
    """libvirt hands the element back without its namespace, so match on local names."""
    root = etree.fromstring(metadata_xml.encode())
    found = root.xpath("string(*[local-name()='installation'])")
    return str(found) or None


def installation_of_document(xml: str) -> str | None:
    """The installation id in the <metadata> of a domain or network definition."""
    root = etree.fromstring(xml.encode())
    found = root.xpath("string(metadata/*[local-name()='instance']/*[local-name()='installation'])")
    return str(found) or None


def domain(
    *,
    guest: uuid.UUID,
    name: str,
    virt_type: VirtType,
    vcpus: int,
    memory_mib: int,
    disks: DomainDisks,
    installation: str,
    interfaces: Sequence[Interface] = (),
) -> str:
    metadata = etree.fromstring(metadata_element(installation))
    xml = E.domain(
        E.name(name),
        E.uuid(str(guest)),
        E.metadata(metadata),
        E.memory(str(memory_mib), unit="MiB"),
        E.vcpu(str(vcpus)),
        E.os(E.type("hvm", arch="x86_64", machine="pc"), E.boot(dev="hd")),
        E.features(E.acpi(), E.apic()),
        E.on_poweroff("destroy"),
        E.on_reboot("restart"),
        E.on_crash("destroy"),
        E.devices(
            E.disk(
                E.driver(name="qemu", type="qcow2"),
                E.source(file=disks.root),
                E.target(dev="vda", bus="virtio"),
                type="file",
                device="disk",
            ),
            E.controller(type="scsi", index="0", model="virtio-scsi"),
            E.disk(
                E.driver(name="qemu", type="raw"),
                E.source(file=disks.config_drive),
                E.target(dev="sda", bus="scsi"),
                E.readonly(),
                type="file",
                device="cdrom",
            ),
            E.serial(
                E.source(path=disks.console_log, append="on"), E.target(port="0"), type="file"
            ),
            *(
                E.interface(
                    E.mac(address=nic.mac),
                    E.source(network=nic.network),
                    E.model(type="virtio"),
                    *([E.filterref(filter=nic.filter)] if nic.filter else []),
                    type="network",
                )
                for nic in interfaces
            ),
            E.memballoon(model="none"),
        ),
        type=_DOMAIN_TYPES[virt_type],
    )
    return etree.tostring(xml, encoding="unicode")


def data_disk(path: str, device: str) -> str:
    """A qcow2 volume as a virtio disk; the same XML attaches and (matched by target) detaches."""
    disk = E.disk(
        E.driver(name="qemu", type="qcow2"),
        E.source(file=path),
        E.target(dev=device, bus="virtio"),
        type="file",
        device="disk",
    )
    return etree.tostring(disk, encoding="unicode")


def with_disk(domain_xml: str, disk_xml: str | None, *, remove_device: str | None = None) -> str:
    """A domain definition with one disk added or removed, for guests that are not running."""
    root = etree.fromstring(domain_xml.encode())
    devices = root.find("devices")
    if devices is None:
        raise ValueError("domain XML without <devices>")
    if remove_device is not None:
        for disk in devices.findall("disk"):
            target = disk.find("target")
            if target is not None and target.get("dev") == remove_device:
                devices.remove(disk)
    if disk_xml is not None:
        devices.append(etree.fromstring(disk_xml.encode()))
    return etree.tostring(root, encoding="unicode")


def with_size(domain_xml: str, *, vcpus: int, memory_mib: int) -> str:
    """A domain definition resized, for a guest that is not running (a new service offering)."""
    root = etree.fromstring(domain_xml.encode())
    for tag, value in (("vcpu", vcpus), ("memory", memory_mib), ("currentMemory", memory_mib)):
        element = root.find(tag)
        if element is None:
            continue
        element.text = str(value)
        if tag != "vcpu":
            element.set("unit", "MiB")
    return etree.tostring(root, encoding="unicode")


def disk_targets(domain_xml: str) -> dict[str, str]:
    """Source file -> target device of every file-backed disk of a domain."""
    root = etree.fromstring(domain_xml.encode())
    found = {}
    for disk in root.iterfind("devices/disk"):
        source, target = disk.find("source"), disk.find("target")
        if source is not None and target is not None and source.get("file"):
            found[str(source.get("file"))] = str(target.get("dev"))
    return found


def backup(devices: list[str], device: str, target_path: str) -> str:
    """A push-mode backup of one disk of a running domain into a new qcow2 file."""
    disks = [
        E.disk(E.target(file=target_path), E.driver(type="qcow2"), name=dev, type="file")
        if dev == device
        else E.disk(name=dev, backup="no")
        for dev in devices
    ]
    return etree.tostring(E.domainbackup(E.disks(*disks)), encoding="unicode")


def volume(
    name: str,
    *,
    capacity: int,
    disk_format: DiskFormat,
    backing: tuple[str, DiskFormat] | None = None,
) -> str:
    parts = [
        E.name(name),
        E.capacity(str(capacity), unit="bytes"),
        E.target(E.format(type=disk_format.value), E.permissions(E.mode("0644"))),
    ]
    if backing is not None:
        path, backing_format = backing
        parts.append(E.backingStore(E.path(path), E.format(type=backing_format.value)))
    return etree.tostring(E.volume(*parts), encoding="unicode")


def dir_pool(name: str, path: str) -> str:
    pool = E.pool(E.name(name), E.target(E.path(path), E.permissions(E.mode("0755"))), type="dir")
    return etree.tostring(pool, encoding="unicode")
