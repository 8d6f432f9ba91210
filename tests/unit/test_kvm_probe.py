"""The KVM probe's boot sector is exactly its assembly source, and libvirt's test driver is
recognised without booting anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import libvirt

from core.enums import VirtType
from core.hosts import probe

SOURCE = Path(probe.__file__).with_name("kvm_probe.S")


def test_boot_sector_is_the_assembled_source(tmp_path: Path) -> None:
    obj, binary = tmp_path / "probe.o", tmp_path / "probe.bin"
    subprocess.run(["as", "--32", "-o", str(obj), str(SOURCE)], check=True)
    subprocess.run(
        [
            "ld",
            "-m",
            "elf_i386",
            "-Ttext=0x7c00",
            "--oformat",
            "binary",
            "-o",
            str(binary),
            str(obj),
        ],
        check=True,
    )
    assert binary.read_bytes() == probe.BOOT_SECTOR
    assert len(probe.BOOT_SECTOR) == 512 and probe.BOOT_SECTOR.endswith(b"\x55\xaa")


def test_test_driver_needs_no_probe_disk() -> None:
    def never(_sector: bytes) -> str:
        raise AssertionError("the test driver must not be probed with a guest")

    assert probe.probe_virt_type(libvirt.open("test:///default"), never) is VirtType.TEST
