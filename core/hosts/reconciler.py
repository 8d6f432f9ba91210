"""Aligns the database with what libvirt reports, at start-up and then periodically.

* a guest that powered itself off → the instance is stopped, one running (started beside us,
  or by a start whose job gave up on an unreachable host) → running; an event says why;
* an instance in error whose guest runs or is shut off (a job failed, or was killed, after the
  guest got there) → repaired to running or stopped, with an event saying why;
* a guest its host holds paused (QEMU's answer to a write its full pool refused, or someone's
  ``virsh suspend``) → the instance stays running with the pause as its state reason, so its
  status is impaired, and one event says so; a guest paused on a disk error is resumed, once
  per pass, when its pool has room again, and an event says when it runs again;
* a domain that vanished from its host → the instance is in error; one that vanishes during a
  pass is read as gone, never fatal to the pass;
* guests, volumes and networks of ours that no live row owns → removed (orphans of a crash);
* DHCP leases → the NICs' addresses, which is where every API's private IP comes from.

Instances with a job queued or running are left alone: the job owns them until it finishes.
The host is listed before the database is read, and rows always exist before the libvirt
objects they own, so a guest created during a pass can never be mistaken for an orphan.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import events
from core.db.database import Database
from core.db.models import Host, Image, Instance, Job, Network, Nic, Snapshot, Volume
from core.enums import (
    EventLevel,
    EventState,
    EventType,
    ImageState,
    JobStatus,
    NetworkState,
    ResourceKind,
    SnapshotState,
    VolumeState,
)
from core.errors import CoreError, HostError
from core.hosts.driver import GuestGone, GuestInfo, HostDriver, PowerState, VolumeInfo
from core.hosts.registry import HostDrivers
from core.states import GuestPause, InstanceState, Transition, guest_pause, next_state

log = logging.getLogger(__name__)

# The pauses an instance reports, and how loud their event is: a full pool is an outage
_PAUSES: Final = {
    PowerState.PAUSED_ON_DISK_ERROR: (GuestPause.DISK_ERROR, EventLevel.ERROR),
    PowerState.PAUSED_BY_USER: (GuestPause.BY_USER, EventLevel.WARN),
}
# A guest paused on a disk error is resumed once its pool has this much free space: enough
# for it to get on for a while, little enough that a small pool still qualifies
RESUME_FREE_BYTES: Final = 256 * 1024**2


def pool_has_room(driver: HostDriver) -> bool:
    """Whether a guest paused on a disk error may be resumed: its pool has room again."""
    try:
        free = driver.pool_free_bytes()
    except HostError as exc:
        log.warning("cannot measure the storage pool of %s: %s", driver, exc)
        return False
    return free >= RESUME_FREE_BYTES


@dataclass(slots=True)
class ReconcileReport:
    powered_off: list[uuid.UUID] = field(default_factory=list)
    powered_on: list[uuid.UUID] = field(default_factory=list)
    vanished: list[uuid.UUID] = field(default_factory=list)
    orphan_guests: list[uuid.UUID] = field(default_factory=list)
    orphan_volumes: list[str] = field(default_factory=list)
    orphan_networks: list[uuid.UUID] = field(default_factory=list)
    paused: list[uuid.UUID] = field(default_factory=list)
    resumed: list[uuid.UUID] = field(default_factory=list)  # by this pass, or outside it
    leases: int = 0


class Reconciler:
    def __init__(
        self,
        db: Database,
        drivers: HostDrivers,
        *,
        interval: float,
        chores: Sequence[Callable[[], object]] = (),
    ) -> None:
        """``chores`` are periodic housekeeping run after each pass in the loop (expunging
        instances whose recovery window closed), so one timer thread serves both."""
        self._db = db
        self._drivers = drivers
        self._interval = interval
        self._chores = tuple(chores)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="cloudgate-reconciler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.reconcile_once()
                for chore in self._chores:
                    chore()
            except Exception:
                log.exception("reconcile pass failed; trying again in %.0fs", self._interval)

    def reconcile_once(self) -> ReconcileReport:
        report = ReconcileReport()
        with self._db.transaction() as session:
            hosts = [(h.id, h.uri, h.virt_type) for h in session.scalars(select(Host))]
        for host_id, uri, virt_type in hosts:
            driver = self._drivers.get(host_id, uri, virt_type)
            try:
                self._reconcile_host(host_id, driver, report)
            except CoreError as exc:
                log.warning("cannot reconcile host %s: %s", uri, exc)
        return report

    def _reconcile_host(
        self, host_id: uuid.UUID, driver: HostDriver, report: ReconcileReport
    ) -> None:
        guests = {guest.uuid: guest for guest in driver.guests()}
        volumes = driver.volumes()
        networks = driver.networks()
        self._read_leases(driver, networks, report)
        with self._db.transaction() as session:
            busy = set(
                session.scalars(
                    select(Job.resource_id).where(
                        Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING))
                    )
                )
            )
            live = set(
                session.scalars(
                    select(Instance.id).where(Instance.state != InstanceState.TERMINATED)
                )
            )
            images = set(
                session.scalars(
                    select(Image.id).where(
                        Image.state.in_((ImageState.AVAILABLE, ImageState.PENDING))
                    )
                )
            ) | set(  # a deregistered image's base volume backs the root disks launched from it
                session.scalars(
                    select(Instance.image_id).where(Instance.state != InstanceState.TERMINATED)
                )
            )
            owned_disks = set(
                session.scalars(select(Volume.id).where(Volume.state != VolumeState.DELETED))
            ) | set(
                session.scalars(select(Snapshot.id).where(Snapshot.state != SnapshotState.DELETED))
            )
            live_networks = set(
                session.scalars(select(Network.id).where(Network.state != NetworkState.DELETED))
            )
            settled = session.scalars(
                select(Instance).where(
                    Instance.host_id == host_id,
                    Instance.state.in_(
                        (InstanceState.RUNNING, InstanceState.STOPPED, InstanceState.ERROR)
                    ),
                )
            ).all()
            room = functools.cache(functools.partial(pool_has_room, driver))
            for instance in settled:
                if instance.id not in busy:
                    seen = self._fresh(driver, instance.id, guests.get(instance.id))
                    self.align(session, driver, instance, seen, report, room=room)
        report.orphan_guests.extend(self._orphan_guests(guests.values(), live | busy))
        report.orphan_volumes.extend(
            self._orphan_volumes(volumes, live | busy, images | busy, owned_disks | busy)
        )
        report.orphan_networks.extend(n for n in networks if n not in live_networks | busy)
        for guest in report.orphan_guests:
            log.info("removing orphan guest %s from %s", guest, driver)
            driver.destroy_guest(guest)
        for name in report.orphan_volumes:
            log.info("removing orphan volume %s", name)
            driver.delete_volume(name)
        for network in report.orphan_networks:
            log.info("removing orphan network %s", network)
            driver.delete_network(network)

    def _read_leases(
        self, driver: HostDriver, networks: list[uuid.UUID], report: ReconcileReport
    ) -> None:
        leased = {mac: ip for network in networks for mac, ip in driver.leases(network).items()}
        with self._db.transaction() as session:
            nics = session.scalars(
                select(Nic).where(Nic.network_id.in_(networks), Nic.released.is_(False))
            )
            for nic in nics:
                ip = leased.get(nic.mac.lower())
                if ip is not None and nic.lease_ip != ip:
                    nic.lease_ip = ip
                    report.leases += 1

    @staticmethod
    def _orphan_guests(guests: Iterable[GuestInfo], owned: set[uuid.UUID]) -> list[uuid.UUID]:
        return [guest.uuid for guest in guests if guest.uuid not in owned]

    @staticmethod
    def _orphan_volumes(
        volumes: list[VolumeInfo],
        instances: set[uuid.UUID],
        images: set[uuid.UUID],
        disks: set[uuid.UUID],
    ) -> list[str]:
        owners = {
            ResourceKind.INSTANCE: instances,
            ResourceKind.IMAGE: images,
            ResourceKind.VOLUME: disks,
            ResourceKind.SNAPSHOT: disks,
        }
        return [v.name for v in volumes if v.owner_id not in owners.get(v.owner_kind, {v.owner_id})]

    @staticmethod
    def _fresh(driver: HostDriver, guest: uuid.UUID, seen: GuestInfo | None) -> GuestInfo | None:
        """The host's listing is read before the transaction, and a job may have created or
        started the guest since then: what would move the instance is read again."""
        if seen is not None and seen.power_state is PowerState.RUNNING:
            return seen
        try:
            return GuestInfo(guest, driver.power_state(guest))
        except GuestGone:
            return None

    @staticmethod
    def _change(
        instance: Instance, guest: GuestInfo | None, report: ReconcileReport
    ) -> tuple[Transition, str] | None:
        """What the host says happened to the instance, and why, if anything did."""
        state = instance.state
        if guest is None:
            if state is InstanceState.ERROR:
                return None
            report.vanished.append(instance.id)
            return Transition.VANISH, "the domain vanished from its host"
        power = guest.power_state
        was = f"; it was in error: {instance.state_reason}" if state is InstanceState.ERROR else ""
        if power in (PowerState.RUNNING, *_PAUSES) and state is not InstanceState.RUNNING:
            report.powered_on.append(instance.id)
            return Transition.POWER_ON, f"the host reports the guest {power.value}{was}"
        if power is PowerState.SHUTOFF or (
            power is PowerState.CRASHED and state is InstanceState.RUNNING
        ):
            if state is InstanceState.STOPPED:
                return None
            report.powered_off.append(instance.id)
            return Transition.POWER_OFF, f"the guest is {power.value}{was}"
        return None

    def align(
        self,
        session: Session,
        driver: HostDriver,
        instance: Instance,
        guest: GuestInfo | None,
        report: ReconcileReport,
        *,
        room: Callable[[], bool],
    ) -> None:
        """One settled instance without a job, against what its host reports of its guest
        (``room``: whether the host's pool has room for a paused guest to be resumed)."""
        self._apply_change(session, instance, guest, report)
        if guest is not None and instance.state is InstanceState.RUNNING:
            power = guest.power_state
            self._note_pause(session, instance, power, report)
            how = "after it was paused"
            if power is PowerState.PAUSED_ON_DISK_ERROR and room():
                power = self._resume(driver, instance)
                how = "resumed once its host's storage pool had room again"
            self._note_running_again(session, instance, power, how, report)

    @staticmethod
    def _resume(driver: HostDriver, instance: Instance) -> PowerState:
        log.info("the pool has room again: resuming the paused guest of %s", instance.name)
        try:
            return driver.resume(instance.id)
        except HostError as exc:
            log.warning("cannot resume the paused guest of %s: %s", instance.name, exc)
            return PowerState.PAUSED_ON_DISK_ERROR

    @staticmethod
    def _note_pause(
        session: Session, instance: Instance, power: PowerState, report: ReconcileReport
    ) -> None:
        """The instance's reason and one event per pause, not one per pass."""
        if power not in _PAUSES:
            return
        pause, level = _PAUSES[power]
        if guest_pause(instance.state, instance.state_reason) is pause:
            return
        instance.state_reason = pause.value
        report.paused.append(instance.id)
        log.warning("instance %s (%s): %s", instance.name, instance.id, pause.value)
        events.record(
            session,
            account_id=instance.account_id,
            user_id=None,
            type=EventType.VM_STOP,
            state=EventState.COMPLETED,
            level=level,
            description=f"instance {instance.name}: {pause.value}",
            resource=(ResourceKind.INSTANCE, instance.id),
        )

    @staticmethod
    def _note_running_again(
        session: Session, instance: Instance, power: PowerState, how: str, report: ReconcileReport
    ) -> None:
        if (
            power is not PowerState.RUNNING
            or guest_pause(instance.state, instance.state_reason) is None
        ):
            return
        instance.state_reason = ""
        report.resumed.append(instance.id)
        log.info("instance %s (%s): the guest runs again", instance.name, instance.id)
        events.record(
            session,
            account_id=instance.account_id,
            user_id=None,
            type=EventType.VM_START,
            state=EventState.COMPLETED,
            level=EventLevel.INFO,
            description=f"instance {instance.name}: the guest runs again, {how}",
            resource=(ResourceKind.INSTANCE, instance.id),
        )

    @classmethod
    def _apply_change(
        cls, session: Session, instance: Instance, guest: GuestInfo | None, report: ReconcileReport
    ) -> None:
        change = cls._change(instance, guest, report)
        if change is None:
            return
        transition, why = change
        instance.state = next_state(instance.state, transition, ref=instance.ref)
        instance.state_reason = why
        events.record(
            session,
            account_id=instance.account_id,
            user_id=None,
            type=EventType.VM_START if transition is Transition.POWER_ON else EventType.VM_STOP,
            state=EventState.COMPLETED,
            level=EventLevel.ERROR if transition is Transition.VANISH else EventLevel.INFO,
            description=f"instance {instance.name}: {why}",
            resource=(ResourceKind.INSTANCE, instance.id),
        )
