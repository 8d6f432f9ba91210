"""Deleting an account: what it owns leaves the hosts, then one transaction retires its rows.

``IdentityService.delete_account`` marks the account DELETING, so its keys, passwords and
sessions stop working at once, fails the account's queued jobs (``cancel_pending``: what they
were to do is swept with the account anyway) and queues one DELETE_ACCOUNT job. Its handler:

* waits for the account's jobs that are already running, so that no worker makes on a host what
  this job removes; past ``wait_timeout`` it fails, and the account may be deleted again later;
* refuses, before touching anything, while other accounts need the account's networks or
  security groups (``dependents``), as deleting each of those alone would;
* ``run`` removes from the hosts the account's guests (``remove_guest``: domain, root disk,
  config drive, NIC filters, DHCP reservations), data disks and snapshots, networks and group
  filters, and the base volumes of its images that no other account's instance still runs
  from. The account's instances are members of its own groups only, and groups of other
  accounts citing those are refused above, so no other group's filter changes.
* ``succeeded`` terminates the instances, deletes the volumes, snapshots, networks, groups,
  public addresses, key pairs, launch and volume templates, tags, login sessions and
  credentials, deregisters the images (``deregister_row``, the path every deregistration
  takes, then their files once nothing needs them) and marks the account DELETED. Users stay
  (events and jobs name them) but cannot sign in.

Every host step succeeds when its object is already gone, and ``succeeded`` only touches rows
still live, so a rerun after a crash at any point, or after the account is DELETED, is harmless.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from core import events, volumes
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import (
    Account,
    Address,
    Credential,
    Event,
    Host,
    Image,
    Instance,
    InstanceSecurityGroup,
    Job,
    KeyPair,
    LaunchTemplate,
    LoginSession,
    Network,
    Nic,
    SecurityGroup,
    SecurityGroupRule,
    Snapshot,
    Tag,
    User,
    Volume,
    VolumeTemplate,
)
from core.enums import (
    AccountState,
    EventState,
    EventType,
    ImageState,
    JobKind,
    JobStatus,
    NetworkState,
    ResourceKind,
    SnapshotState,
    VolumeState,
)
from core.errors import InUse, InvalidState
from core.hosts.driver import DiskKind, DiskRef, GuestSpec, HostDriver
from core.hosts.registry import HostDrivers
from core.jobs import queue
from core.jobs.deregistration import deregister_row
from core.jobs.instance_jobs import guest_spec, remove_guest
from core.jobs.network_jobs import HostsJob
from core.jobs.queue import ClaimedJob
from core.jobs.storage_jobs import volume_disk
from core.jobs.worker import JobHandler
from core.states import (
    NETWORKS,
    SNAPSHOTS,
    VOLUMES,
    InstanceState,
    NetworkTransition,
    SnapshotTransition,
    Transition,
    VolumeTransition,
    next_state,
)

WAIT_TIMEOUT: Final = 600.0  # seconds the job waits for the account's running jobs
CANCELLED: Final = "the account is being deleted"


def _live_of_others(account_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(Instance.id).where(
        Instance.account_id != account_id, Instance.state != InstanceState.TERMINATED
    )


def dependents(session: Session, account_id: uuid.UUID) -> list[str]:
    """Why other accounts still need this account's resources (empty: nothing does). Only an
    admin can make such ties: launching into another account's network or group, or citing
    another account's group in a rule."""
    others = _live_of_others(account_id)
    groups = select(SecurityGroup.id).where(SecurityGroup.account_id == account_id)
    checks = (
        (
            "its networks carry other accounts' instances",
            select(Nic.id)
            .join(Network, Network.id == Nic.network_id)
            .where(
                Network.account_id == account_id,
                Nic.released.is_(False),
                Nic.instance_id.in_(others),
            ),
        ),
        (
            "its security groups hold other accounts' instances",
            select(InstanceSecurityGroup.instance_id).where(
                InstanceSecurityGroup.group_id.in_(groups),
                InstanceSecurityGroup.instance_id.in_(others),
            ),
        ),
        (
            "other accounts' security group rules name its groups",
            select(SecurityGroupRule.id)
            .join(SecurityGroup, SecurityGroup.id == SecurityGroupRule.group_id)
            .where(
                SecurityGroupRule.source_group_id.in_(groups),
                SecurityGroup.account_id != account_id,
            ),
        ),
    )
    return [why for why, query in checks if session.scalar(query.limit(1)) is not None]


def refuse_dependents(session: Session, account: Account) -> None:
    if reasons := dependents(session, account.id):
        raise InUse("account", account.name, "; ".join(reasons))


def cancel_pending(session: Session, account_id: uuid.UUID) -> None:
    """Fail the account's queued jobs, each with its own Completed event. Deletions of other
    accounts that this one asked for (an admin's) still run."""
    pending = session.scalars(
        select(Job).where(
            Job.account_id == account_id,
            Job.status == JobStatus.PENDING,
            Job.kind != JobKind.DELETE_ACCOUNT,
        )
    ).all()
    for job in pending:
        scheduled = session.scalar(select(Event.type).where(Event.seq == job.scheduled_event_seq))
        queue.finish(
            session,
            job.id,
            event_type=scheduled or EventType.ACCOUNT_DELETE,
            error=(InvalidState.kind_of_error, CANCELLED),
        )


