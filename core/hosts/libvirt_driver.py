"""HostDriver over libvirt: qemu:///system (KVM or TCG), remote URIs, and test:///default.

All libvirt error handling happens in this module: ``_host_errors`` turns libvirtError into
HostError (HostUnreachable when the connection is lost), and ``_lookup`` turns "no such domain"
into None. Every HostDriver method is ``_reconnecting``: when libvirtd goes away (restarted,
upgraded, its host rebooting) the call is run again on a fresh connection, with backoff, until
``retry_timeout`` has passed; the methods converge, so running one again is safe. Disks, config
drives and console logs are volumes of one directory pool of ours, written through libvirt's
stream API so that a remote host needs nothing but its libvirt URI.
"""

from __future__ import annotations

import functools
import io
import ipaddress
import logging
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Concatenate, Final, ParamSpec, TypeVar

import libvirt

from core.enums import DiskFormat, ResourceKind, VirtType
from core.errors import HostError
from core.hosts import config_drive, domain_xml, network_xml, nwfilter_xml
from core.hosts.driver import (
    DiskKind,
    DiskRef,
    GroupFilter,
    GuestGone,
    GuestInfo,
    GuestSpec,
    HostCapabilities,
    HostUnreachable,
    ImageSource,
    NetworkSpec,
    PowerState,
    VolumeInfo,
)
from core.hosts.probe import PROBE_DISK_BYTES, probe_virt_type

log = logging.getLogger(__name__)

GIB: Final = 1024**3
_STREAM_CHUNK: Final = 256 * 1024
_POLL_SECONDS: Final = 0.2

# libvirt's domain states, by name; NOSTATE and PMSUSPENDED are the odd ones out.
_POWER_STATES: Final = {
    libvirt.VIR_DOMAIN_NOSTATE: PowerState.UNKNOWN,
    libvirt.VIR_DOMAIN_RUNNING: PowerState.RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: PowerState.RUNNING,  # running, its vCPUs idle
    libvirt.VIR_DOMAIN_PAUSED: PowerState.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: PowerState.RUNNING,  # still running while it shuts down
    libvirt.VIR_DOMAIN_SHUTOFF: PowerState.SHUTOFF,
    libvirt.VIR_DOMAIN_CRASHED: PowerState.CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: PowerState.PAUSED,  # guest-initiated suspend to RAM
}

_RUNNING_STATES: Final = frozenset(
    state for state, power in _POWER_STATES.items() if power is PowerState.RUNNING
)

# The pauses someone has to act on, by libvirt's reason; the others libvirt ends itself
_PAUSE_REASONS: Final = {
    libvirt.VIR_DOMAIN_PAUSED_IOERROR: PowerState.PAUSED_ON_DISK_ERROR,
    libvirt.VIR_DOMAIN_PAUSED_USER: PowerState.PAUSED_BY_USER,
}


def power_state_of(state: int, reason: int) -> PowerState:
    """A domain's state and its reason, as ``virDomain.state()`` gives them, in core's terms."""
    if state == libvirt.VIR_DOMAIN_PAUSED:
        return _PAUSE_REASONS.get(reason, PowerState.PAUSED)
    return _POWER_STATES.get(state, PowerState.UNKNOWN)


PROBE_VOLUME: Final = "kvm-probe.img"
COMPLETE_SUFFIX: Final = ".complete"
_UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_IMAGE_VOLUME: Final = re.compile(rf"image-({_UUID})\.(qcow2|raw)(\.complete)?")
_GUEST_VOLUME: Final = re.compile(rf"({_UUID})-(root\.qcow2|config\.iso|console\.log)")
_DISK_VOLUME: Final = re.compile(rf"(volume|snapshot|capture)-({_UUID})\.qcow2")
_DISK_OWNERS: Final = {
    "volume": ResourceKind.VOLUME,
    "snapshot": ResourceKind.SNAPSHOT,
    "capture": ResourceKind.IMAGE,
}
_BACKUP_TIMEOUT: Final = 3600.0
# How long a pool refresh waits for the pool's other jobs (a stream to or from a volume)
_REFRESH_TIMEOUT: Final = 120.0
# How long a start waits for QEMU to leave its paused start-up (libvirt resumes it when the
# devices are ready; a crashed gateway's start goes on in libvirtd without it)
_START_TIMEOUT: Final = 120.0
# Backoff between attempts on a lost connection: doubled each time, up to the cap
_RETRY_FIRST_DELAY: Final = 0.2
_RETRY_MAX_DELAY: Final = 5.0


