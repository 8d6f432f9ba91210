"""Placement: which host runs each new instance, by free vCPU and memory after overcommit.

It runs inside the launch transaction and locks the zone's host rows (FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers), so two launches can't
both take the last free memory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Flavor, Host, Instance
from core.errors import CapacityUnavailable
from core.states import InstanceState


@dataclass(slots=True)
class _Free:
    host: Host
    vcpus: float
    memory_mib: float


def place(
    session: Session,
    zone_id: uuid.UUID,
    flavor: Flavor,
    count: int,
    *,
    cpu_overcommit: float,
    memory_overcommit: float,
) -> list[Host]:
    hosts = session.scalars(
        select(Host)
        .where(Host.zone_id == zone_id, Host.enabled)
        .order_by(Host.created_at)
        .with_for_update()
    ).all()
    if not hosts:
        raise CapacityUnavailable("hosts")
    used = {
        host_id: (vcpus or 0, memory or 0)
        for host_id, vcpus, memory in session.execute(
            select(Instance.host_id, func.sum(Flavor.vcpus), func.sum(Flavor.memory_mib))
            .join(Flavor, Instance.flavor_id == Flavor.id)
            .where(Instance.state != InstanceState.TERMINATED, Instance.host_id.is_not(None))
            .group_by(Instance.host_id)
        )
    }
    free = [
        _Free(
            h,
            h.cpus * cpu_overcommit - used.get(h.id, (0, 0))[0],
            h.memory_mib * memory_overcommit - used.get(h.id, (0, 0))[1],
        )
        for h in hosts
    ]
    placed = []
    for _ in range(count):
        fits = [f for f in free if f.vcpus >= flavor.vcpus and f.memory_mib >= flavor.memory_mib]
        if not fits:
            short = "memory" if all(f.vcpus >= flavor.vcpus for f in free) else "vCPUs"
            raise CapacityUnavailable(short)
        best = max(fits, key=lambda f: f.memory_mib)
        best.vcpus -= flavor.vcpus
        best.memory_mib -= flavor.memory_mib
        placed.append(best.host)
    return placed