def _terminated(state: InstanceState) -> InstanceState:
    """Whatever a live instance was doing, the state machine's way to TERMINATED."""
    if state is not InstanceState.SHUTTING_DOWN:
        state = next_state(state, Transition.TERMINATE)
    return next_state(state, Transition.SETTLE)


@dataclass(frozen=True, slots=True)
class _HostWork:
    """What ``run`` removes, read in one transaction before any host is touched."""

    guests: Sequence[tuple[HostDriver, GuestSpec]]
    disks: Sequence[tuple[HostDriver, DiskRef]]
    hosts: Sequence[HostDriver]
    networks: list[uuid.UUID]
    groups: list[uuid.UUID]
    images: set[uuid.UUID]  # images whose base volumes nothing else needs


class DeleteAccount(HostsJob):
    event_type = EventType.ACCOUNT_DELETE

    def __init__(
        self,
        db: Database,
        drivers: HostDrivers,
        *,
        wait_timeout: float = WAIT_TIMEOUT,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__(db, drivers)
        self._wait_timeout = wait_timeout
        self._poll_seconds = poll_seconds

    def _driver(self, host: Host) -> HostDriver:
        return self._drivers.get(host.id, host.uri, host.virt_type)

    def _wait_for_running(self, job: ClaimedJob) -> None:
        deadline = time.monotonic() + self._wait_timeout
        while True:
            with self._db.transaction() as session:
                name = session.get_one(Account, job.resource_id).name
                running = session.scalars(
                    select(Job.id).where(
                        Job.account_id == job.resource_id,
                        Job.status == JobStatus.RUNNING,
                        Job.id != job.id,
                    )
                ).all()
            if not running:
                return
            if time.monotonic() >= deadline:
                raise InUse(
                    "account",
                    name,
                    f"{len(running)} of its jobs are still running; delete it again later",
                )
            time.sleep(self._poll_seconds)

    def _host_work(self, session: Session, account: Account) -> _HostWork:
        owned = account.id
        instances = session.scalars(
            select(Instance).where(
                Instance.account_id == owned, Instance.state != InstanceState.TERMINATED
            )
        ).all()
        volumes = session.scalars(
            select(Volume).where(Volume.account_id == owned, Volume.state != VolumeState.DELETED)
        ).all()
        snapshots = session.scalars(
            select(Snapshot).where(
                Snapshot.account_id == owned, Snapshot.state != SnapshotState.DELETED
            )
        ).all()
        still_used = select(Instance.image_id).where(Instance.id.in_(_live_of_others(owned)))
        unneeded_images = session.scalars(
            select(Image.id).where(
                Image.account_id == owned,
                Image.state != ImageState.DEREGISTERED,
                Image.id.not_in(still_used),
            )
        )
        return _HostWork(
            guests=[(self._driver(i.host), guest_spec(session, i)) for i in instances if i.host],
            disks=[(self._driver(v.host), volume_disk(v)) for v in volumes]
            + [(self._driver(s.host), DiskRef(DiskKind.SNAPSHOT, s.id)) for s in snapshots],
            hosts=self._hosts(session),
            networks=list(
                session.scalars(
                    select(Network.id).where(
                        Network.account_id == owned, Network.state != NetworkState.DELETED
                    )
                )
            ),
            groups=list(
                session.scalars(select(SecurityGroup.id).where(SecurityGroup.account_id == owned))
            ),
            images=set(unneeded_images),
        )

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        self._wait_for_running(job)
        with self._db.transaction() as session:
            account = session.get_one(Account, job.resource_id)
            if account.state is AccountState.DELETED:
                return {}
            refuse_dependents(session, account)
            work = self._host_work(session, account)
        for driver, spec in work.guests:
            remove_guest(driver, spec)
        for driver, disk in work.disks:
            driver.delete_disk(disk)
        for driver in work.hosts:
            for network in work.networks:
                driver.delete_network(network)
            driver.delete_filters(work.groups, [])
            for volume in driver.volumes():  # base volumes, their markers, capture copies
                if volume.owner_kind is ResourceKind.IMAGE and volume.owner_id in work.images:
                    driver.delete_volume(volume.name)
        return {
            "instances": len(work.guests),
            "disks": len(work.disks),
            "networks": len(work.networks),
            "security_groups": len(work.groups),
            "images": len(work.images),
        }

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        account = session.get_one(Account, job.resource_id)
        if account.state is AccountState.DELETED:
            return
        cancel_pending(session, account.id)  # queued on its resources since the deletion began
        unneeded = _Retirement(session, job, account.id).everything()
        account.state = AccountState.DELETED
        for path in unneeded:  # a rerun, should this transaction not commit, finds them gone
            path.unlink(missing_ok=True)

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        """The account stays DELETING (its keys stay dead) with what is left of it; asking to
        delete it again queues a new job, which picks up where this one stopped."""


class _Retirement:
    """The rows of one account, each live one retired with the event its own deletion writes."""

    def __init__(self, session: Session, job: ClaimedJob, account_id: uuid.UUID) -> None:
        self._session = session
        self._job = job
        self._account = account_id

    def _event(self, kind: ResourceKind, resource: uuid.UUID, event: EventType, what: str) -> None:
        events.record(
            self._session,
            account_id=self._account,
            user_id=self._job.user_id,
            type=event,
            state=EventState.COMPLETED,
            description=f"{what} removed with its account",
            resource=(kind, resource),
        )

    def everything(self) -> list[Path]:
        """Returns the image files nothing needs any more, to remove once the rows are."""
        session, owned, now = self._session, self._account, utcnow()
        for instance in session.scalars(
            select(Instance).where(
                Instance.account_id == owned, Instance.state != InstanceState.TERMINATED
            )
        ).all():
            instance.state = _terminated(instance.state)
            instance.state_reason = "account deleted"
            instance.terminated_at = now
            volumes.release(session, instance.id)  # its root volume goes, data ones detach
            for nic in instance.nics:
                nic.released = True
            self._event(
                ResourceKind.INSTANCE,
                instance.id,
                EventType.VM_DESTROY,
                f"instance {instance.name}",
            )
        for volume in session.scalars(
            select(Volume).where(Volume.account_id == owned, Volume.state != VolumeState.DELETED)
        ).all():
            volume.state = VOLUMES.next_state(volume.state, VolumeTransition.RETIRE, ref=volume.ref)
            volume.deleted_at = now
            self._event(
                ResourceKind.VOLUME, volume.id, EventType.VOLUME_DELETE, f"volume {volume.name}"
            )
        for snapshot in session.scalars(
            select(Snapshot).where(
                Snapshot.account_id == owned, Snapshot.state != SnapshotState.DELETED
            )
        ).all():
            snapshot.state = SNAPSHOTS.next_state(
                snapshot.state, SnapshotTransition.RETIRE, ref=snapshot.ref
            )
            snapshot.deleted_at = now
            self._event(
                ResourceKind.SNAPSHOT,
                snapshot.id,
                EventType.SNAPSHOT_DELETE,
                f"snapshot {snapshot.name}",
            )
        unneeded = []
        for image in session.scalars(
            select(Image).where(Image.account_id == owned, Image.state != ImageState.DEREGISTERED)
        ).all():
            why = "removed with its account"
            path = deregister_row(session, image, user_id=self._job.user_id, why=why)
            if path is not None:
                unneeded.append(path)
        for network in session.scalars(
            select(Network).where(
                Network.account_id == owned, Network.state != NetworkState.DELETED
            )
        ).all():
            network.state = NETWORKS.next_state(
                network.state, NetworkTransition.RETIRE, ref=network.ref
            )
            network.deleted_at = now
            self._event(ResourceKind.NETWORK, network.id, EventType.NETWORK_DELETE, network.name)
        self._remove_the_rest()
        return unneeded

    def _remove_the_rest(self) -> None:
        """Rows with no deleted state: they go, as each one's own delete call removes it."""
        session, owned = self._session, self._account
        groups = session.scalars(select(SecurityGroup).where(SecurityGroup.account_id == owned))
        for group in groups.all():
            self._event(ResourceKind.SECURITY_GROUP, group.id, EventType.SG_DELETE, group.name)
        for address in session.scalars(select(Address).where(Address.account_id == owned)).all():
            self._event(ResourceKind.ADDRESS, address.id, EventType.NET_IP_RELEASE, address.ip)
        group_ids = select(SecurityGroup.id).where(SecurityGroup.account_id == owned)
        users = select(User.id).where(User.account_id == owned)
        for statement in (
            delete(InstanceSecurityGroup).where(InstanceSecurityGroup.group_id.in_(group_ids)),
            delete(SecurityGroupRule).where(SecurityGroupRule.group_id.in_(group_ids)),
            delete(SecurityGroup).where(SecurityGroup.account_id == owned),
            delete(Address).where(Address.account_id == owned),
            delete(LaunchTemplate).where(LaunchTemplate.account_id == owned),
            delete(VolumeTemplate).where(VolumeTemplate.account_id == owned),
            delete(KeyPair).where(KeyPair.account_id == owned),
            delete(Tag).where(Tag.account_id == owned),
            delete(LoginSession).where(LoginSession.user_id.in_(users)),
            delete(Credential).where(Credential.user_id.in_(users)),
        ):
            session.execute(statement)


def account_handlers(db: Database, drivers: HostDrivers) -> dict[JobKind, JobHandler]:
    return {JobKind.DELETE_ACCOUNT: DeleteAccount(db, drivers)}
