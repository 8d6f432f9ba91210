"""The host work behind each instance action, one handler per job kind.

Every handler is safe to run again after a crash: creating a guest that exists, starting a
running one (or one still starting, which it waits for) or removing a removed one is a no-op. A
job's outcome only moves the instance if it is still in the state the job was queued for, so a
terminate that overtook a pending stop wins. A job whose host stayed unreachable gives up: the
instance goes back to the state the host last reported (a launch, which has none, fails), and
the reconciler aligns it with the host once it answers.
"""

from __future__ import annotations

import abc
import logging
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sqlalchemy.orm import Session

from core import volumes
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Host, Instance
from core.enums import EventType, JobKind
from core.errors import CoreError, HostError
from core.hosts.driver import ConfigDrive, GuestSpec, HostDriver, HostUnreachable, ImageSource
from core.hosts.registry import HostDrivers
from core.jobs.queue import ClaimedJob
from core.jobs.worker import JobHandler
from core.network import filters
from core.states import InstanceState, Transition, next_state

log = logging.getLogger(__name__)

GIB: Final = 1024**3


def guest_spec(session: Session, instance: Instance) -> GuestSpec:
    image = instance.image
    return GuestSpec(
        uuid=instance.id,
        name=f"cloudgate-{instance.ref}",
        vcpus=instance.flavor.vcpus,
        memory_mib=instance.flavor.memory_mib,
        root_disk_bytes=volumes.root_bytes(session, instance.id, instance.flavor.disk_gib * GIB),
        image=ImageSource(image.id, image.path, image.disk_format, image.virtual_size),
        config_drive=ConfigDrive(
            instance_id=str(instance.id),
            hostname=instance.hostname,
            public_keys=(instance.public_key,) if instance.public_key else (),
            user_data=instance.user_data,
        ),
        nics=filters.nic_specs(session, instance.id),
    )


class InstanceJob(abc.ABC):
    """Shared by every instance handler: load the instance, and settle or fail it."""

    event_type: ClassVar[EventType]
    expected: ClassVar[InstanceState]
    #: how the job gives up on an unreachable host: back to the state the host last reported
    gives_up_with: ClassVar[Transition] = Transition.FAIL

    def __init__(self, db: Database, drivers: HostDrivers, *, stop_timeout: float) -> None:
        self._db = db
        self._drivers = drivers
        self._stop_timeout = stop_timeout

    def _host(self, instance_id: uuid.UUID) -> tuple[HostDriver | None, GuestSpec]:
        with self._db.transaction() as session:
            instance = session.get_one(Instance, instance_id)
            host: Host | None = instance.host
            driver = None if host is None else self._drivers.get(host.id, host.uri, host.virt_type)
            return driver, guest_spec(session, instance)

    def _placed(self, instance_id: uuid.UUID) -> tuple[HostDriver, GuestSpec]:
        driver, spec = self._host(instance_id)
        if driver is None:
            raise HostError(f"instance {instance_id} has no host")
        return driver, spec

    def _apply_filters(self, driver: HostDriver, instance_id: uuid.UUID, *, leaving: bool) -> None:
        """Source-group rules of the instance's groups, and of groups citing them, gain or lose
        its address."""
        with self._db.transaction() as session:
            changed = filters.filters_around(session, instance_id, leaving=leaving)
        for group in changed:
            driver.apply_group_filter(group)

    @abc.abstractmethod
    def run(self, job: ClaimedJob) -> Mapping[str, Any]: ...

    def _on_settled(self, session: Session, instance: Instance) -> None:  # noqa: B027
        """Extra bookkeeping when the instance settles (timestamps, its volumes)."""

    def _settles_with(self, job: ClaimedJob) -> Transition:
        return Transition.SETTLE

    def succeeded(self, session: Session, job: ClaimedJob, result: Mapping[str, Any]) -> None:
        instance = session.get_one(Instance, job.resource_id)
        if instance.state is self.expected:
            instance.state = next_state(instance.state, self._settles_with(job), ref=instance.ref)
            instance.state_reason = ""
            self._on_settled(session, instance)

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        instance = session.get_one(Instance, job.resource_id)
        if instance.state is self.expected:
            instance.state = next_state(instance.state, Transition.FAIL, ref=instance.ref)
            instance.state_reason = reason
            self._on_failed(session, instance)

    def _on_failed(self, session: Session, instance: Instance) -> None:  # noqa: B027
        """Extra bookkeeping when the job fails the instance."""

    def unreachable(self, session: Session, job: ClaimedJob, reason: str) -> None:
        if self.gives_up_with is Transition.FAIL:
            self.failed(session, job, reason)
            return
        self._give_up(session, job, reason)

    def _give_up(self, session: Session, job: ClaimedJob, reason: str) -> None:
        instance = session.get_one(Instance, job.resource_id)
        if instance.state is self.expected:
            instance.state = next_state(instance.state, self.gives_up_with, ref=instance.ref)
            instance.state_reason = reason


def remove_guest(driver: HostDriver, spec: GuestSpec) -> None:
    """The domain, its files, its NICs' filters and DHCP reservations; all idempotent."""
    driver.destroy_guest(spec.uuid)
    driver.delete_filters([], [nic.id for nic in spec.nics])
    for nic in spec.nics:
        driver.release_address(nic.network.id, nic.mac, nic.ip)


def starts(job: ClaimedJob) -> bool:
    """A launch starts the guest unless it was asked to only create it (CloudStack startvm)."""
    return bool(job.params.get("start", True))


class _StartsIfAsked(InstanceJob):
    """A job that ends with the guest started, or only defined when asked (``start`` false)."""

    def _settles_with(self, job: ClaimedJob) -> Transition:
        return Transition.SETTLE if starts(job) else Transition.DEFINE

    def _on_settled(self, session: Session, instance: Instance) -> None:
        if instance.state is InstanceState.RUNNING:
            instance.launched_at = utcnow()


