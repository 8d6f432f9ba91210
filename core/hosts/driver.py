"""The seam between core and a hypervisor: one narrow, typed interface per libvirt URI.

Everything above this line speaks core types (UUIDs, PowerState, GuestSpec); libvirt's
identities, XML and error codes stay below it. Contracts, method by method:

* ``create_guest`` is idempotent: the domain UUID is the instance UUID, and if it fails any
  partial guest is removed again before the error is raised.
* ``destroy_guest`` succeeds when the guest is already gone.
* Only guests and volumes tagged with this installation's id are ever listed or touched.
* Every method converges when called again after a crash at any point, and a lost connection
  is reopened and the call retried, within a bound, before ``HostUnreachable`` is raised.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.enums import DiskFormat, ResourceKind, VirtType
from core.errors import HostError
from core.network.rules import RuleSpec


class HostUnreachable(HostError):
    """The host's libvirt could not be reached for as long as the driver retries: nothing is
    known of what it did, so a job failing with this leaves its resource as the host last
    reported it, for the reconciler to align once the host answers again."""


class GuestGone(HostError):
    """The guest is not defined on its host (it may have vanished since it was listed)."""


class PowerState(enum.Enum):
    """What a guest is doing. A paused guest is told apart by why it is paused, since only some
    pauses need anyone to act: libvirt resumes the ones it makes for its own work itself."""

    RUNNING = "running"
    SHUTOFF = "shutoff"
    # held by libvirt for its own work (starting up, saving, migrating, a snapshot), suspended
    # to RAM by the guest itself, or paused for a reason nobody here acts on
    PAUSED = "paused"
    # QEMU stopped it because a write to its disk failed: most likely a full storage pool
    PAUSED_ON_DISK_ERROR = "paused on a disk error"
    PAUSED_BY_USER = "paused on its host"  # by someone there, outside Cloudgate (virsh suspend)
    CRASHED = "crashed"
    UNKNOWN = "unknown"  # libvirt has no state for it yet (NOSTATE); nobody acts on it


class DiskKind(enum.Enum):
    """What a pool file holds; the driver names files after it and the owner's id."""

    ROOT = "root"  # an instance's root disk, an overlay on its image (owner: the instance)
    DATA = "data"  # a data volume (owner: the volume)
    SNAPSHOT = "snapshot"  # a full copy of a volume at one moment (owner: the snapshot)
    CAPTURE = "capture"  # a flattened root disk on its way to becoming an image (owner: the image)


@dataclass(frozen=True, slots=True)
class DiskRef:
    kind: DiskKind
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class VolumeInfo:
    """A file in our storage pool and the core resource it belongs to, read from its name."""

    name: str
    owner_kind: ResourceKind
    owner_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class HostCapabilities:
    hostname: str
    virt_type: VirtType
    cpus: int
    memory_mib: int
    disk_gib: int


@dataclass(frozen=True, slots=True)
class ImageSource:
    """A base image as a host needs it: our id for the pool volume, and the local file."""

    id: uuid.UUID
    path: str
    disk_format: DiskFormat
    virtual_size: int


@dataclass(frozen=True, slots=True)
class ConfigDrive:
    """NoCloud contextualization: what cloud-init (and our tiny image) reads at boot."""

    instance_id: str
    hostname: str
    public_keys: tuple[str, ...]
    user_data: bytes


