"""Volumes and snapshots: create, attach, detach, snapshot, delete, describe.

Like compute, each mutating call checks everything first, then records the intent in one
transaction (the transitional state, a job, its Scheduled event) and returns; the storage jobs
do the libvirt work. A volume lives on one host's pool and attaches to instances of that host.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core import filtering, idempotency, ids, paging, tags
from core.db.database import Database
from core.db.models import Account, DiskOffering, Host, Instance, Snapshot, Volume, Zone
from core.enums import (
    EventType,
    JobKind,
    ResourceKind,
    Settle,
    SnapshotState,
    VolumeState,
    VolumeType,
)
from core.errors import (
    CapacityUnavailable,
    Conflict,
    InUse,
    InvalidArgument,
    InvalidState,
    NotFound,
)
from core.hosts import scheduler
from core.jobs import queue, settling
from core.services.catalog import find_disk_offering
from core.services.compute import overcommit
from core.services.lookup import (
    chosen_id,
    contains_text,
    identity_clause,
    identity_clauses,
    zone_clause,
)
from core.settings import CoreSettings
from core.states import (
    SNAPSHOTS,
    VOLUMES,
    InstanceState,
    SnapshotTransition,
    VolumeTransition,
)
from core.views import (
    Accepted,
    Caller,
    Page,
    SnapshotQuery,
    SnapshotView,
    VolumeQuery,
    VolumeView,
)

GIB: Final = 1024**3
MAX_VOLUME_GIB: Final = 16 * 1024
#: Data disks hot-plug as virtio vdb..vdz; vda is always the root disk.
DATA_DEVICES: Final = tuple(f"vd{letter}" for letter in "bcdefghijklmnopqrstuvwxyz")
_ATTACHABLE: Final = (InstanceState.RUNNING, InstanceState.STOPPED)


class _Named(settling.Owned, Protocol):
    """A volume or snapshot view."""

    @property
    def name(self) -> str: ...


V = TypeVar("V", bound=_Named)


def volume_view(volume: Volume, volume_tags: Mapping[str, str]) -> VolumeView:
    return VolumeView(
        id=volume.id,
        ref=volume.ref,
        account_id=volume.account_id,
        account_name=volume.account.name,
        name=volume.name,
        volume_type=volume.volume_type,
        state=volume.state,
        state_reason=volume.state_reason,
        size_bytes=volume.size_bytes,
        zone_name=volume.zone.name,
        zone_id=volume.zone_id,
        instance_name=volume.instance.name if volume.instance is not None else None,
        instance_id=volume.instance_id,
        instance_ref=volume.instance.ref if volume.instance is not None else None,
        device=volume.device,
        snapshot_id=volume.snapshot_id,
        tags=dict(volume_tags),
        created_at=volume.created_at,
        attached_at=volume.attached_at,
        disk_offering_id=volume.disk_offering_id,
        disk_offering_name=volume.disk_offering.name if volume.disk_offering else None,
        snapshot_ref=volume.source_snapshot.ref if volume.source_snapshot else None,
        disk_offering_description=(
            volume.disk_offering.description if volume.disk_offering else None
        ),
    )


def snapshot_view(snapshot: Snapshot, snapshot_tags: Mapping[str, str]) -> SnapshotView:
    return SnapshotView(
        id=snapshot.id,
        ref=snapshot.ref,
        account_id=snapshot.account_id,
        account_name=snapshot.account.name,
        zone_id=snapshot.volume.zone_id,
        zone_name=snapshot.volume.zone.name,
        volume_id=snapshot.volume_id,
        volume_ref=snapshot.volume.ref,
        volume_type=snapshot.volume.volume_type,
        name=snapshot.name,
        description=snapshot.description,
        state=snapshot.state,
        state_reason=snapshot.state_reason,
        size_bytes=snapshot.size_bytes,
        tags=dict(snapshot_tags),
        created_at=snapshot.created_at,
    )


def _volumes(caller: Caller) -> Select[Volume]:
    query = select(Volume).options(
        joinedload(Volume.zone), joinedload(Volume.instance), joinedload(Volume.disk_offering)
    )
    return query if caller.is_admin else query.where(Volume.account_id == caller.account_id)


#: What ``VolumeQuery.where`` can name: the view's fields, those of other rows read by
#: correlated subqueries (the listing's joins are the ORM's, under names of its own).
VOLUME_FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(Volume, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "name",
                "volume_type",
                "state",
                "state_reason",
                "size_bytes",
                "zone_id",
                "instance_id",
                "device",
                "snapshot_id",
                "created_at",
                "attached_at",
                "disk_offering_id",
            )
        },
        "size_gib": (Volume.size_bytes + (GIB - 1)) // GIB,
        "account_name": filtering.scalar(Account.name, Account.id == Volume.account_id),
        "zone_name": filtering.scalar(Zone.name, Zone.id == Volume.zone_id),
        "instance_name": filtering.scalar(Instance.name, Instance.id == Volume.instance_id),
        "instance_ref": filtering.scalar(Instance.ref, Instance.id == Volume.instance_id),
        "disk_offering_name": filtering.scalar(
            DiskOffering.name, DiskOffering.id == Volume.disk_offering_id
        ),
        "disk_offering_description": filtering.scalar(
            DiskOffering.description, DiskOffering.id == Volume.disk_offering_id
        ),
        "snapshot_ref": filtering.scalar(Snapshot.ref, Snapshot.id == Volume.snapshot_id),
    },
    filtering.Tagged(ResourceKind.VOLUME, Volume.id),
)


def _snapshots(caller: Caller) -> Select[Snapshot]:
    query = select(Snapshot).options(joinedload(Snapshot.volume))
    return query if caller.is_admin else query.where(Snapshot.account_id == caller.account_id)


#: What ``SnapshotQuery.where`` can name: the view's fields, its volume's by subqueries.
SNAPSHOT_FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(Snapshot, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "volume_id",
                "name",
                "description",
                "state",
                "state_reason",
                "size_bytes",
                "created_at",
            )
        },
        "account_name": filtering.scalar(Account.name, Account.id == Snapshot.account_id),
        "zone_id": filtering.scalar(Volume.zone_id, Volume.id == Snapshot.volume_id),
        "zone_name": filtering.scalar(
            Zone.name, Zone.id == Volume.zone_id, Volume.id == Snapshot.volume_id
        ),
        "volume_ref": filtering.scalar(Volume.ref, Volume.id == Snapshot.volume_id),
        "volume_type": filtering.scalar(Volume.volume_type, Volume.id == Snapshot.volume_id),
    },
    filtering.Tagged(ResourceKind.SNAPSHOT, Snapshot.id),
)


def _instances(caller: Caller) -> Select[Instance]:
    query = select(Instance)
    return query if caller.is_admin else query.where(Instance.account_id == caller.account_id)


M = TypeVar("M", Volume, Snapshot, Instance)


def _one(
    session: Session, statement: Select[M], model: type[M], kind: str, ref: str, lock: bool
) -> M:
    clause = identity_clause(model, ref)
    if clause is not None:
        statement = statement.where(clause)
        if lock:
            statement = statement.with_for_update(of=model)
        found = session.scalars(statement).unique().first()
        if found is not None and getattr(found, "state", None) not in (
            VolumeState.DELETED,
            SnapshotState.DELETED,
        ):
            return found
    raise NotFound(kind, ref)


def find_volume(session: Session, caller: Caller, ref: str, *, lock: bool = False) -> Volume:
    return _one(session, _volumes(caller), Volume, "volume", ref, lock)


def find_snapshot(session: Session, caller: Caller, ref: str, *, lock: bool = False) -> Snapshot:
    return _one(session, _snapshots(caller), Snapshot, "snapshot", ref, lock)


def _check_name(name: str) -> None:
    if len(name) > 255:
        raise InvalidArgument("name", "at most 255 characters")


class StorageService:
    def __init__(
        self, db: Database, settings: CoreSettings, wake_workers: Callable[[], None]
    ) -> None:
        self._db = db
        self._settings = settings
        self._wake = wake_workers

    # volumes

    def create_volume(
        self,
        caller: Caller,
        *,
        size_gib: int | None = None,
        snapshot: str | None = None,
        name: str | None = None,
        volume_tags: Mapping[str, str] | None = None,
        disk_offering: str | None = None,
        client_token: str | None = None,
        volume_id: uuid.UUID | None = None,
    ) -> Accepted[VolumeView]:
        """An empty volume of ``size_gib`` (or of the offering's size), or a copy of a snapshot
        (at least its size). A ``client_token`` the account used before returns that volume
        when the request is the same (nothing new is queued), and is refused otherwise."""
        wanted_tags = dict(volume_tags or {})
        tags.validate(wanted_tags)
        _check_name(name or "")
        idempotency.check(client_token)
        with self._db.transaction() as session:
            offering = None
            if disk_offering is not None:
                offering = find_disk_offering(session, disk_offering)
                if offering.size_gib is not None:
                    if size_gib not in (None, offering.size_gib):
                        raise InvalidArgument("size", f"offering {offering.name} has a fixed size")
                    size_gib = offering.size_gib
            if snapshot is None and size_gib is None:
                raise InvalidArgument("size", "a size or a snapshot is required")
            if size_gib is not None and not 1 <= size_gib <= MAX_VOLUME_GIB:
                raise InvalidArgument("size", f"must be between 1 and {MAX_VOLUME_GIB} GiB")
            zone = session.scalar(select(Zone).where(Zone.name == self._settings.zone))
            if zone is None:
                raise NotFound("zone", self._settings.zone)
            source = None if snapshot is None else find_snapshot(session, caller, snapshot)
            size = (size_gib or 0) * GIB
            if source is not None:
                SNAPSHOTS.check(source.state, SnapshotTransition.COPY, ref=source.ref)
                if size_gib is not None and size < source.size_bytes:
                    raise InvalidArgument("size", "smaller than the snapshot")
                size = max(size, source.size_bytes)
                host = source.host
                free = scheduler.free_capacity(session, [host], overcommit(self._settings))
                if free[0].disk_bytes < size:
                    raise CapacityUnavailable("disk")
            else:
                [host] = scheduler.place(
                    session, zone.id, [scheduler.Demand(0, 0, size)], overcommit(self._settings)
                )
            if client_token is not None:
                made = idempotency.made_before(
                    session,
                    _volumes(caller),
                    Volume.account_id,
                    Volume.client_token,
                    caller.account_id,
                    client_token,
                )
                if made:
                    earlier = made[0]
                    idempotency.require_same(
                        client_token,
                        (earlier.size_bytes, earlier.snapshot_id),
                        (size, source.id if source is not None else None),
                    )
                    found = tags.of(session, [earlier.id]).get(earlier.id, {})
                    return Accepted(volume_view(earlier, found), None)
            ref = ids.new_ref()
            volume = Volume(
                id=chosen_id(session, Volume, volume_id),
                ref=ref,
                account_id=caller.account_id,
                zone=zone,
                host=host,
                name=name or f"volume-{ref}",
                volume_type=VolumeType.DATADISK,
                state=VolumeState.CREATING,
                size_bytes=size,
                snapshot_id=source.id if source is not None else None,
                disk_offering=offering,
                client_token=client_token,
            )
            session.add(volume)
            session.flush()
            tags.add(session, caller.account_id, ResourceKind.VOLUME, volume.id, wanted_tags)
            job = queue.enqueue(
                session,
                caller,
                kind=JobKind.CREATE_VOLUME,
                resource=(ResourceKind.VOLUME, volume.id),
                account_id=caller.account_id,
                event_type=EventType.VOLUME_CREATE,
                description=f"creating volume {volume.name} of {volume.size_bytes // GIB} GiB"
                + (f" from snapshot {source.name}" if source is not None else ""),
            )
            accepted = Accepted(volume_view(volume, wanted_tags), job.id)
        self._wake()
        return accepted

    def _volume_job(
        self,
        session: Session,
        caller: Caller,
        volume: Volume,
        kind: JobKind,
        event: EventType,
        description: str,
        params: Mapping[str, object] | None = None,
    ) -> Accepted[VolumeView]:
        job = queue.enqueue(
            session,
            caller,
            kind=kind,
            resource=(ResourceKind.VOLUME, volume.id),
            account_id=volume.account_id,
            event_type=event,
            description=description,
            params=params,
        )
        session.flush()
        found = tags.of(session, [volume.id]).get(volume.id, {})
        return Accepted(volume_view(volume, found), job.id)

    def delete_volume(self, caller: Caller, ref: str) -> Accepted[VolumeView]:
        with self._db.transaction() as session:
            volume = find_volume(session, caller, ref, lock=True)
            if volume.volume_type is VolumeType.ROOT:
                raise InvalidState("volume", volume.ref, "root", "delete")
            volume.state = VOLUMES.next_state(volume.state, VolumeTransition.DELETE, ref=volume.ref)
            accepted = self._volume_job(
                session,
                caller,
                volume,
                JobKind.DELETE_VOLUME,
                EventType.VOLUME_DELETE,
                f"deleting volume {volume.name}",
            )
        self._wake()
        return accepted

    def _settled(
        self,
        caller: Caller,
        how: Settle,
        run: Callable[[], Accepted[V]],
        kind: JobKind,
        event: EventType,
        verb: str,
        read: tuple[ResourceKind, Callable[[], V]],
    ) -> Accepted[V]:
        """``run`` settled as the caller asks (``core.jobs.settling``)."""
        resource, current = read
        return settling.settle_on(
            self._db,
            caller,
            how,
            run,
            kind=kind,
            event=event,
            resource=resource,
            read=current,
            text=lambda found: f"{verb} {resource.value} {found.name}",
        )

    def attach_volume(
        self,
        caller: Caller,
        ref: str,
        instance_ref: str,
        *,
        device: str | None = None,
        settle: Settle = Settle.RAISE,
    ) -> Accepted[VolumeView]:
        return self._settled(
            caller,
            settle,
            lambda: self._attach(caller, ref, instance_ref, device),
            JobKind.ATTACH_VOLUME,
            EventType.VOLUME_ATTACH,
            "attaching",
            (ResourceKind.VOLUME, lambda: self.get_volume(caller, ref)),
        )

    def _attach(
        self, caller: Caller, ref: str, instance_ref: str, device: str | None
    ) -> Accepted[VolumeView]:
        if device is not None and device not in DATA_DEVICES:
            raise InvalidArgument("device", f"one of vdb..vdz expected, not {device!r}")
        with self._db.transaction() as session:
            volume = find_volume(session, caller, ref, lock=True)
            instance = _one(session, _instances(caller), Instance, "instance", instance_ref, True)
            if volume.volume_type is VolumeType.ROOT:
                raise InvalidState("volume", volume.ref, "root", "attach")
            attaching = VOLUMES.next_state(volume.state, VolumeTransition.ATTACH, ref=volume.ref)
            if instance.state not in _ATTACHABLE:
                raise InvalidState("instance", instance.ref, instance.state.value, "attach to")
            if instance.account_id != volume.account_id:
                raise NotFound("volume", ref)
            if instance.host_id != volume.host_id:
                raise Conflict("volume", volume.ref, "lives on another host than the instance")
            taken = set(
                session.scalars(
                    select(Volume.device).where(
                        Volume.instance_id == instance.id, Volume.state != VolumeState.DELETED
                    )
                )
            )
            if device is not None and device in taken:
                raise InUse("device", device, f"is already in use on instance {instance.name}")
            free = [d for d in DATA_DEVICES if d not in taken]
            if not free:
                raise Conflict("instance", instance.ref, "has no free device for another volume")
            volume.state = attaching
            volume.instance = instance
            volume.device = device or free[0]
            accepted = self._volume_job(
                session,
                caller,
                volume,
                JobKind.ATTACH_VOLUME,
                EventType.VOLUME_ATTACH,
                f"attaching volume {volume.name} to instance {instance.name} as {volume.device}",
            )
        self._wake()
        return accepted

    def resize_volume(
        self,
        caller: Caller,
        ref: str,
        *,
        size_gib: int | None = None,
        disk_offering: str | None = None,
        settle: Settle = Settle.RAISE,
    ) -> Accepted[VolumeView]:
        """Grow a volume, root or data, attached or not (a running guest sees the new size at
        once). Volumes never shrink: the data past the new end would be lost. The view keeps
        the old size until the job has grown the disk."""
        return self._settled(
            caller,
            settle,
            lambda: self._resize(caller, ref, size_gib, disk_offering),
            JobKind.RESIZE_VOLUME,
            EventType.VOLUME_RESIZE,
            "resizing",
            (ResourceKind.VOLUME, lambda: self.get_volume(caller, ref)),
        )

    def _resize(
        self, caller: Caller, ref: str, size_gib: int | None, disk_offering: str | None
    ) -> Accepted[VolumeView]:
        with self._db.transaction() as session:
            volume = find_volume(session, caller, ref, lock=True)
            offering = None if disk_offering is None else find_disk_offering(session, disk_offering)
            if offering is not None and offering.size_gib is not None:
                size_gib = offering.size_gib
            if size_gib is None:
                raise InvalidArgument("size", "a new size or a fixed-size disk offering is needed")
            if not 1 <= size_gib <= MAX_VOLUME_GIB:
                raise InvalidArgument("size", f"must be between 1 and {MAX_VOLUME_GIB} GiB")
            size = size_gib * GIB
            if size < volume.size_bytes:
                raise InvalidArgument("size", "volumes can grow but not shrink")
            VOLUMES.check(volume.state, VolumeTransition.RESIZE, ref=volume.ref)
            if queue.pending_for(session, volume.id, JobKind.RESIZE_VOLUME):
                raise InvalidState("volume", volume.ref, "resizing", "resize")
            [free] = scheduler.free_capacity(session, [volume.host], overcommit(self._settings))
            if free.disk_bytes < size - volume.size_bytes:
                raise CapacityUnavailable("disk")
            if offering is not None:
                volume.disk_offering = offering
            accepted = self._volume_job(
                session,
                caller,
                volume,
                JobKind.RESIZE_VOLUME,
                EventType.VOLUME_RESIZE,
                f"growing volume {volume.name} to {size_gib} GiB",
                {"size_bytes": size},
            )
        self._wake()
        return accepted

    def detach_volume(
        self, caller: Caller, ref: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[VolumeView]:
        return self._settled(
            caller,
            settle,
            lambda: self._detach(caller, ref),
            JobKind.DETACH_VOLUME,
            EventType.VOLUME_DETACH,
            "detaching",
            (ResourceKind.VOLUME, lambda: self.get_volume(caller, ref)),
        )

    def _detach(self, caller: Caller, ref: str) -> Accepted[VolumeView]:
        with self._db.transaction() as session:
            volume = find_volume(session, caller, ref, lock=True)
            if volume.volume_type is VolumeType.ROOT:
                raise InvalidState("volume", volume.ref, "root", "detach")
            detaching = VOLUMES.next_state(volume.state, VolumeTransition.DETACH, ref=volume.ref)
            if volume.instance is None:  # not seen: an in-use volume names its instance
                raise InvalidState("volume", volume.ref, volume.state.value, "detach")
            volume.state = detaching
            accepted = self._volume_job(
                session,
                caller,
                volume,
                JobKind.DETACH_VOLUME,
                EventType.VOLUME_DETACH,
                f"detaching volume {volume.name} from instance {volume.instance.name}",
            )
        self._wake()
        return accepted

    def get_volume(self, caller: Caller, ref: str) -> VolumeView:
        with self._db.transaction() as session:
            volume = find_volume(session, caller, ref)
            return volume_view(volume, tags.of(session, [volume.id]).get(volume.id, {}))

    def list_volumes(self, caller: Caller, query: VolumeQuery) -> Page[VolumeView]:
        """The volumes ``query`` selects, filtered and windowed in SQL."""
        statement = _volumes(caller).options(selectinload(Volume.source_snapshot))
        if query.ids:
            statement = statement.where(identity_clauses(Volume, tuple(query.ids)))
        if query.states:
            statement = statement.where(Volume.state.in_(query.states))
        if not query.include_deleted:
            statement = statement.where(Volume.state != VolumeState.DELETED)
        if query.types:
            statement = statement.where(Volume.volume_type.in_(query.types))
        if query.names:
            statement = statement.where(Volume.name.in_(query.names))
        if query.name_contains:
            statement = statement.where(contains_text(query.name_contains, Volume.name))
        if query.zones:
            statement = statement.where(zone_clause(Volume.zone_id, query.zones))
        statement = statement.where(
            *tags.selecting(Volume.id, query), *VOLUME_FIELDS.selecting(query.where)
        )
        statement = VOLUME_FIELDS.ordered(statement, query)
        with self._db.transaction() as session:
            if query.instance is not None:
                instance = _one(
                    session, _instances(caller), Instance, "instance", query.instance, False
                )
                statement = statement.where(Volume.instance_id == instance.id)

            def views(shown: Sequence[Volume]) -> list[VolumeView]:
                found = tags.of(session, [v.id for v in shown])
                return [volume_view(v, found.get(v.id, {})) for v in shown]

            return paging.read_page(session, statement, Volume, query.window, views)

    # snapshots

    def create_snapshot(
        self,
        caller: Caller,
        volume_ref: str,
        *,
        name: str | None = None,
        description: str = "",
        snapshot_tags: Mapping[str, str] | None = None,
    ) -> Accepted[SnapshotView]:
        wanted_tags = dict(snapshot_tags or {})
        tags.validate(wanted_tags)
        _check_name(name or "")
        with self._db.transaction() as session:
            volume = find_volume(session, caller, volume_ref, lock=True)
            VOLUMES.check(volume.state, VolumeTransition.SNAPSHOT, ref=volume.ref)
            accepted = self._new_snapshot(
                session,
                caller,
                volume,
                name=name,
                description=description,
                wanted_tags=wanted_tags,
                what=f"of volume {volume.name}",
            )
        self._wake()
        return accepted

    def copy_snapshot(
        self,
        caller: Caller,
        ref: str,
        *,
        description: str | None = None,
        snapshot_tags: Mapping[str, str] | None = None,
    ) -> Accepted[SnapshotView]:
        """A second, independent snapshot with the same data (EC2 CopySnapshot), on the same
        host and of the same volume as far as listings go; the source may be deleted after."""
        wanted_tags = dict(snapshot_tags or {})
        tags.validate(wanted_tags)
        with self._db.transaction() as session:
            source = find_snapshot(session, caller, ref, lock=True)
            SNAPSHOTS.check(source.state, SnapshotTransition.COPY, ref=source.ref)
            accepted = self._new_snapshot(
                session,
                caller,
                source.volume,
                name=None,
                description=source.description if description is None else description,
                wanted_tags=wanted_tags,
                what=f"copied from snapshot {source.name}",
                copy_of=source,
            )
        self._wake()
        return accepted

    def _new_snapshot(
        self,
        session: Session,
        caller: Caller,
        volume: Volume,
        *,
        name: str | None,
        description: str,
        wanted_tags: Mapping[str, str],
        what: str,
        copy_of: Snapshot | None = None,
    ) -> Accepted[SnapshotView]:
        """The row, tags and job of a new snapshot of ``volume``, or of ``copy_of``'s data."""
        size = volume.size_bytes if copy_of is None else copy_of.size_bytes
        host_id = volume.host_id if copy_of is None else copy_of.host_id
        host = session.get_one(Host, host_id)
        free = scheduler.free_capacity(session, [host], overcommit(self._settings))
        if free[0].disk_bytes < size:
            raise CapacityUnavailable("disk")
        ref = ids.new_ref()
        snapshot = Snapshot(
            ref=ref,
            account_id=volume.account_id if copy_of is None else copy_of.account_id,
            volume=volume,
            host_id=host_id,
            name=name or f"snapshot-{ref}",
            description=description,
            state=SnapshotState.PENDING,
            size_bytes=size,
        )
        session.add(snapshot)
        session.flush()
        tags.add(session, snapshot.account_id, ResourceKind.SNAPSHOT, snapshot.id, wanted_tags)
        job = queue.enqueue(
            session,
            caller,
            kind=JobKind.CREATE_SNAPSHOT,
            resource=(ResourceKind.SNAPSHOT, snapshot.id),
            account_id=snapshot.account_id,
            event_type=EventType.SNAPSHOT_CREATE,
            description=f"snapshot {snapshot.name} {what}",
            params=None if copy_of is None else {"copy_of": str(copy_of.id)},
        )
        return Accepted(snapshot_view(snapshot, wanted_tags), job.id)

    def delete_snapshot(
        self, caller: Caller, ref: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[SnapshotView]:
        return self._settled(
            caller,
            settle,
            lambda: self._delete_snapshot(caller, ref),
            JobKind.DELETE_SNAPSHOT,
            EventType.SNAPSHOT_DELETE,
            "deleting",
            (ResourceKind.SNAPSHOT, lambda: self.get_snapshot(caller, ref)),
        )

    def _delete_snapshot(self, caller: Caller, ref: str) -> Accepted[SnapshotView]:
        with self._db.transaction() as session:
            snapshot = find_snapshot(session, caller, ref, lock=True)
            snapshot.state = SNAPSHOTS.next_state(
                snapshot.state, SnapshotTransition.DELETE, ref=snapshot.ref
            )
            job = queue.enqueue(
                session,
                caller,
                kind=JobKind.DELETE_SNAPSHOT,
                resource=(ResourceKind.SNAPSHOT, snapshot.id),
                account_id=snapshot.account_id,
                event_type=EventType.SNAPSHOT_DELETE,
                description=f"deleting snapshot {snapshot.name}",
            )
            found = tags.of(session, [snapshot.id]).get(snapshot.id, {})
            accepted = Accepted(snapshot_view(snapshot, found), job.id)
        self._wake()
        return accepted

    def get_snapshot(self, caller: Caller, ref: str) -> SnapshotView:
        with self._db.transaction() as session:
            snapshot = find_snapshot(session, caller, ref)
            return snapshot_view(snapshot, tags.of(session, [snapshot.id]).get(snapshot.id, {}))

    def list_snapshots(self, caller: Caller, query: SnapshotQuery) -> Page[SnapshotView]:
        """The snapshots ``query`` selects, filtered and windowed in SQL."""
        statement = _snapshots(caller)
        if query.ids:
            statement = statement.where(identity_clauses(Snapshot, tuple(query.ids)))
        if query.states:
            statement = statement.where(Snapshot.state.in_(query.states))
        if not query.include_deleted:
            statement = statement.where(Snapshot.state != SnapshotState.DELETED)
        if query.names:
            statement = statement.where(Snapshot.name.in_(query.names))
        if query.name_contains:
            statement = statement.where(contains_text(query.name_contains, Snapshot.name))
        statement = statement.where(
            *tags.selecting(Snapshot.id, query), *SNAPSHOT_FIELDS.selecting(query.where)
        )
        statement = SNAPSHOT_FIELDS.ordered(statement, query)
        with self._db.transaction() as session:
            if query.volume is not None:
                volume = find_volume(session, caller, query.volume)
                statement = statement.where(Snapshot.volume_id == volume.id)

            def views(shown: Sequence[Snapshot]) -> list[SnapshotView]:
                found = tags.of(session, [s.id for s in shown])
                return [snapshot_view(s, found.get(s.id, {})) for s in shown]

            return paging.read_page(session, statement, Snapshot, query.window, views)
