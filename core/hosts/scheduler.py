"""Placement: which host gets each new instance or volume, by free vCPU, memory and disk.

It runs inside the creating transaction and locks the zone's host rows (FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers), so two requests can't
both take the last free memory or disk. Disk is what the pool's files may grow to: every live
volume (root disks included) and snapshot at its full virtual size, so thin qcow2 files can
never outgrow the pool unless the operator allows it with ``disk_overcommit``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Executable, func, select
from sqlalchemy.orm import Session

from core.db.models import Flavor, Host, Instance, Snapshot, Volume
from core.enums import SnapshotState, VolumeState
from core.errors import CapacityUnavailable
from core.states import InstanceState

GIB: Final = 1024**3


@dataclass(frozen=True, slots=True)
class Overcommit:
    cpu: float
    memory: float
    disk: float


@dataclass(frozen=True, slots=True)
class Demand:
    """What one new instance (or a lone volume, with no vCPUs or memory) needs of a host."""

    vcpus: int
    memory_mib: int
    disk_bytes: int


@dataclass(slots=True)
class _Free:
    host: Host
    vcpus: float
    memory_mib: float
    disk_bytes: float

    def fits(self, demand: Demand) -> bool:
        return (
            self.vcpus >= demand.vcpus
            and self.memory_mib >= demand.memory_mib
            and self.disk_bytes >= demand.disk_bytes
        )

    def take(self, demand: Demand) -> None:
        self.vcpus -= demand.vcpus
        self.memory_mib -= demand.memory_mib
        self.disk_bytes -= demand.disk_bytes


def _sums(session: Session, statement: Executable) -> dict[uuid.UUID, tuple[int, ...]]:
    return {row[0]: tuple(int(v or 0) for v in row[1:]) for row in session.execute(statement)}


def free_capacity(session: Session, hosts: list[Host], overcommit: Overcommit) -> list[_Free]:
    """Each host's room left after every live instance, volume and snapshot on it."""
    compute = _sums(
        session,
        select(Instance.host_id, func.sum(Flavor.vcpus), func.sum(Flavor.memory_mib))
        .join(Flavor, Instance.flavor_id == Flavor.id)
        .where(Instance.state != InstanceState.TERMINATED, Instance.host_id.is_not(None))
        .group_by(Instance.host_id),
    )
    volumes = _sums(
        session,
        select(Volume.host_id, func.sum(Volume.size_bytes))
        .where(Volume.state != VolumeState.DELETED)
        .group_by(Volume.host_id),
    )
    snapshots = _sums(
        session,
        select(Snapshot.host_id, func.sum(Snapshot.size_bytes))
        .where(Snapshot.state != SnapshotState.DELETED)
        .group_by(Snapshot.host_id),
    )
    return [
        _Free(
            h,
            h.cpus * overcommit.cpu - compute.get(h.id, (0, 0))[0],
            h.memory_mib * overcommit.memory - compute.get(h.id, (0, 0))[1],
            h.disk_gib * GIB * overcommit.disk
            - volumes.get(h.id, (0,))[0]
            - snapshots.get(h.id, (0,))[0],
        )
        for h in hosts
    ]


def _shortest(free: list[_Free], demand: Demand) -> str:
    """The resource no host has enough of, for the error message."""
    if not any(f.vcpus >= demand.vcpus for f in free):
        return "vCPUs"
    if not any(f.memory_mib >= demand.memory_mib for f in free):
        return "memory"
    if not any(f.disk_bytes >= demand.disk_bytes for f in free):
        return "disk"
    return "a host with enough vCPUs, memory and disk at once"


def place(
    session: Session, zone_id: uuid.UUID, demands: list[Demand], overcommit: Overcommit
) -> list[Host]:
    """A host for each demand, all or none; the host with the most free memory, then disk."""
    hosts = list(
        session.scalars(
            select(Host)
            .where(Host.zone_id == zone_id, Host.enabled)
            .order_by(Host.created_at)
            .with_for_update()
        )
    )
    if not hosts:
        raise CapacityUnavailable("hosts")
    free = free_capacity(session, hosts, overcommit)
    placed = []
    for demand in demands:
        fits = [f for f in free if f.fits(demand)]
        if not fits:
            raise CapacityUnavailable(_shortest(free, demand))
        best = max(fits, key=lambda f: (f.memory_mib, f.disk_bytes))
        best.take(demand)
        placed.append(best.host)
    return placed


def demand_of(flavor: Flavor, root_bytes: int) -> Demand:
    return Demand(flavor.vcpus, flavor.memory_mib, root_bytes)