class LaunchInstance(_StartsIfAsked):
    event_type = EventType.VM_CREATE
    expected = InstanceState.PENDING

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        driver, spec = self._placed(job.resource_id)
        try:
            self._apply_filters(driver, job.resource_id, leaving=False)
            driver.create_guest(spec)
            if starts(job):
                driver.start(spec.uuid)
        except HostUnreachable:
            raise  # nothing can be removed; the reconciler aligns the instance with the host
        except CoreError:
            try:
                remove_guest(driver, spec)  # nothing half-made: the instance ends in error alone
            except CoreError as cleanup:  # the launch's own failure is the one to report
                log.warning(
                    "launch of %s: removing what it made failed too: %s", spec.uuid, cleanup
                )
            raise
        return {}

    def _on_settled(self, session: Session, instance: Instance) -> None:
        super()._on_settled(session, instance)
        volumes.root_in_use(session, instance.id)

    def _on_failed(self, session: Session, instance: Instance) -> None:
        volumes.root_failed(session, instance.id, instance.state_reason)


class StartInstance(InstanceJob):
    event_type = EventType.VM_START
    expected = InstanceState.PENDING
    gives_up_with = Transition.GIVE_UP

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        driver, spec = self._placed(job.resource_id)
        driver.refresh_guest(spec)  # a new offering, key or user data since the last start
        driver.start(spec.uuid)
        return {}

    def _on_settled(self, session: Session, instance: Instance) -> None:
        instance.launched_at = utcnow()


class StopInstance(InstanceJob):
    event_type = EventType.VM_STOP
    expected = InstanceState.STOPPING
    gives_up_with = Transition.GIVE_UP

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        driver, spec = self._placed(job.resource_id)
        forced = driver.stop(
            spec.uuid, force=bool(job.params.get("force")), timeout=self._stop_timeout
        )
        return {"forced": forced}


class RebootInstance(InstanceJob):
    event_type = EventType.VM_REBOOT
    expected = InstanceState.REBOOTING
    gives_up_with = Transition.GIVE_UP

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        """No reboot for an instance a stop (queued behind this job) or a terminate overtook.
        A paused guest is resumed to see the request (``resumed`` in the result)."""
        driver, spec = self._placed(job.resource_id)
        with self._db.transaction() as session:
            still_rebooting = session.get_one(Instance, job.resource_id).state is self.expected
        if not still_rebooting:
            return {"rebooted": False}
        return {"rebooted": True, "resumed": driver.reboot(spec.uuid)}

    def failed(self, session: Session, job: ClaimedJob, reason: str) -> None:
        """A reboot that failed (a paused guest libvirt would not resume) left the guest as it
        was: the instance is running again, with the reason, not in error, and the reconciler
        reports what the host shows of it."""
        self._give_up(session, job, reason)


class TerminateInstance(InstanceJob):
    event_type = EventType.VM_DESTROY
    expected = InstanceState.SHUTTING_DOWN

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        driver, spec = self._host(job.resource_id)
        if driver is not None:
            remove_guest(driver, spec)
            self._apply_filters(driver, job.resource_id, leaving=True)
        return {}

    def _on_settled(self, session: Session, instance: Instance) -> None:
        instance.terminated_at = utcnow()
        volumes.release(session, instance.id)
        for nic in instance.nics:
            nic.released = True


class ExpungeInstance(TerminateInstance):
    event_type = EventType.VM_EXPUNGE


class DestroyInstance(InstanceJob):
    """CloudStack's destroy without expunge: the guest is powered off and kept, disks and all,
    so that recoverVirtualMachine needs no host work."""

    event_type = EventType.VM_DESTROY
    expected = InstanceState.SHUTTING_DOWN

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        driver, spec = self._host(job.resource_id)
        if driver is not None and driver.has_guest(spec.uuid):
            driver.stop(spec.uuid, force=True, timeout=self._stop_timeout)
        return {}

    def _settles_with(self, job: ClaimedJob) -> Transition:
        return Transition.RETAIN

    def _on_settled(self, session: Session, instance: Instance) -> None:
        instance.destroyed_at = utcnow()


class RestoreInstance(_StartsIfAsked):
    """A fresh root disk from the instance's (possibly new) image, as CloudStack does it:
    stop, swap the disk, and start again if it was running."""

    event_type = EventType.VM_RESTORE
    expected = InstanceState.RESTORING

    def run(self, job: ClaimedJob) -> Mapping[str, Any]:
        driver, spec = self._placed(job.resource_id)
        driver.stop(spec.uuid, force=True, timeout=self._stop_timeout)
        driver.rebuild_root(spec)
        driver.refresh_guest(spec)
        if starts(job):
            driver.start(spec.uuid)
        return {}


def instance_handlers(
    db: Database, drivers: HostDrivers, *, stop_timeout: float
) -> dict[JobKind, JobHandler]:
    def make(cls: type[InstanceJob]) -> InstanceJob:
        return cls(db, drivers, stop_timeout=stop_timeout)

    return {
        JobKind.LAUNCH_INSTANCE: make(LaunchInstance),
        JobKind.START_INSTANCE: make(StartInstance),
        JobKind.STOP_INSTANCE: make(StopInstance),
        JobKind.REBOOT_INSTANCE: make(RebootInstance),
        JobKind.TERMINATE_INSTANCE: make(TerminateInstance),
        JobKind.EXPUNGE_INSTANCE: make(ExpungeInstance),
        JobKind.DESTROY_INSTANCE: make(DestroyInstance),
        JobKind.RESTORE_INSTANCE: make(RestoreInstance),
    }