def _silence_default_handler(_ctx: object, _err: object) -> None:
    """libvirt prints every error to stderr by default; we raise and log them instead."""


libvirt.registerErrorHandler(_silence_default_handler, None)


def _connection_lost(exc: libvirt.libvirtError) -> bool:
    """What libvirt raises when its daemon is gone: the RPC layer's socket and protocol errors
    (end of file, broken pipe, "client socket is closed", "failed to connect socket"), a closed
    connection object, and no driver answering for the URI."""
    code = exc.get_error_code()
    if code in (libvirt.VIR_ERR_INVALID_CONN, libvirt.VIR_ERR_NO_CONNECT):
        return True
    return exc.get_error_domain() == libvirt.VIR_FROM_RPC and code in (
        libvirt.VIR_ERR_SYSTEM_ERROR,
        libvirt.VIR_ERR_INTERNAL_ERROR,
        libvirt.VIR_ERR_RPC,
    )


#: an absolute path in a libvirt message (a disk, a binary, a socket)
_HOST_PATH: Final = re.compile(r"(?<![\w.])/[^\s'\",;:)]+")


def _host_error(action: str, exc: libvirt.libvirtError) -> HostError:
    """The error a caller sees: what failed and libvirt's message with every host path
    written as "…" (a failed qemu-img quotes its whole command line); the log keeps it whole.
    A full pool is said plainly."""
    log.warning("libvirt failed to %s: %s", action, exc)
    kind = HostUnreachable if _connection_lost(exc) else HostError
    said = exc.get_error_message() or "error"
    if "No space left on device" in said:
        return kind(f"the host failed to {action}: no space left in the storage pool")
    return kind(f"the host failed to {action}: {_HOST_PATH.sub('…', said)}")


