"""Offline builder of Cloudgate's tiny test guest image.

Integration and conformance tests need a real guest that boots in a few seconds under TCG and
proves on its serial console that contextualization works (config drive, SSH keys, user-data,
DHCP, ACPI power-off). There is no internet on our machines, so the image is assembled from two
Debian packages (the cloud kernel and busybox-static) plus the ``tiny_*.sh`` scripts shipped
next to this module; ``tiny_init.sh`` documents the console contract.

Layout of the qcow2 disk: syslinux's MBR and one bootable FAT16 partition holding syslinux, the
kernel and a gzip'd initramfs. The initramfs *is* the root filesystem: busybox, ``/init`` and
only the kernel modules our libvirt domain shape needs. The partition is written with mtools
and ``syslinux --offset``, so building needs neither root nor a loop device.

Host packages: apt, dpkg, fdisk, dosfstools, mtools, syslinux, syslinux-common, qemu-utils.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

__all__ = ["TinyImageError", "build_tiny_image"]

KERNEL_METAPACKAGE = "linux-image-cloud-amd64"
BUSYBOX_PACKAGE = "busybox-static"

#: Kernel modules the guest loads, by name; their dependencies come from modules.dep. Everything
#: else it needs (ext4, 8250 serial console, ACPI, packet sockets for DHCP) is built into
#: Debian's cloud kernel.
GUEST_MODULES = (
    "virtio_pci",  # every virtio device sits on PCI on the i440fx machine
    "virtio_blk",  # /dev/vda (root) and any data disks the tests attach
    "virtio_net",  # eth0
    "virtio_scsi",  # the config drive is a CD-ROM on a virtio-scsi controller ...
    "sr_mod",  # ... seen as /dev/sr0 ...
    "isofs",  # ... holding an ISO 9660 filesystem
    "button",  # the ACPI power button, as an input device ...
    "evdev",  # ... with a /dev/input/event* node for busybox acpid
)

#: Kernel command line, tuned for TCG where every emulated instruction counts:
#: scsi_mod.scan=sync makes /dev/sr0 exist as soon as insmod returns, so /init need not poll;
#: acpi=noirq routes PCI interrupts by the BIOS table instead of interpreting ACPI link methods,
#: which made loading virtio_pci take over a second (power-button events are unaffected);
#: cryptomgr.notests skips the crypto self-tests, about 0.4 s of a 2.4 s kernel start.
KERNEL_CMDLINE = "console=ttyS0 quiet scsi_mod.scan=sync acpi=noirq cryptomgr.notests"

#: Guest file (path inside the initramfs) -> script shipped next to this module.
GUEST_SCRIPTS = {
    "init": "tiny_init.sh",
    "etc/udhcpc/default.script": "tiny_udhcpc.sh",
    "etc/acpi/PWRF/00000080": "tiny_acpi_power.sh",  # busybox acpid's power-button handler
}

#: Directories /init mounts on or that user scripts expect, beyond the parents of our files.
GUEST_DIRS = ("dev", "mnt", "proc", "root", "run", "sys", "tmp")

SYSLINUX_MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")
DISK_BYTES = 64 << 20
PARTITION_START = 2048  # in 512-byte sectors: the usual 1 MiB alignment
#: Fixed timestamps (honoured by mtools and syslinux) make rebuilds byte-identical.
SOURCE_DATE_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z

#: Host tool -> Debian package that provides it, for a useful error when one is missing.
TOOL_PACKAGES = {
    "apt-cache": "apt",
    "apt-get": "apt",
    "dpkg-deb": "dpkg",
    "sfdisk": "fdisk",
    "mkfs.vfat": "dosfstools",
    "mcopy": "mtools",
    "syslinux": "syslinux",
    "qemu-img": "qemu-utils",
}


class TinyImageError(RuntimeError):
    """The tiny image could not be built: a host tool is missing, apt or a tool failed, or the
    Debian packages do not look as expected."""


def build_tiny_image(output: Path, *, cache_dir: Path) -> Path:
    """Build the bootable qcow2 test image at ``output`` and return ``output``.

    The .debs are kept in ``cache_dir`` (only missing ones are downloaded), so a rebuild is
    offline and takes seconds. Everything happens in a temporary directory next to ``output``
    and the finished image is renamed into place, so readers never see a half-written file.
    """
    for tool in TOOL_PACKAGES:
        _tool(tool)
    if not SYSLINUX_MBR.is_file():
        raise TinyImageError(
            f"{SYSLINUX_MBR} not found: install the Debian package syslinux-common"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    debs = [_fetch_deb(_kernel_package(), cache_dir), _fetch_deb(BUSYBOX_PACKAGE, cache_dir)]
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{output.name}.", dir=output.parent) as tmp:
        work = Path(tmp)
        root = work / "root"
        for deb in debs:
            _run([_tool("dpkg-deb"), "-x", deb, root])
        boot = work / "boot"
        boot.mkdir()
        kernels = sorted((root / "boot").glob("vmlinuz-*"))
        if len(kernels) != 1:
            raise TinyImageError(f"expected one kernel in {debs[0].name}, found {kernels}")
        version = kernels[0].name.removeprefix("vmlinuz-")
        kernels[0].rename(boot / "vmlinuz")
        initramfs = _initramfs(root, version)
        (boot / "initrd.gz").write_bytes(gzip.compress(initramfs, compresslevel=9, mtime=0))
        (boot / "syslinux.cfg").write_text(
            "SERIAL 0 115200\nDEFAULT tiny\nPROMPT 0\nTIMEOUT 0\nLABEL tiny\n"
            f"  LINUX /vmlinuz\n  INITRD /initrd.gz\n  APPEND {KERNEL_CMDLINE}\n"
        )
        raw = work / "disk.raw"
        _write_disk(raw, sorted(boot.iterdir()))
        image = work / "disk.qcow2"
        _run([_tool("qemu-img"), "convert", "-f", "raw", "-O", "qcow2", raw, image])
        os.replace(image, output)
    return output


def _tool(name: str) -> str:
    """Absolute path of a host tool. The sbin directories are searched too because ordinary
    users' PATH often lacks them, yet mkfs.vfat and sfdisk work fine without root on a file."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    found = shutil.which(name, path=search)
    if found is None:
        raise TinyImageError(f"{name} not found: install the Debian package {TOOL_PACKAGES[name]}")
    return found


