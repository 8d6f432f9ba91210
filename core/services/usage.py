"""What each account uses right now, summed in the database: the figures a billing job or a log
shipper would otherwise compute from listVirtualMachines and listVolumes (fluentd's CloudStack
input does exactly that arithmetic). Usage history over time is the Operations roadmap's."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import func, select

from core.db.database import Database
from core.db.models import (
    Account,
    Address,
    DiskOffering,
    Flavor,
    Instance,
    Snapshot,
    Volume,
)
from core.enums import AccountState, SnapshotState, VolumeState, VolumeType
from core.states import InstanceState
from core.views import AccountUsage, Caller

_ALLOCATED = Instance.state != InstanceState.TERMINATED


class UsageService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def usage(self, caller: Caller) -> list[AccountUsage]:
        """One row per account the caller may see (all of them for an admin), by name."""
        with self._db.transaction() as session:
            accounts = select(Account).where(Account.state != AccountState.DELETED)
            if not caller.is_admin:
                accounts = accounts.where(Account.id == caller.account_id)
            rows = session.scalars(accounts.order_by(Account.name)).all()
            wanted = [a.id for a in rows]
            vms = session.execute(
                select(
                    Instance.account_id,
                    Instance.state,
                    Flavor.name,
                    func.count(),
                    func.sum(Flavor.vcpus),
                    func.sum(Flavor.memory_mib),
                )
                .join(Flavor, Instance.flavor_id == Flavor.id)
                .where(_ALLOCATED, Instance.account_id.in_(wanted))
                .group_by(Instance.account_id, Instance.state, Flavor.name)
            ).all()
            volumes = session.execute(
                select(
                    Volume.account_id,
                    Volume.volume_type,
                    DiskOffering.name,
                    func.count(),
                    func.sum(Volume.size_bytes),
                )
                .outerjoin(DiskOffering, Volume.disk_offering_id == DiskOffering.id)
                .where(Volume.state != VolumeState.DELETED, Volume.account_id.in_(wanted))
                .group_by(Volume.account_id, Volume.volume_type, DiskOffering.name)
            ).all()
            snapshots = session.execute(
                select(Snapshot.account_id, func.count(), func.sum(Snapshot.size_bytes))
                .where(Snapshot.state != SnapshotState.DELETED, Snapshot.account_id.in_(wanted))
                .group_by(Snapshot.account_id)
            ).all()
            addresses = session.execute(
                select(Address.account_id, func.count())
                .where(Address.account_id.in_(wanted))
                .group_by(Address.account_id)
            ).all()
            figures = {a.id: _Figures() for a in rows}
            for account_id, state, flavor, count, vcpus, memory in vms:
                figures[account_id].add_vms(state, flavor, count, vcpus or 0, memory or 0)
            for account_id, kind, offering, count, size in volumes:
                figures[account_id].add_volumes(kind, offering, count, size or 0)
            for account_id, count, size in snapshots:
                figures[account_id].snapshots, figures[account_id].snapshot_bytes = count, size or 0
            for account_id, count in addresses:
                figures[account_id].addresses = count
            return [figures[a.id].view(a.id, a.name) for a in rows]


class _Figures:
    """Accumulates one account's grouped rows."""

    def __init__(self) -> None:
        self.vms: dict[InstanceState, int] = defaultdict(int)
        self.vcpus = self.memory_mib = self.vcpus_running = self.memory_mib_running = 0
        self.running_by_offering: dict[str, int] = defaultdict(int)
        self.volumes: dict[VolumeType, int] = defaultdict(int)
        self.volume_bytes: dict[VolumeType, int] = defaultdict(int)
        self.data_volumes_by_offering: dict[str, int] = defaultdict(int)
        self.snapshots = self.snapshot_bytes = self.addresses = 0

    def add_vms(
        self, state: InstanceState, flavor: str, count: int, vcpus: int, memory: int
    ) -> None:
        self.vms[state] += count
        self.vcpus += vcpus
        self.memory_mib += memory
        if state is InstanceState.RUNNING:
            self.vcpus_running += vcpus
            self.memory_mib_running += memory
            self.running_by_offering[flavor] += count

    def add_volumes(self, kind: VolumeType, offering: str | None, count: int, size: int) -> None:
        self.volumes[kind] += count
        self.volume_bytes[kind] += size
        if kind is VolumeType.DATADISK:
            self.data_volumes_by_offering[offering or "Custom"] += count

    def view(self, account_id: uuid.UUID, name: str) -> AccountUsage:
        def whole(counts: Mapping[VolumeType, int]) -> dict[VolumeType, int]:
            return {kind: counts.get(kind, 0) for kind in VolumeType}

        return AccountUsage(
            account_id=account_id,
            account_name=name,
            vms=dict(self.vms),
            vcpus=self.vcpus,
            memory_mib=self.memory_mib,
            vcpus_running=self.vcpus_running,
            memory_mib_running=self.memory_mib_running,
            running_by_offering=dict(self.running_by_offering),
            volumes=whole(self.volumes),
            volume_bytes=whole(self.volume_bytes),
            data_volumes_by_offering=dict(self.data_volumes_by_offering),
            snapshots=self.snapshots,
            snapshot_bytes=self.snapshot_bytes,
            addresses=self.addresses,
        )