@dataclass(frozen=True, slots=True)
class GuestSpec:
    uuid: uuid.UUID
    name: str
    vcpus: int
    memory_mib: int
    root_disk_bytes: int
    image: ImageSource
    config_drive: ConfigDrive
    nics: tuple[NicSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """An isolated network as a host needs it: its DHCP server answers only the reserved
    (mac, ip) pairs fast; other guests wait for dnsmasq's own allocation."""

    id: uuid.UUID
    cidr: str
    hosts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class NicSpec:
    id: uuid.UUID
    mac: str
    ip: str
    network: NetworkSpec
    groups: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class GroupFilter:
    """A security group's rules, source groups already expanded to their members' addresses."""

    id: uuid.UUID
    rules: tuple[tuple[RuleSpec, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class GuestInfo:
    uuid: uuid.UUID
    power_state: PowerState


class HostDriver(Protocol):
    """One libvirt URI. Takes and returns core types only; raises core.errors only."""

    def capabilities(self) -> HostCapabilities: ...

    def create_guest(self, spec: GuestSpec) -> None: ...

    def has_guest(self, guest: uuid.UUID) -> bool: ...

    def refresh_guest(self, spec: GuestSpec) -> None:
        """A shut-off guest's definition brought up to ``spec``: vCPUs, memory, and a config
        drive with the current keys and user data. A running guest is left as it is."""

    def rebuild_root(self, spec: GuestSpec) -> None:
        """A fresh root disk from ``spec.image`` for a shut-off guest; data disks are kept."""

    def start(self, guest: uuid.UUID) -> None:
        """Returns once the guest runs: a shut-off guest is started, a paused one resumed, and
        one still starting (a start that began before a crash) waited for, within a bound."""

    def stop(self, guest: uuid.UUID, *, force: bool, timeout: float) -> bool:
        """Powered off: asked by ACPI, then forced after ``timeout``; a paused guest, which
        cannot see an ACPI request, is forced off at once. True when force was needed."""

    def reboot(self, guest: uuid.UUID) -> bool:
        """Rebooted by ACPI; a paused guest is resumed first, so that it sees the request. True
        when it had to be resumed."""

    def resume(self, guest: uuid.UUID) -> PowerState:
        """A paused guest resumed, once; its state afterwards, which is paused again when QEMU
        finds its disk still cannot be written. A guest that is not paused is left alone."""

    def pool_free_bytes(self) -> int:
        """Free space on the filesystem of the storage pool, as the host measures it now."""

    def destroy_guest(self, guest: uuid.UUID) -> None: ...

    def power_state(self, guest: uuid.UUID) -> PowerState: ...

    def guests(self) -> list[GuestInfo]: ...

    def volumes(self) -> list[VolumeInfo]: ...

    def delete_volume(self, name: str) -> None: ...

    def create_disk(self, disk: DiskRef, size_bytes: int, source: DiskRef | None) -> None:
        """An empty qcow2 disk, or a copy of ``source`` grown to ``size_bytes``; idempotent."""

    def delete_disk(self, disk: DiskRef) -> None:
        """Succeeds when the disk is already gone."""

    def resize_disk(self, disk: DiskRef, size_bytes: int, *, guest: uuid.UUID | None) -> None:
        """Grown to ``size_bytes`` (never shrunk); through the block layer of ``guest`` when it
        runs with the disk attached, so the guest sees the new size at once."""

    def attach_disk(self, guest: uuid.UUID, disk: DiskRef, device: str) -> None:
        """Hot-plugged when the guest runs, and kept in its definition either way; idempotent."""

    def detach_disk(self, guest: uuid.UUID, disk: DiskRef, *, timeout: float) -> None:
        """Unplugged (the guest must let go within ``timeout``) and removed from its definition."""

    def copy_disk(self, source: DiskRef, target: DiskRef, *, guest: uuid.UUID | None) -> int:
        """A standalone copy (backing chain flattened), consistent even while ``guest`` runs
        with ``source`` attached; returns the copy's virtual size in bytes."""

    def download_disk(self, disk: DiskRef, destination: Path) -> None:
        """The disk's bytes into a local file, through libvirt so remote hosts work too."""

    def ensure_network(self, network: NetworkSpec) -> None:
        """Defined, started and holding each DHCP reservation; idempotent."""

    def release_address(self, network: uuid.UUID, mac: str, ip: str) -> None:
        """Drop a DHCP reservation; succeeds when the network or reservation is gone."""

    def delete_network(self, network: uuid.UUID) -> None:
        """Stopped and undefined; succeeds when already gone."""

    def networks(self) -> list[uuid.UUID]:
        """This installation's networks on the host."""

    def leases(self, network: uuid.UUID) -> dict[str, str]:
        """MAC -> IPv4 address from the network's DHCP server; empty if it cannot say."""

    def apply_group_filter(self, group: GroupFilter) -> None:
        """Define or redefine a group's filter; libvirt re-applies it to running guests."""

    def delete_filters(self, groups: list[uuid.UUID], nics: list[uuid.UUID]) -> None:
        """Undefine these groups' and NICs' filters; missing ones are fine."""

    def console_output(self, guest: uuid.UUID) -> bytes: ...

    def close(self) -> None: ...
