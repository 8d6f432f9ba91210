"""The host work behind security groups and networks: (re)defining or removing nwfilters on
every host, and removing a deleted network's libvirt network."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Host, Network, SecurityGroup
from core.enums import EventType, JobKind, NetworkState
from core.hosts.driver import HostDriver
from core.hosts.registry import HostDrivers
from core.jobs.queue import ClaimedJob
from core.jobs.worker import JobHandler
from core.network.filters import group_filter
from core.states import NETWORKS, NetworkTransition


class HostsJob(abc.ABC):
    """A job carried out on every host of the installation."""

    event_type: ClassVar[EventType]

    def __init__(self, db: Database, drivers: HostDrivers) -> None:
        self._db = db
        self._drivers = drivers

    def _hosts(self, session: Session) -> list[HostDriver]:
        return [
            self._drivers.get(h.id, h.uri, h.virt_type)
            for h in session.scalars(select(Host).order_by(Host.created_at))
        ]

    @abc.abstractmethod
    def run(self, job: ClaimedJob) -> Mapping[str, Any]: ...

    def succeeded(  # noqa: B027  (most of these jobs settle nothing)
        self, session: Session, job: ClaimedJob, result: Mapping[str, Any]
    ) -> None:
        """Nothing to settle: the rows changed when the caller asked."""

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:  # noqa: B027
        """The rows stay as asked; the next change of the group applies them again."""


class ApplyGroup(HostsJob):
    """The group's current rules, whatever change queued the job: a later job supersedes an
    earlier one, and running one twice is harmless."""

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            group = session.get(SecurityGroup, job.resource_id)
            if group is None:  # deleted since; the deletion's own job removes the filter
                return {"applied": False}
            spec = group_filter(session, group)
            drivers = self._hosts(session)
        for driver in drivers:
            driver.apply_group_filter(spec)
        # "added": the rules the request that queued this job created, for APIs that answer
        # an authorize call with just those (CloudStack)
        return {"applied": True, "rules": len(spec.rules), "added": job.params.get("added", [])}


class AuthorizeIngress(ApplyGroup):
    event_type = EventType.SG_AUTH_INGRESS


class RevokeIngress(ApplyGroup):
    event_type = EventType.SG_REVOKE_INGRESS


class AuthorizeEgress(ApplyGroup):
    event_type = EventType.SG_AUTH_EGRESS


class RevokeEgress(ApplyGroup):
    event_type = EventType.SG_REVOKE_EGRESS


class DeleteGroup(HostsJob):
    event_type = EventType.SG_DELETE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            drivers = self._hosts(session)
        for driver in drivers:
            driver.delete_filters([job.resource_id], [])
        return {}


class DeleteNetwork(HostsJob):
    event_type = EventType.NETWORK_DELETE

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        with self._db.transaction() as session:
            drivers = self._hosts(session)
        for driver in drivers:
            driver.delete_network(job.resource_id)
        return {}

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        network = session.get_one(Network, job.resource_id)
        if network.state is NetworkState.DELETING:
            network.state = NETWORKS.next_state(
                network.state, NetworkTransition.SETTLE, ref=network.ref
            )
            network.deleted_at = utcnow()

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        network = session.get_one(Network, job.resource_id)
        if network.state is NetworkState.DELETING:
            network.state = NETWORKS.next_state(
                network.state, NetworkTransition.FAIL, ref=network.ref
            )


def network_handlers(db: Database, drivers: HostDrivers) -> dict[JobKind, JobHandler]:
    return {
        JobKind.AUTHORIZE_INGRESS: AuthorizeIngress(db, drivers),
        JobKind.REVOKE_INGRESS: RevokeIngress(db, drivers),
        JobKind.AUTHORIZE_EGRESS: AuthorizeEgress(db, drivers),
        JobKind.REVOKE_EGRESS: RevokeEgress(db, drivers),
        JobKind.DELETE_SECURITY_GROUP: DeleteGroup(db, drivers),
        JobKind.DELETE_NETWORK: DeleteNetwork(db, drivers),
    }
