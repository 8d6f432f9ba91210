"""The host work behind volumes, snapshots and images captured from instances.

As with instances, every handler can run again after a crash (creating a disk that exists or
deleting one that is gone is a no-op), a failed creation removes what it made, and an outcome
only moves a resource still in the transitional state the job was queued for, and moves it
where that kind's table in ``core.states`` says.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Host, Image, Instance, Snapshot, Volume
from core.enums import (
    EventType,
    ImageState,
    JobKind,
    SnapshotState,
    VolumeState,
    VolumeType,
)
from core.errors import CoreError, HostError
from core.hosts.driver import DiskKind, DiskRef, HostDriver
from core.hosts.registry import HostDrivers
from core.jobs.queue import ClaimedJob
from core.jobs.worker import JobHandler
from core.services.images import inspect, sha256_of
from core.states import (
    IMAGES,
    SNAPSHOTS,
    VOLUMES,
    ImageTransition,
    SnapshotTransition,
    StateMachine,
    VolumeTransition,
)


def volume_disk(volume: Volume) -> DiskRef:
    """Root volumes are the instance's root file; data volumes have files of their own."""
    if volume.volume_type is VolumeType.ROOT:
        assert volume.instance_id is not None, "a root volume always has its instance"
        return DiskRef(DiskKind.ROOT, volume.instance_id)
    return DiskRef(DiskKind.DATA, volume.id)


_State = TypeVar("_State", VolumeState, SnapshotState, ImageState)
_Verb = TypeVar("_Verb", VolumeTransition, SnapshotTransition, ImageTransition)


class _Row(Protocol[_State]):
    ref: str
    state: _State
    state_reason: str


def _move(
    machine: StateMachine[_State, _Verb],
    row: _Row[_State],
    expected: _State,
    transition: _Verb,
    reason: str | None = None,
) -> bool:
    """Move a row still in the state the job was queued for; False if something overtook it."""
    if row.state is not expected:
        return False
    row.state = machine.next_state(row.state, transition, ref=row.ref)
    if reason is not None:
        row.state_reason = reason
    return True


class StorageJob(abc.ABC):
    event_type: ClassVar[EventType]

    def __init__(self, db: Database, drivers: HostDrivers, *, detach_timeout: float) -> None:
        self._db = db
        self._drivers = drivers
        self._detach_timeout = detach_timeout

    def _driver(self, host: Host) -> HostDriver:
        return self._drivers.get(host.id, host.uri, host.virt_type)

    @abc.abstractmethod
    def run(self, job: ClaimedJob) -> Mapping[str, Any]: ...

    @abc.abstractmethod
    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None: ...

    @abc.abstractmethod
    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None: ...


class CreateVolume(StorageJob):
    event_type = EventType.VOLUME_CREATE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            volume = session.get_one(Volume, job.resource_id)
            driver = self._driver(volume.host)
            disk = volume_disk(volume)
            size = volume.size_bytes
            source = (
                None
                if volume.snapshot_id is None
                else DiskRef(DiskKind.SNAPSHOT, volume.snapshot_id)
            )
        try:
            driver.create_disk(disk, size, source)
        except CoreError:
            driver.delete_disk(disk)
            raise
        return {}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        volume = session.get_one(Volume, job.resource_id)
        _move(VOLUMES, volume, VolumeState.CREATING, VolumeTransition.SETTLE)

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        volume = session.get_one(Volume, job.resource_id)
        _move(VOLUMES, volume, VolumeState.CREATING, VolumeTransition.FAIL, reason)


class DeleteVolume(StorageJob):
    event_type = EventType.VOLUME_DELETE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            volume = session.get_one(Volume, job.resource_id)
            driver, disk = self._driver(volume.host), volume_disk(volume)
        driver.delete_disk(disk)
        return {}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        volume = session.get_one(Volume, job.resource_id)
        if _move(VOLUMES, volume, VolumeState.DELETING, VolumeTransition.SETTLE):
            volume.deleted_at = utcnow()

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        volume = session.get_one(Volume, job.resource_id)
        _move(VOLUMES, volume, VolumeState.DELETING, VolumeTransition.FAIL, reason)


def _attachment(session: Session, job: ClaimedJob) -> tuple[Volume, uuid.UUID, str]:
    volume = session.get_one(Volume, job.resource_id)
    if volume.instance_id is None or volume.device is None:
        raise HostError(f"volume {volume.ref} names no instance or device")
    return volume, volume.instance_id, volume.device


class AttachVolume(StorageJob):
    event_type = EventType.VOLUME_ATTACH

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            volume, guest, device = _attachment(session, job)
            driver, disk = self._driver(volume.host), volume_disk(volume)
        driver.attach_disk(guest, disk, device)
        return {"device": device}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        volume = session.get_one(Volume, job.resource_id)
        if _move(VOLUMES, volume, VolumeState.ATTACHING, VolumeTransition.SETTLE, ""):
            volume.attached_at = utcnow()

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        volume = session.get_one(Volume, job.resource_id)
        if _move(VOLUMES, volume, VolumeState.ATTACHING, VolumeTransition.FAIL, reason):
            volume.instance_id = None
            volume.device = None