def _run(
    command: Sequence[str | os.PathLike[str]], *, stdin: str | None = None, cwd: Path | None = None
) -> str:
    """Run ``command`` (no shell) and return its stdout; a failure raises TinyImageError that
    carries the tool's stderr, which is what explains it."""
    env = {
        **os.environ,
        "LC_ALL": "C",
        "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
        "MTOOLS_SKIP_CHECK": "1",  # mtools would reject a FAT inside a partitioned image file
    }
    args = [os.fspath(arg) for arg in command]
    try:
        done = subprocess.run(
            args, input=stdin, cwd=cwd, env=env, check=True, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as exc:
        raise TinyImageError(f"{' '.join(args)} failed: {exc.stderr.strip()}") from exc
    return done.stdout


def _kernel_package() -> str:
    """The real kernel package: linux-image-cloud-amd64 is a metapackage that only depends on
    the current linux-image-<abi>-cloud-amd64, which holds the kernel and its modules."""
    depends = _run([_tool("apt-cache"), "depends", KERNEL_METAPACKAGE])
    match = re.search(r"Depends: (linux-image-\S+-cloud-amd64)$", depends, re.MULTILINE)
    if match is None:
        raise TinyImageError(f"cannot resolve {KERNEL_METAPACKAGE} to a kernel:\n{depends}")
    return match[1]


def _fetch_deb(package: str, cache_dir: Path) -> Path:
    """The .deb of the candidate version of ``package``, downloaded only if not yet cached.

    apt-get download runs in a private directory that is renamed into the cache, so an
    interrupted download never leaves a truncated .deb that a later build would trust.
    """
    show = _run([_tool("apt-cache"), "show", "--no-all-versions", package])
    version = re.search(r"^Version: (\S+)$", show, re.MULTILINE)
    if version is None:
        raise TinyImageError(f"apt has no candidate version of {package}")
    deb = cache_dir / f"{package}_{version[1].replace(':', '%3a')}_amd64.deb"
    if not deb.exists():
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
            _run([_tool("apt-get"), "download", f"{package}={version[1]}"], cwd=Path(tmp))
            os.replace(Path(tmp) / deb.name, deb)
    return deb


class _Entry(NamedTuple):
    """One member of the initramfs archive."""

    name: str
    mode: int
    data: bytes = b""
    rdev: int = 0


def _initramfs(root: Path, version: str) -> bytes:
    """The initramfs (uncompressed cpio) from the extracted packages under ``root``.

    Debian's kernel package ships no modules.dep (its postinst runs depmod), so it is generated
    with the packaged busybox's depmod, which needs no kmod on the host. The modules go flat into
    /lib/modules with a load-order file, because /init loads them with plain insmod.
    """
    busybox = root / "bin/busybox"
    moddir = root / "lib/modules" / version
    _run([busybox, "depmod", "-b", root, version])
    modules = _load_order(moddir / "modules.dep")
    files = [
        _Entry("bin/busybox", stat.S_IFREG | 0o755, busybox.read_bytes()),
        _Entry("dev/console", stat.S_IFCHR | 0o600, rdev=os.makedev(5, 1)),  # init's stdio
        _Entry(
            "lib/modules/load-order", stat.S_IFREG | 0o644, _lines(Path(m).name for m in modules)
        ),
        *(
            _Entry(f"lib/modules/{Path(m).name}", stat.S_IFREG | 0o644, (moddir / m).read_bytes())
            for m in modules
        ),
        *(
            _Entry(path, stat.S_IFREG | 0o755, Path(__file__).with_name(script).read_bytes())
            for path, script in GUEST_SCRIPTS.items()
        ),
        *(
            _Entry(applet, stat.S_IFLNK | 0o777, b"/bin/busybox")
            for applet in _run([busybox, "--list-full"]).split()
            if applet != "bin/busybox"
        ),  # Debian's busybox lists itself as an applet
    ]
    dirs = {str(parent) for f in files for parent in Path(f.name).parents} - {"."}
    entries = [_Entry(d, stat.S_IFDIR | 0o755) for d in dirs.union(GUEST_DIRS)] + files
    entries = [e._replace(mode=stat.S_IFDIR | 0o1777) if e.name == "tmp" else e for e in entries]
    return _newc(sorted(entries))  # sorted: parents before children, and reproducible


def _load_order(modules_dep: Path) -> list[str]:
    """GUEST_MODULES with all their dependencies, each after what it depends on, as paths
    relative to the modules directory."""
    deps: dict[str, list[str]] = {}
    for line in modules_dep.read_text().splitlines():
        path, _, needs = line.partition(":")
        deps[path] = needs.split()
    by_name = {Path(path).name.removesuffix(".ko"): path for path in deps}
    order: list[str] = []

    def visit(path: str) -> None:
        if path not in order:
            for dep in deps[path]:
                visit(dep)
            order.append(path)

    for name in GUEST_MODULES:
        if name not in by_name:
            raise TinyImageError(f"no {name}.ko in modules.dep (compressed modules unsupported)")
        visit(by_name[name])
    return order


def _lines(items: Iterable[str]) -> bytes:
    """Newline-terminated lines, the format /init reads with ``while read``."""
    return "".join(f"{item}\n" for item in items).encode()


def _newc(entries: list[_Entry]) -> bytes:
    """A cpio "newc" archive, the format the kernel unpacks into its root filesystem. Written
    here rather than with cpio(1) so device nodes need no root and every owner, timestamp and
    inode number is fixed."""
    out = bytearray()
    for ino, entry in enumerate([*entries, _Entry("TRAILER!!!", 0)], start=1):
        name = entry.name.encode() + b"\0"
        fields = (
            ino,
            entry.mode,
            0,
            0,
            1,
            0,
            len(entry.data),
            0,
            0,
            os.major(entry.rdev),
            os.minor(entry.rdev),
            len(name),
            0,
        )
        out += b"070701" + b"".join(b"%08X" % field for field in fields) + name
        out += bytes(-len(out) % 4) + entry.data
        out += bytes(-len(out) % 4)
    return bytes(out)


def _write_disk(raw: Path, boot_files: list[Path]) -> None:
    """A raw disk: syslinux MBR, one bootable FAT16 partition with ``boot_files`` and syslinux.

    Every step writes into the image file at the partition's offset (mkfs.vfat --offset, mtools
    ``image@@offset``, syslinux --offset), which is why no loop device or root is needed.
    """
    offset = PARTITION_START * 512
    with raw.open("wb") as disk:
        disk.truncate(DISK_BYTES)
    _run(
        [_tool("sfdisk"), "--quiet", raw],
        stdin=f"label: dos\nlabel-id: 0x636c6774\nstart={PARTITION_START}, type=e, bootable\n",
    )
    with raw.open("r+b") as disk:
        disk.write(SYSLINUX_MBR.read_bytes())  # 440 bytes of boot code, before the table
    _run(
        [
            _tool("mkfs.vfat"),
            "-F",
            "16",
            "-n",
            "CLOUDGATE",
            "--invariant",
            "--offset",
            str(PARTITION_START),
            "-h",
            str(PARTITION_START),
            raw,
            str((DISK_BYTES - offset) // 1024),
        ]
    )
    _run([_tool("mcopy"), "-i", f"{raw}@@{offset}", *boot_files, "::/"])
    _run([_tool("syslinux"), "--offset", str(offset), "--install", raw])