@contextmanager
def _host_errors(action: str) -> Iterator[None]:
    try:
        yield
    except libvirt.libvirtError as exc:
        raise _host_error(action, exc) from exc


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reconnecting(
    method: Callable[Concatenate[LibvirtDriver, _P], _R],
) -> Callable[Concatenate[LibvirtDriver, _P], _R]:
    """A HostDriver method, run again on a fresh connection while the host is unreachable."""

    @functools.wraps(method)
    def retried(self: LibvirtDriver, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return self._retrying(method.__name__, functools.partial(method, self, *args, **kwargs))

    return retried


def image_volume_name(image: ImageSource) -> str:
    return f"image-{image.id}.{image.disk_format.value}"


def guest_volume_name(guest: uuid.UUID, part: str) -> str:
    return f"{guest}-{part}"


def disk_volume_name(disk: DiskRef) -> str:
    if disk.kind is DiskKind.ROOT:
        return guest_volume_name(disk.id, "root.qcow2")
    return {DiskKind.DATA: "volume", DiskKind.SNAPSHOT: "snapshot", DiskKind.CAPTURE: "capture"}[
        disk.kind
    ] + f"-{disk.id}.qcow2"


class LibvirtDriver:
    """One libvirt connection, reopened when libvirtd restarts; safe to share between threads."""

    def __init__(
        self,
        uri: str,
        *,
        installation: str,
        pool_name: str,
        pool_path: Path,
        virt_type: VirtType | None = None,
        retry_timeout: float = 60.0,
    ) -> None:
        """``retry_timeout``: how long a call keeps reconnecting to a host that went away."""
        self.uri = uri
        self._installation = installation
        self._pool_name = pool_name
        self._pool_path = pool_path
        self._lock = threading.Lock()
        self._image_locks: dict[str, threading.Lock] = {}
        self._conn: libvirt.virConnect | None = None
        self._retry_timeout = retry_timeout
        self._calls = threading.local()  # whether this thread is inside a retried call
        self._virt_type = virt_type or VirtType.TCG  # the safe choice until the probe answers
        self._ensure_pool()
        if virt_type is None:
            try:
                self._virt_type = probe_virt_type(self._connection(), self._store_probe_disk)
            finally:
                self.delete_volume(PROBE_VOLUME)

    # connection and pool

    def _retrying(self, name: str, call: Callable[[], _R]) -> _R:
        """``call`` until it does not lose the connection or ``retry_timeout`` has passed.
        Only the outermost call retries: a method calling another retries once, as a whole."""
        if getattr(self._calls, "inside", False):
            return call()
        self._calls.inside = True
        try:
            deadline = time.monotonic() + self._retry_timeout
            delay = _RETRY_FIRST_DELAY
            while True:
                try:
                    return call()
                except libvirt.libvirtError as exc:  # raised outside any _host_errors
                    error = _host_error(name.strip("_").replace("_", " "), exc)
                    if not isinstance(error, HostUnreachable):
                        raise error from exc
                    lost = error
                except HostUnreachable as exc:
                    lost = exc
                if time.monotonic() + delay > deadline:
                    raise lost
                log.warning("%s on %s: %s; reconnecting in %.1fs", name, self.uri, lost, delay)
                time.sleep(delay)
                delay = min(2 * delay, _RETRY_MAX_DELAY)
        finally:
            self._calls.inside = False

    def _connection(self) -> libvirt.virConnect:
        with self._lock:
            if self._conn is not None:
                try:
                    if self._conn.isAlive():
                        return self._conn
                except libvirt.libvirtError:
                    pass
            with _host_errors(f"connect to {self.uri}"):
                self._conn = libvirt.open(self.uri)
            return self._conn

    def _ensure_pool(self) -> None:
        conn = self._connection()
        with _host_errors("prepare the storage pool"):
            try:
                pool = conn.storagePoolLookupByName(self._pool_name)
            except libvirt.libvirtError as exc:
                if exc.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_POOL:
                    raise
                pool = conn.storagePoolDefineXML(
                    domain_xml.dir_pool(self._pool_name, str(self._pool_path))
                )
                pool.build(0)
            if not pool.isActive():
                pool.create(0)
            pool.setAutostart(1)

    def _pool(self) -> libvirt.virStoragePool:
        with _host_errors("open the storage pool"):
            return self._connection().storagePoolLookupByName(self._pool_name)

    def _refreshed_pool(self) -> libvirt.virStoragePool:
        """The pool, refreshed so that files made beside libvirt (QEMU's console log, a
        backup's target) are volumes. libvirt refuses a refresh while a stream of another job
        reads or writes one of the pool's volumes (a config drive uploading as a guest
        starts): the refresh waits for it, within a bound."""
        pool = self._pool()
        deadline = time.monotonic() + _REFRESH_TIMEOUT
        while True:
            try:
                pool.refresh(0)
                return pool
            except libvirt.libvirtError as exc:
                busy = "asynchronous jobs running" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise
            time.sleep(_POLL_SECONDS)

    def _find_volume(self, name: str) -> libvirt.virStorageVol | None:
        try:
            return self._pool().storageVolLookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
                return None
            raise

    def _upload(self, volume: libvirt.virStorageVol, source: BinaryIO, size: int) -> None:
        """Stream bytes into a volume; libvirt's test driver keeps no bytes, so it has no upload."""
        if self._virt_type is VirtType.TEST:
            return
        stream = self._connection().newStream(0)
        volume.upload(stream, 0, size, 0)
        while chunk := source.read(_STREAM_CHUNK):
            stream.send(chunk)
        stream.finish()

    def _store_probe_disk(self, boot_sector: bytes) -> str:
        """The probe's boot disk as a volume of our pool, so remote hosts can be probed too."""
        data = boot_sector.ljust(PROBE_DISK_BYTES, b"\0")
        xml = domain_xml.volume(PROBE_VOLUME, capacity=len(data), disk_format=DiskFormat.RAW)
        volume = self._new_volume(PROBE_VOLUME, xml)
        self._upload(volume, io.BytesIO(data), len(data))
        return str(volume.path())

    def _new_volume(self, name: str, xml: str) -> libvirt.virStorageVol:
        existing = self._find_volume(name)
        if existing is not None:
            existing.delete(0)
        return self._pool().createXML(xml, 0)

    def _image_lock(self, name: str) -> threading.Lock:
        with self._lock:
            return self._image_locks.setdefault(name, threading.Lock())

    def _ensure_image(self, image: ImageSource) -> libvirt.virStorageVol:
        """The image's base volume, uploaded once however many launches race for it.

        An empty ``.complete`` volume is written after the last byte: libvirt cannot rename a
        volume, and without the marker a crash mid-upload would leave a truncated base that
        the next launch trusts.
        """
        name = image_volume_name(image)
        marker_name = f"{name}{COMPLETE_SUFFIX}"
        with self._image_lock(name):
            found = self._find_volume(name)
            if found is not None and self._find_volume(marker_name) is not None:
                return found
            path = Path(image.path)
            size = image.virtual_size if self._virt_type is VirtType.TEST else path.stat().st_size
            volume = self._new_volume(
                name, domain_xml.volume(name, capacity=size, disk_format=DiskFormat.RAW)
            )
            try:
                if self._virt_type is not VirtType.TEST:
                    with path.open("rb") as source:
                        self._upload(volume, source, size)
            except BaseException:
                volume.delete(0)
                raise
            self._new_volume(
                marker_name, domain_xml.volume(marker_name, capacity=0, disk_format=DiskFormat.RAW)
            )
            return volume

    # HostDriver

    @_reconnecting
    def capabilities(self) -> HostCapabilities:
        conn = self._connection()
        with _host_errors("describe itself"):
            _model, memory_mib, cpus, *_ = conn.getInfo()
            capacity = self._pool().info()[1]
            return HostCapabilities(
                hostname=conn.getHostname(),
                virt_type=self._virt_type,
                cpus=int(cpus),
                memory_mib=int(memory_mib),
                disk_gib=int(capacity // GIB),
            )

    def _lookup(self, guest: uuid.UUID) -> libvirt.virDomain | None:
        try:
            return self._connection().lookupByUUIDString(str(guest))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise _host_error("look up a guest", exc) from exc

    def _domain(self, guest: uuid.UUID) -> libvirt.virDomain:
        found = self._lookup(guest)
        if found is None:
            raise GuestGone(f"guest {guest} is not defined on {self.uri}")
        return found

    @_reconnecting
    def has_guest(self, guest: uuid.UUID) -> bool:
        return self._lookup(guest) is not None

    def _new_root(self, spec: GuestSpec) -> libvirt.virStorageVol:
        """A qcow2 overlay on the image's base volume, sized for the flavor."""
        base = self._ensure_image(spec.image)
        name = guest_volume_name(spec.uuid, "root.qcow2")
        return self._new_volume(
            name,
            domain_xml.volume(
                name,
                capacity=max(spec.root_disk_bytes, spec.image.virtual_size),
                disk_format=DiskFormat.QCOW2,
                backing=(base.path(), spec.image.disk_format),
            ),
        )

    def _write_config_drive(self, spec: GuestSpec) -> libvirt.virStorageVol:
        iso_bytes = config_drive.build_iso(spec.config_drive)
        name = guest_volume_name(spec.uuid, "config.iso")
        iso = self._new_volume(
            name, domain_xml.volume(name, capacity=len(iso_bytes), disk_format=DiskFormat.RAW)
        )
        self._upload(iso, io.BytesIO(iso_bytes), len(iso_bytes))
        return iso

    @_reconnecting
    def create_guest(self, spec: GuestSpec) -> None:
        if self.has_guest(spec.uuid):
            return
        try:
            with _host_errors("create the guest's disks and domain"):
                root = self._new_root(spec)
                iso = self._write_config_drive(spec)
                console = self._pool_path / guest_volume_name(spec.uuid, "console.log")
                interfaces = []
                for nic in spec.nics:
                    self.ensure_network(nic.network)
                    nic_filter = nwfilter_xml.nic_filter(nic.id, nic.ip, nic.groups)
                    has_filter = self._define_filter(nic_filter)
                    interfaces.append(
                        domain_xml.Interface(
                            nic.mac,
                            network_xml.network_name(nic.network.id),
                            nwfilter_xml.nic_filter_name(nic.id) if has_filter else None,
                        )
                    )
                self._connection().defineXML(
                    domain_xml.domain(
                        guest=spec.uuid,
                        name=spec.name,
                        virt_type=self._virt_type,
                        vcpus=spec.vcpus,
                        memory_mib=spec.memory_mib,
                        disks=domain_xml.DomainDisks(root.path(), iso.path(), str(console)),
                        installation=self._installation,
                        interfaces=interfaces,
                    )
                )
        except BaseException:
            try:
                self.destroy_guest(spec.uuid)
            except HostError as cleanup:  # the creation's own failure is the one to report
                log.warning("removing half-made guest %s failed too: %s", spec.uuid, cleanup)
            raise

    @_reconnecting
    def refresh_guest(self, spec: GuestSpec) -> None:
        dom = self._domain(spec.uuid)
        with _host_errors("refresh the guest's definition"):
            if dom.isActive():
                return
            self._write_config_drive(spec)
            inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            self._connection().defineXML(
                domain_xml.with_size(inactive, vcpus=spec.vcpus, memory_mib=spec.memory_mib)
            )

    @_reconnecting
    def rebuild_root(self, spec: GuestSpec) -> None:
        dom = self._domain(spec.uuid)
        with _host_errors("rebuild the root disk"):
            if dom.isActive():
                raise HostError("the guest must be shut off before its root disk is rebuilt")
            self._new_root(spec)

    @_reconnecting
    def start(self, guest: uuid.UUID) -> None:
        """Returns once the guest runs. A guest QEMU still holds paused while libvirt sets it
        up (a start that began before a crash goes on in libvirtd) is waited for, within a
        bound; one paused for any other reason is resumed, a shut-off one started."""
        dom = self._domain(guest)
        with _host_errors("start the guest"):
            deadline = time.monotonic() + _START_TIMEOUT
            while (state := dom.state())[0] not in _RUNNING_STATES:
                if time.monotonic() > deadline:
                    seen = power_state_of(*state).value
                    raise HostError(f"the guest is still {seen} {_START_TIMEOUT:.0f}s after start")
                if state[0] == libvirt.VIR_DOMAIN_PAUSED:
                    if state[1] != libvirt.VIR_DOMAIN_PAUSED_STARTING_UP:
                        dom.resume()
                        continue
                elif not dom.isActive():
                    self._create(dom)
                    continue
                time.sleep(_POLL_SECONDS)

    @staticmethod
    def _create(dom: libvirt.virDomain) -> None:
        """Start a shut-off domain; one a start still in libvirtd got to first is fine."""
        try:
            dom.create()
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:  # already running
                raise

    @_reconnecting
    def stop(self, guest: uuid.UUID, *, force: bool, timeout: float) -> bool:
        """ACPI power-off, then a forced one after ``timeout``. True when force was needed. A
        paused guest cannot see the ACPI request (libvirt refuses to send it: "domain is not
        running"), and one paused on a full pool would not get far in shutting down: it is
        forced off at once."""
        dom = self._domain(guest)
        with _host_errors("stop the guest"):
            if not dom.isActive():
                return False
            state = dom.state()
            if not force and state[0] not in _RUNNING_STATES:
                log.info("guest %s is %s; forcing it off", guest, power_state_of(*state).value)
            elif not force:
                dom.shutdown()
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    if not dom.isActive():
                        return False
                    time.sleep(_POLL_SECONDS)
                log.info("guest %s ignored ACPI shutdown for %.0fs; forcing it off", guest, timeout)
            try:
                dom.destroy()
            except libvirt.libvirtError as exc:
                if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:  # already off
                    raise
            return True

    @_reconnecting
    def reboot(self, guest: uuid.UUID) -> bool:
        """A paused guest ignores the reboot request (libvirt accepts it and nothing happens),
        so it is resumed first; one paused on a full pool may pause again, which the reconciler
        then reports."""
        dom = self._domain(guest)
        with _host_errors("reboot the guest"):
            paused = dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
            if paused:
                dom.resume()
            dom.reboot(0)
            return bool(paused)

    @_reconnecting
    def resume(self, guest: uuid.UUID) -> PowerState:
        dom = self._domain(guest)
        with _host_errors("resume the guest"):
            if dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
                dom.resume()
            return power_state_of(*dom.state())

    @_reconnecting
    def pool_free_bytes(self) -> int:
        with _host_errors("measure the storage pool"):
            return int(self._refreshed_pool().info()[3])  # state, capacity, allocation, available

    @_reconnecting
    def destroy_guest(self, guest: uuid.UUID) -> None:
        with _host_errors("remove the guest"):
            dom = self._lookup(guest)
            if dom is not None:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            pool = self._refreshed_pool()
            for volume in pool.listAllVolumes(0):
                if volume.name().startswith(f"{guest}-"):
                    volume.delete(0)

    @_reconnecting
    def power_state(self, guest: uuid.UUID) -> PowerState:
        dom = self._domain(guest)
        try:
            return power_state_of(*dom.state())
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:  # undefined since the lookup
                raise GuestGone(f"guest {guest} is not defined on {self.uri}") from exc
            raise _host_error("report the guest's state", exc) from exc

    def _is_ours(self, dom: libvirt.virDomain) -> bool:
        try:
            metadata = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domain_xml.METADATA_NS, 0)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() in (
                libvirt.VIR_ERR_NO_DOMAIN_METADATA,
                libvirt.VIR_ERR_NO_DOMAIN,
            ):
                return False
            raise
        return domain_xml.installation_of(metadata) == self._installation

    @_reconnecting
    def guests(self) -> list[GuestInfo]:
        """Ours, each with its state; one undefined between the listing and its reading is
        left out, as if listed a moment later."""
        with _host_errors("list its guests"):
            found = []
            for dom in self._connection().listAllDomains(0):
                try:
                    if self._is_ours(dom):
                        found.append(
                            GuestInfo(uuid.UUID(dom.UUIDString()), power_state_of(*dom.state()))
                        )
                except libvirt.libvirtError as exc:
                    if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                        raise
            return found

    @_reconnecting
    def volumes(self) -> list[VolumeInfo]:
        with _host_errors("list its volumes"):
            pool = self._refreshed_pool()
            found = []
            for volume in pool.listAllVolumes(0):
                name = volume.name()
                if image := _IMAGE_VOLUME.fullmatch(name):
                    found.append(VolumeInfo(name, ResourceKind.IMAGE, uuid.UUID(image[1])))
                elif part := _GUEST_VOLUME.fullmatch(name):
                    found.append(VolumeInfo(name, ResourceKind.INSTANCE, uuid.UUID(part[1])))
                elif disk := _DISK_VOLUME.fullmatch(name):
                    found.append(VolumeInfo(name, _DISK_OWNERS[disk[1]], uuid.UUID(disk[2])))
            return found

    @_reconnecting
    def delete_volume(self, name: str) -> None:
        with _host_errors("delete a volume"):
            volume = self._find_volume(name)
            if volume is not None:
                volume.delete(0)

    def _download(self, volume: libvirt.virStorageVol) -> Iterator[bytes]:
        size = volume.info()[1]
        if size == 0:
            return
        stream = self._connection().newStream(0)
        volume.download(stream, 0, size, 0)
        while (chunk := stream.recv(_STREAM_CHUNK)) and isinstance(chunk, bytes):
            yield chunk
        stream.finish()

    @_reconnecting
    def console_output(self, guest: uuid.UUID) -> bytes:
        """The serial log, read through libvirt so it works for remote hosts too."""
        name = guest_volume_name(guest, "console.log")
        with _host_errors("read the console log"):
            # a volume's size is read afresh with it; only a new log needs the pool refreshed
            volume = self._find_volume(name)
            if volume is None:
                self._refreshed_pool()
                volume = self._find_volume(name)
            if volume is None:
                return b""
            try:
                return b"".join(self._download(volume))
            except libvirt.libvirtError as exc:
                if exc.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT:
                    return b""
                raise

    # disks

    def _disk(self, disk: DiskRef) -> libvirt.virStorageVol:
        found = self._find_volume(disk_volume_name(disk))
        if found is None:
            raise HostError(f"the {disk.kind.value} disk {disk.id} is missing on {self.uri}")
        return found

    @_reconnecting
    def create_disk(self, disk: DiskRef, size_bytes: int, source: DiskRef | None) -> None:
        name = disk_volume_name(disk)
        with _host_errors(f"create the {disk.kind.value} disk"):
            if self._find_volume(name) is not None:
                return
            if source is None:
                xml = domain_xml.volume(name, capacity=size_bytes, disk_format=DiskFormat.QCOW2)
                self._pool().createXML(xml, 0)
                return
            original = self._disk(source)
            capacity = max(size_bytes, original.info()[1])
            xml = domain_xml.volume(name, capacity=capacity, disk_format=DiskFormat.QCOW2)
            copy = self._pool().createXMLFrom(xml, original, 0)
            if copy.info()[1] < capacity:
                copy.resize(capacity, 0)

    @_reconnecting
    def resize_disk(self, disk: DiskRef, size_bytes: int, *, guest: uuid.UUID | None) -> None:
        volume = self._disk(disk)
        with _host_errors(f"resize the {disk.kind.value} disk"):
            if volume.info()[1] >= size_bytes:
                return
            dom = None if guest is None else self._lookup(guest)
            if dom is not None and self._hot_plug(dom):
                dom.blockResize(
                    str(volume.path()), size_bytes, libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES
                )
            elif self._virt_type is VirtType.TEST:  # no virStorageVolResize; it keeps no bytes
                name = disk_volume_name(disk)
                self._new_volume(
                    name, domain_xml.volume(name, capacity=size_bytes, disk_format=DiskFormat.QCOW2)
                )
            else:
                volume.resize(size_bytes, 0)

    @_reconnecting
    def delete_disk(self, disk: DiskRef) -> None:
        self.delete_volume(disk_volume_name(disk))

    def _redefine(self, dom: libvirt.virDomain, disk_xml: str | None, remove: str | None) -> None:
        """Change the persistent definition only: for shut-off guests, and the test driver."""
        inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        self._connection().defineXML(domain_xml.with_disk(inactive, disk_xml, remove_device=remove))

    def _hot_plug(self, dom: libvirt.virDomain) -> bool:
        return bool(dom.isActive()) and self._virt_type is not VirtType.TEST

    @_reconnecting
    def attach_disk(self, guest: uuid.UUID, disk: DiskRef, device: str) -> None:
        dom = self._domain(guest)
        with _host_errors("attach the disk"):
            path = str(self._disk(disk).path())
            defined = domain_xml.disk_targets(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            live = domain_xml.disk_targets(dom.XMLDesc(0))
            xml = domain_xml.data_disk(path, device)
            if not self._hot_plug(dom):
                if path not in defined:
                    self._redefine(dom, xml, None)
                return
            if path in live and path in defined:
                return
            flags = (libvirt.VIR_DOMAIN_AFFECT_LIVE if path not in live else 0) | (
                libvirt.VIR_DOMAIN_AFFECT_CONFIG if path not in defined else 0
            )
            dom.attachDeviceFlags(xml, flags)

    @_reconnecting
    def detach_disk(self, guest: uuid.UUID, disk: DiskRef, *, timeout: float) -> None:
        dom = self._lookup(guest)
        if dom is None:
            return
        with _host_errors("detach the disk"):
            path = str(self._disk(disk).path())
            defined = domain_xml.disk_targets(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            if not self._hot_plug(dom):
                if path in defined:
                    self._redefine(dom, None, defined[path])
                return
            live = domain_xml.disk_targets(dom.XMLDesc(0))
            if path in live:
                dom.detachDeviceFlags(
                    domain_xml.data_disk(path, live[path]), libvirt.VIR_DOMAIN_AFFECT_LIVE
                )
            deadline = time.monotonic() + timeout
            while path in domain_xml.disk_targets(dom.XMLDesc(0)):
                if time.monotonic() > deadline:
                    raise HostError(f"the guest did not release the disk within {timeout:.0f}s")
                time.sleep(_POLL_SECONDS)
            if path in defined:
                self._redefine(dom, None, defined[path])

    @_reconnecting
    def copy_disk(self, source: DiskRef, target: DiskRef, *, guest: uuid.UUID | None) -> int:
        name = disk_volume_name(target)
        with _host_errors(f"copy the {source.kind.value} disk"):
            if (done := self._find_volume(name)) is not None:
                return int(done.info()[1])
            original = self._disk(source)
            dom = None if guest is None else self._lookup(guest)
            live = {} if dom is None else domain_xml.disk_targets(dom.XMLDesc(0))
            if dom is not None and self._hot_plug(dom) and original.path() in live:
                self._backup(dom, live, live[original.path()], self._pool_path / name)
                self._refreshed_pool()
                return int(self._disk(target).info()[1])
            capacity = original.info()[1]
            xml = domain_xml.volume(name, capacity=capacity, disk_format=DiskFormat.QCOW2)
            return int(self._pool().createXMLFrom(xml, original, 0).info()[1])

    def _backup(
        self, dom: libvirt.virDomain, disks: dict[str, str], device: str, target: Path
    ) -> None:
        """A consistent copy of a disk a running guest writes to, by QEMU's own backup job."""
        dom.backupBegin(domain_xml.backup(list(disks.values()), device, str(target)), None, 0)
        deadline = time.monotonic() + _BACKUP_TIMEOUT
        while dom.jobInfo()[0] != libvirt.VIR_DOMAIN_JOB_NONE:
            if time.monotonic() > deadline:
                dom.abortJob()
                raise HostError("the disk copy did not finish in time")
            time.sleep(_POLL_SECONDS)
        stats = dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
        if not stats.get("success", False):
            self._refreshed_pool()
            self.delete_volume(target.name)
            raise HostError(f"the disk copy failed: {stats.get('errmsg', 'no reason given')}")

    @_reconnecting
    def download_disk(self, disk: DiskRef, destination: Path) -> None:
        partial = destination.with_name(destination.name + ".partial")
        with _host_errors("download the disk"):
            volume = self._disk(disk)
            if self._virt_type is VirtType.TEST:
                # The test driver keeps no bytes: an empty disk of the same size stands in.
                size = str(volume.info()[1])
                subprocess.run(
                    ["qemu-img", "create", "-q", "-f", "qcow2", str(partial), size], check=True
                )
            else:
                with partial.open("wb") as out:
                    for chunk in self._download(volume):
                        out.write(chunk)
        partial.replace(destination)

    # networks

    def _network(self, network: uuid.UUID) -> libvirt.virNetwork | None:
        try:
            return self._connection().networkLookupByUUIDString(str(network))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
                return None
            raise

    @_reconnecting
    def ensure_network(self, network: NetworkSpec) -> None:
        with _host_errors("prepare the network"), self._lock_network(network.id):
            net = self._network(network.id)
            if net is None:
                net = self._connection().networkDefineXML(
                    network_xml.isolated_network(
                        network.id,
                        ipaddress.IPv4Network(network.cidr),
                        network.hosts,
                        installation=self._installation,
                    )
                )
            if not net.isActive():
                net.create()
            net.setAutostart(1)
            reserved = network_xml.dhcp_hosts(net.XMLDesc(0))
            for mac, ip in network.hosts:
                if (mac, ip) not in reserved:
                    net.update(
                        libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                        libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                        -1,
                        network_xml.dhcp_host(mac, ip),
                        libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
                        | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG,
                    )

    def _lock_network(self, network: uuid.UUID) -> threading.Lock:
        return self._image_lock(f"network-{network}")

    @_reconnecting
    def release_address(self, network: uuid.UUID, mac: str, ip: str) -> None:
        with _host_errors("release a DHCP reservation"):
            net = self._network(network)
            if net is None:
                return
            reserved = network_xml.dhcp_hosts(net.XMLDesc(0))
            if (mac, ip) in reserved:
                flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG | (
                    libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE if net.isActive() else 0
                )
                net.update(
                    libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE,
                    libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                    -1,
                    network_xml.dhcp_host(mac, ip),
                    flags,
                )

    @_reconnecting
    def delete_network(self, network: uuid.UUID) -> None:
        with _host_errors("remove the network"):
            net = self._network(network)
            if net is not None:
                if net.isActive():
                    net.destroy()
                net.undefine()

    @_reconnecting
    def networks(self) -> list[uuid.UUID]:
        with _host_errors("list its networks"):
            return [
                uuid.UUID(net.UUIDString())
                for net in self._connection().listAllNetworks(0)
                if domain_xml.installation_of_document(net.XMLDesc(0)) == self._installation
            ]

    @_reconnecting
    def leases(self, network: uuid.UUID) -> dict[str, str]:
        with _host_errors("read the DHCP leases"):
            net = self._network(network)
            if net is None or not net.isActive():
                return {}
            try:
                found = net.DHCPLeases()
            except libvirt.libvirtError as exc:
                if exc.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT:
                    return {}  # the test driver has no DHCP server
                raise
            return {
                str(lease["mac"]).lower(): str(lease["ipaddr"])
                for lease in found
                if lease.get("type") == libvirt.VIR_IP_ADDR_TYPE_IPV4
            }

    # security-group filters

    def _define_filter(self, xml: str) -> bool:
        """Define or redefine; False where the host has no nwfilter driver (libvirt's test
        driver), whose guests then run unfiltered."""
        try:
            self._connection().nwfilterDefineXML(xml)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT:
                return False
            raise
        return True

    @_reconnecting
    def apply_group_filter(self, group: GroupFilter) -> None:
        with _host_errors("apply the security group"):
            self._define_filter(nwfilter_xml.group_filter(group.id, group.rules))

    @_reconnecting
    def delete_filters(self, groups: list[uuid.UUID], nics: list[uuid.UUID]) -> None:
        names = [nwfilter_xml.nic_filter_name(n) for n in nics] + [
            nwfilter_xml.group_filter_name(g) for g in groups
        ]
        with _host_errors("remove security filters"):
            for name in names:  # NIC filters first: they refer to the group filters
                try:
                    self._connection().nwfilterLookupByName(name).undefine()
                except libvirt.libvirtError as exc:
                    if exc.get_error_code() not in (
                        libvirt.VIR_ERR_NO_NWFILTER,
                        libvirt.VIR_ERR_NO_SUPPORT,
                    ):
                        raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except libvirt.libvirtError as exc:
                    log.debug("closing %s: %s", self.uri, exc)
                self._conn = None