class DetachVolume(StorageJob):
    event_type = EventType.VOLUME_DETACH

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            volume, guest, _device = _attachment(session, job)
            driver, disk = self._driver(volume.host), volume_disk(volume)
        driver.detach_disk(guest, disk, timeout=self._detach_timeout)
        return {}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        volume = session.get_one(Volume, job.resource_id)
        if _move(VOLUMES, volume, VolumeState.DETACHING, VolumeTransition.SETTLE, ""):
            volume.instance_id = None
            volume.device = None
            volume.attached_at = None

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        volume = session.get_one(Volume, job.resource_id)
        _move(VOLUMES, volume, VolumeState.DETACHING, VolumeTransition.FAIL, reason)


class ResizeVolume(StorageJob):
    event_type = EventType.VOLUME_RESIZE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            volume = session.get_one(Volume, job.resource_id)
            driver, disk = self._driver(volume.host), volume_disk(volume)
            guest = volume.instance_id if volume.state is VolumeState.IN_USE else None
        driver.resize_disk(disk, int(job.params["size_bytes"]), guest=guest)
        return {}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        volume = session.get_one(Volume, job.resource_id)
        volume.size_bytes = max(volume.size_bytes, int(job.params["size_bytes"]))

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        """The volume keeps its old size and state; the job says why."""


class CreateSnapshot(StorageJob):
    event_type = EventType.SNAPSHOT_CREATE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            snapshot = session.get_one(Snapshot, job.resource_id)
            volume = snapshot.volume
            driver = self._driver(snapshot.host)
            if "copy_of" in job.params:  # CopySnapshot: the data of another snapshot
                source = DiskRef(DiskKind.SNAPSHOT, uuid.UUID(str(job.params["copy_of"])))
                guest = None
            else:
                source, guest = volume_disk(volume), volume.instance_id
        target = DiskRef(DiskKind.SNAPSHOT, job.resource_id)
        try:
            size = driver.copy_disk(source, target, guest=guest)
        except CoreError:
            driver.delete_disk(target)
            raise
        return {"size_bytes": size}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        snapshot = session.get_one(Snapshot, job.resource_id)
        if _move(SNAPSHOTS, snapshot, SnapshotState.PENDING, SnapshotTransition.SETTLE):
            snapshot.size_bytes = max(snapshot.size_bytes, int(result["size_bytes"]))

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        snapshot = session.get_one(Snapshot, job.resource_id)
        _move(SNAPSHOTS, snapshot, SnapshotState.PENDING, SnapshotTransition.FAIL, reason)


class DeleteSnapshot(StorageJob):
    event_type = EventType.SNAPSHOT_DELETE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            driver = self._driver(session.get_one(Snapshot, job.resource_id).host)
        driver.delete_disk(DiskRef(DiskKind.SNAPSHOT, job.resource_id))
        return {}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        snapshot = session.get_one(Snapshot, job.resource_id)
        if _move(SNAPSHOTS, snapshot, SnapshotState.DELETING, SnapshotTransition.SETTLE):
            snapshot.deleted_at = utcnow()

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        snapshot = session.get_one(Snapshot, job.resource_id)
        _move(SNAPSHOTS, snapshot, SnapshotState.DELETING, SnapshotTransition.FAIL, reason)


class CaptureImage(StorageJob):
    """A new image from an instance's root disk: flattened on the host, then stored with the
    other images so that any host can launch it."""

    event_type = EventType.TEMPLATE_CREATE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            image = session.get_one(Image, job.resource_id)
            assert image.source_instance_id is not None, "a captured image names its instance"
            instance = session.get_one(Instance, image.source_instance_id)
            if instance.host is None:
                raise HostError(f"instance {instance.ref} has no host")
            driver, guest, path = self._driver(instance.host), instance.id, Path(image.path)
        staging = DiskRef(DiskKind.CAPTURE, job.resource_id)
        try:
            driver.copy_disk(DiskRef(DiskKind.ROOT, guest), staging, guest=guest)
            path.parent.mkdir(parents=True, exist_ok=True)
            driver.download_disk(staging, path)
            disk_format, virtual_size = inspect(path)
        except CoreError:
            path.unlink(missing_ok=True)
            raise
        finally:
            driver.delete_disk(staging)
        path.chmod(0o644)
        return {
            "format": disk_format.value,
            "virtual_size": virtual_size,
            "checksum": sha256_of(path),
        }

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        image = session.get_one(Image, job.resource_id)
        if _move(IMAGES, image, ImageState.PENDING, ImageTransition.SETTLE):
            image.virtual_size = int(result["virtual_size"])
            image.checksum = str(result["checksum"])

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        image = session.get_one(Image, job.resource_id)
        if _move(IMAGES, image, ImageState.PENDING, ImageTransition.FAIL, reason):
            Path(image.path).unlink(missing_ok=True)


def storage_handlers(
    db: Database, drivers: HostDrivers, *, detach_timeout: float
) -> dict[JobKind, JobHandler]:
    def make(cls: type[StorageJob]) -> StorageJob:
        return cls(db, drivers, detach_timeout=detach_timeout)

    return {
        JobKind.CREATE_VOLUME: make(CreateVolume),
        JobKind.DELETE_VOLUME: make(DeleteVolume),
        JobKind.ATTACH_VOLUME: make(AttachVolume),
        JobKind.DETACH_VOLUME: make(DetachVolume),
        JobKind.CREATE_SNAPSHOT: make(CreateSnapshot),
        JobKind.DELETE_SNAPSHOT: make(DeleteSnapshot),
        JobKind.RESIZE_VOLUME: make(ResizeVolume),
        JobKind.CAPTURE_IMAGE: make(CaptureImage),
    }
