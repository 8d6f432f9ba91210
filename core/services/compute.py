"""Instances: launch, start, stop, reboot, terminate, describe, console output.

Each mutating call checks everything first, then records the intent in one transaction (new
state, job, Scheduled event) and returns; the worker pool does the libvirt work. A refused
action anywhere in a multi-instance call changes none of them.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import events, idempotency, ids, keys, tags
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Flavor, Image, Instance, InstanceSecurityGroup, Volume, Zone
from core.enums import (
    EventState,
    EventType,
    JobKind,
    ResourceKind,
    Settle,
    VolumeState,
    VolumeType,
)
from core.errors import (
    CapacityUnavailable,
    InvalidArgument,
    InvalidState,
    NotFound,
    NotPermitted,
    QuotaExceeded,
)
from core.hosts import scheduler
from core.hosts.registry import HostDrivers
from core.jobs import queue, settling
from core.services import instance_reads
from core.services.catalog import find_flavor
from core.services.images import find_image
from core.services.keypairs import find_key_pair
from core.services.lookup import chosen_id, identity_clauses
from core.services.networks import default_network, find_network, new_nic
from core.services.security_groups import default_group, find_group
from core.settings import CoreSettings
from core.states import InstanceState, Transition, next_state
from core.views import (
    Accepted,
    Caller,
    InstanceQuery,
    InstanceView,
    InterfaceQuery,
    InterfaceView,
    Page,
    Reservation,
    StateChange,
)

MAX_USER_DATA: Final = 16 * 1024
ROOT_DEVICE: Final = "vda"
GIB: Final = 1024**3
MAX_ROOT_GIB: Final = 16384  # EC2's largest gp volume
_HOSTNAME: Final = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    image: str
    flavor: str
    count: int = 1
    key_name: str | None = None
    user_data: bytes = b""
    name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    client_token: str | None = None
    network: str | None = None  # the zone's default network when None
    security_groups: tuple[str, ...] = ()  # the account's default group when empty
    start: bool = True  # False: create the guest and leave it stopped
    root_disk_gib: int | None = None  # a bigger root disk than the flavor's
    termination_protected: bool = False
    stop_protected: bool = False
    root_volume_tags: Mapping[str, str] = field(default_factory=dict)
    instance_id: uuid.UUID | None = None  # the client's choice of UUID (OCCI), for one instance
    public_key: str | None = None  # an OpenSSH key given inline, instead of a key pair's
    hostname: str | None = None  # derived from the name when None


@dataclass(frozen=True, slots=True)
class _Action:
    transition: Transition
    job: JobKind
    event: EventType
    verb: str
    guarded_by: str | None = None  # the Instance flag that, when set, refuses this action


_START: Final = _Action(Transition.START, JobKind.START_INSTANCE, EventType.VM_START, "starting")
_STOP: Final = _Action(
    Transition.STOP, JobKind.STOP_INSTANCE, EventType.VM_STOP, "stopping", "stop_protected"
)
_REBOOT: Final = _Action(
    Transition.REBOOT, JobKind.REBOOT_INSTANCE, EventType.VM_REBOOT, "rebooting"
)
_TERMINATE: Final = _Action(
    Transition.TERMINATE,
    JobKind.TERMINATE_INSTANCE,
    EventType.VM_DESTROY,
    "terminating",
    "termination_protected",
)
_EXPUNGE: Final = _Action(
    Transition.TERMINATE,
    JobKind.EXPUNGE_INSTANCE,
    EventType.VM_EXPUNGE,
    "expunging",
    "termination_protected",
)
_DESTROY: Final = _Action(
    Transition.DESTROY,
    JobKind.DESTROY_INSTANCE,
    EventType.VM_DESTROY,
    "destroying",
    "termination_protected",
)
_RESTORE: Final = _Action(
    Transition.RESTORE, JobKind.RESTORE_INSTANCE, EventType.VM_RESTORE, "restoring"
)
# Asking again for what is already under way or done changes nothing (and queues nothing).
_ALREADY: Final[Mapping[Transition, frozenset[InstanceState]]] = {
    Transition.TERMINATE: frozenset({InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN}),
    Transition.DESTROY: frozenset(
        {InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN, InstanceState.DESTROYED}
    ),
}


def root_disk_bytes(flavor: Flavor, image: Image) -> int:
    """The flavor's root size, unless the image itself is bigger."""
    return max(flavor.disk_gib * GIB, image.virtual_size)


def overcommit(settings: CoreSettings) -> scheduler.Overcommit:
    return scheduler.Overcommit(
        settings.cpu_overcommit, settings.memory_overcommit, settings.disk_overcommit
    )


def default_name(ref: str) -> str:
    """The name of an instance launched without one, in no API's own words."""
    return f"instance-{ref}"


def hostname_for(name: str | None, ref: str) -> str:
    candidate = (name or "").lower().replace("_", "-").replace(" ", "-")
    return candidate if _HOSTNAME.fullmatch(candidate) else default_name(ref)


class ComputeService:
    def __init__(
        self,
        db: Database,
        drivers: HostDrivers,
        settings: CoreSettings,
        wake_workers: Callable[[], None],
    ) -> None:
        self._db = db
        self._drivers = drivers
        self._settings = settings
        self._wake = wake_workers

    # launch

    def _validate(self, request: LaunchRequest) -> None:
        if request.count < 1:
            raise InvalidArgument("count", "must be at least 1")
        if request.count > self._settings.max_instances_per_request:
            raise QuotaExceeded("instances per request", self._settings.max_instances_per_request)
        if len(request.user_data) > MAX_USER_DATA:
            raise InvalidArgument("user_data", f"at most {MAX_USER_DATA} bytes")
        if request.name is not None and len(request.name) > 255:
            raise InvalidArgument("name", "at most 255 characters")
        if request.root_disk_gib is not None and not 1 <= request.root_disk_gib <= MAX_ROOT_GIB:
            raise InvalidArgument("root_disk_gib", f"between 1 and {MAX_ROOT_GIB} GiB")
        tags.validate(request.tags)
        tags.validate(request.root_volume_tags)
        idempotency.check(request.client_token)
        if request.instance_id is not None and request.count != 1:
            raise InvalidArgument("instance_id", "a chosen id names exactly one instance")
        if request.public_key is not None and request.key_name is not None:
            raise InvalidArgument("public_key", "give a key pair's name or a key, not both")
        if request.hostname is not None and not _HOSTNAME.fullmatch(request.hostname):
            raise InvalidArgument(
                "hostname", "1-63 lower-case letters, digits and inner hyphens (RFC 1123)"
            )

    def _replay(
        self, session: Session, caller: Caller, request: LaunchRequest, image: Image, flavor: Flavor
    ) -> Reservation | None:
        """ClientToken idempotency: the same token with the same request gets the same answer."""
        if request.client_token is None:
            return None
        earlier = idempotency.made_before(
            session,
            instance_reads.scoped(caller).order_by(Instance.launch_index),
            Instance.account_id,
            Instance.client_token,
            caller.account_id,
            request.client_token,
        )
        if not earlier:
            return None
        first = earlier[0]
        idempotency.require_same(
            request.client_token,
            (first.image_id, first.flavor_id, len(earlier)),
            (image.id, flavor.id, request.count),
        )
        return Reservation(
            first.reservation_ref, first.account_id, instance_reads.views(session, earlier), []
        )

    def launch(self, caller: Caller, request: LaunchRequest) -> Reservation:
        self._validate(request)
        with self._db.transaction() as session:
            image = find_image(session, caller, request.image)
            flavor = find_flavor(session, request.flavor)
            if (replayed := self._replay(session, caller, request, image, flavor)) is not None:
                return replayed
            key = None
            if request.key_name is not None:
                key = find_key_pair(session, caller.account_id, request.key_name)
            public_key = key.public_key if key else None
            if request.public_key is not None:
                public_key = keys.parse_public_key(request.public_key).openssh
            zone = session.scalar(select(Zone).where(Zone.name == self._settings.zone))
            if zone is None:
                raise NotFound("zone", self._settings.zone)
            network = (
                default_network(session, zone, self._settings)
                if request.network is None
                else find_network(session, caller, request.network)
            )
            groups = [find_group(session, caller, g) for g in request.security_groups] or [
                default_group(session, caller.account_id)
            ]
            root_bytes = root_disk_bytes(flavor, image)
            if request.root_disk_gib is not None:
                if request.root_disk_gib * GIB < image.virtual_size:
                    raise InvalidArgument(
                        "root_disk_gib", f"the image needs {-(-image.virtual_size // GIB)} GiB"
                    )
                root_bytes = max(root_bytes, request.root_disk_gib * GIB)
            hosts = scheduler.place(
                session,
                zone.id,
                [scheduler.demand_of(flavor, root_bytes)] * request.count,
                overcommit(self._settings),
            )
            reservation = ids.new_ref()
            launched: list[Instance] = []
            job_ids = []
            for index, host in enumerate(hosts):
                ref = ids.new_ref()
                instance = Instance(
                    id=chosen_id(session, Instance, request.instance_id),
                    ref=ref,
                    account_id=caller.account_id,
                    zone=zone,
                    host=host,
                    image=image,
                    flavor=flavor,
                    name=request.name or default_name(ref),
                    hostname=request.hostname or hostname_for(request.name, ref),
                    state=InstanceState.PENDING,
                    key_name=key.name if key else None,
                    public_key=public_key,
                    user_data=request.user_data,
                    reservation_ref=reservation,
                    launch_index=index,
                    client_token=request.client_token,
                    termination_protected=request.termination_protected,
                    stop_protected=request.stop_protected,
                )
                session.add(instance)
                session.flush()
                root = Volume(
                    account_id=caller.account_id,
                    zone=zone,
                    host=host,
                    name=f"{instance.name}-root",
                    volume_type=VolumeType.ROOT,
                    state=VolumeState.CREATING,
                    size_bytes=root_bytes,
                    instance_id=instance.id,
                    device=ROOT_DEVICE,
                )
                session.add(root)
                session.flush()
                tags.add(
                    session,
                    caller.account_id,
                    ResourceKind.VOLUME,
                    root.id,
                    request.root_volume_tags,
                )
                tags.add(
                    session, caller.account_id, ResourceKind.INSTANCE, instance.id, request.tags
                )
                new_nic(session, instance, network)
                session.add_all(
                    InstanceSecurityGroup(instance_id=instance.id, group_id=g.id)
                    for g in {g.id: g for g in groups}.values()
                )
                job = queue.enqueue(
                    session,
                    caller,
                    kind=JobKind.LAUNCH_INSTANCE,
                    resource=(ResourceKind.INSTANCE, instance.id),
                    account_id=caller.account_id,
                    event_type=EventType.VM_CREATE,
                    description=(
                        f"launching instance {instance.name} from {image.name} as {flavor.name}"
                    ),
                    params={"start": request.start},
                )
                launched.append(instance)
                job_ids.append(job.id)
            session.flush()
            views = instance_reads.views(session, launched)
        self._wake()
        return Reservation(reservation, caller.account_id, views, job_ids)

    # actions on existing instances

    def _lock(self, session: Session, caller: Caller, refs: Sequence[str]) -> list[Instance]:
        """The named instances, locked, in the order named; NotFound names the first missing."""
        if not refs:
            raise InvalidArgument("instances", "at least one instance is required")
        rows = (
            session.scalars(
                instance_reads.scoped(caller)
                .where(identity_clauses(Instance, tuple(refs)))
                .with_for_update(of=Instance)
            )
            .unique()
            .all()
        )
        index = {key: row for row in rows for key in (row.ref, str(row.id))}
        found: dict[uuid.UUID, Instance] = {}
        for text in refs:
            parsed = ids.parse_uuid(text)
            match = index.get(str(parsed) if parsed else text)
            if match is None:
                raise NotFound("instance", text)
            found[match.id] = match
        return list(found.values())

    @staticmethod
    def _target(instance: Instance, action: _Action) -> InstanceState:
        """The state the action leads to; terminating a terminated instance changes nothing."""
        if instance.state in _ALREADY.get(action.transition, ()):
            return instance.state
        return next_state(instance.state, action.transition, ref=instance.ref)

    @staticmethod
    def _enqueue(
        session: Session,
        caller: Caller,
        instance: Instance,
        action: _Action,
        params: Mapping[str, object] | None = None,
    ) -> uuid.UUID:
        return queue.enqueue(
            session,
            caller,
            kind=action.job,
            resource=(ResourceKind.INSTANCE, instance.id),
            account_id=instance.account_id,
            event_type=action.event,
            description=f"{action.verb} instance {instance.name}",
            params=params,
        ).id

    def _act(
        self,
        caller: Caller,
        refs: Sequence[str],
        action: _Action,
        params: Mapping[str, object] | None = None,
        settle: Settle = Settle.RAISE,
    ) -> list[Accepted[StateChange]]:
        """The action on every named instance, all or none; settled ``AS_JOB``, each instance
        is acted on alone and answers a job whatever happens (CloudStack names one VM a call)."""
        if settle is Settle.AS_JOB:
            return [self._act_as_job(caller, ref, action, params) for ref in refs]
        with self._db.transaction() as session:
            instances = self._lock(session, caller, refs)
            planned = [(i, i.state, self._target(i, action)) for i in instances]
            for instance, previous, current in planned:
                protected = action.guarded_by and getattr(instance, action.guarded_by)
                if protected and current is not previous:
                    flag = str(action.guarded_by).replace("_", " ")
                    raise NotPermitted("instance", instance.ref, f"is {flag}: lift that first")
            changes = []
            for instance, previous, current in planned:
                job_id = None
                if current is not previous:
                    instance.state = current
                    job_id = self._enqueue(session, caller, instance, action, params)
                change = StateChange(instance.id, instance.ref, previous, current)
                changes.append(Accepted(change, job_id))
        self._wake()
        return changes

    def _act_as_job(
        self,
        caller: Caller,
        ref: str,
        action: _Action,
        params: Mapping[str, object] | None,
    ) -> Accepted[StateChange]:
        def run() -> Accepted[StateChange]:
            [accepted] = self._act(caller, [ref], action, params)
            return accepted

        return self._as_job(caller, ref, action.job, action.event, action.verb, run)

    def _as_job(
        self,
        caller: Caller,
        ref: str,
        kind: JobKind,
        event: EventType,
        verb: str,
        run: Callable[[], Accepted[StateChange]],
    ) -> Accepted[StateChange]:
        """``run`` settled as a job: a refusal by state is a failed job, no work a done one."""

        def describe(change: StateChange | None) -> tuple[settling.Work, StateChange]:
            instance = self.get_instance(caller, ref)
            work = self._work(instance, kind, event, verb)
            current = instance.state
            return work, change or StateChange(instance.id, instance.ref, current, current)

        return settling.settle(self._db, caller, Settle.AS_JOB, run, describe)

    @staticmethod
    def _work(instance: InstanceView, kind: JobKind, event: EventType, verb: str) -> settling.Work:
        return settling.Work(
            kind,
            event,
            (ResourceKind.INSTANCE, instance.id),
            instance.account_id,
            f"{verb} instance {instance.name}",
        )

    def start_instances(
        self, caller: Caller, refs: Sequence[str], *, settle: Settle = Settle.RAISE
    ) -> list[Accepted[StateChange]]:
        return self._act(caller, refs, _START, settle=settle)

    def stop_instances(
        self,
        caller: Caller,
        refs: Sequence[str],
        *,
        force: bool = False,
        settle: Settle = Settle.RAISE,
    ) -> list[Accepted[StateChange]]:
        return self._act(caller, refs, _STOP, {"force": force}, settle)

    def reboot_instances(
        self, caller: Caller, refs: Sequence[str], *, settle: Settle = Settle.RAISE
    ) -> list[Accepted[StateChange]]:
        return self._act(caller, refs, _REBOOT, settle=settle)

    def terminate_instances(
        self, caller: Caller, refs: Sequence[str], *, settle: Settle = Settle.RAISE
    ) -> list[Accepted[StateChange]]:
        return self._act(caller, refs, _TERMINATE, settle=settle)

    # CloudStack's softer life cycle: destroy, recover, expunge, restore

    def destroy_instances(
        self, caller: Caller, refs: Sequence[str], *, settle: Settle = Settle.RAISE
    ) -> list[Accepted[StateChange]]:
        """Power off and keep the disks: recoverable until expunged, by hand or after
        ``expunge_delay`` (CloudStack's destroyVirtualMachine without ``expunge``)."""
        return self._act(caller, refs, _DESTROY, settle=settle)

    def expunge_instances(
        self, caller: Caller, refs: Sequence[str], *, settle: Settle = Settle.RAISE
    ) -> list[Accepted[StateChange]]:
        """Terminate for good, a destroyed instance included; recorded as VM.EXPUNGE."""
        return self._act(caller, refs, _EXPUNGE, settle=settle)

    def recover_instances(self, caller: Caller, refs: Sequence[str]) -> list[Accepted[StateChange]]:
        """Destroyed back to stopped. No host work: the guest is still defined and shut off."""
        with self._db.transaction() as session:
            instances = self._lock(session, caller, refs)
            planned = [(i, next_state(i.state, Transition.RECOVER, ref=i.ref)) for i in instances]
            changes = []
            for instance, current in planned:
                change = StateChange(instance.id, instance.ref, instance.state, current)
                changes.append(Accepted(change, None))
                instance.state, instance.destroyed_at = current, None
                self._record(session, caller, instance, EventType.VM_RECOVER, "recovered")
        return changes

    def expunge_due(self, now: dt.datetime | None = None) -> int:
        """Queue the expunge of every instance destroyed more than ``expunge_delay`` ago; the
        reconciler's loop calls it. Returns how many it queued."""
        cutoff = (now or utcnow()) - dt.timedelta(seconds=self._settings.expunge_delay)
        with self._db.transaction() as session:
            due = session.scalars(
                select(Instance)
                .where(Instance.state == InstanceState.DESTROYED, Instance.destroyed_at <= cutoff)
                .with_for_update()
            ).all()
            for instance in due:
                instance.state = next_state(instance.state, Transition.TERMINATE, ref=instance.ref)
                system = Caller(instance.account_id, None, is_admin=True)
                self._enqueue(session, system, instance, _EXPUNGE)
        if due:
            self._wake()
        return len(due)

    def restore_instance(
        self,
        caller: Caller,
        ref: str,
        *,
        image: str | None = None,
        settle: Settle = Settle.RAISE,
    ) -> Accepted[StateChange]:
        """A fresh root disk from the instance's image, or from ``image`` which becomes its
        image; a running instance is stopped around the swap and started again."""
        if settle is Settle.AS_JOB:
            action = _RESTORE
            return self._as_job(
                caller,
                ref,
                action.job,
                action.event,
                action.verb,
                lambda: self.restore_instance(caller, ref, image=image),
            )
        with self._db.transaction() as session:
            [instance] = self._lock(session, caller, [ref])
            previous = instance.state
            current = next_state(previous, Transition.RESTORE, ref=instance.ref)
            if image is not None:
                instance.image = find_image(session, caller, image)
            root = session.scalars(
                select(Volume).where(
                    Volume.instance_id == instance.id, Volume.volume_type == VolumeType.ROOT
                )
            ).one()
            root.size_bytes = max(root.size_bytes, root_disk_bytes(instance.flavor, instance.image))
            instance.state = current
            job_id = self._enqueue(
                session, caller, instance, _RESTORE, {"start": previous is InstanceState.RUNNING}
            )
            accepted = Accepted(StateChange(instance.id, instance.ref, previous, current), job_id)
        self._wake()
        return accepted

    # changes that wait for the next start

    def _change(
        self,
        caller: Caller,
        ref: str,
        event: EventType,
        what: str,
        apply: Callable[[Session, Instance], None],
        *,
        stopped_only: bool,
    ) -> InstanceView:
        """Change a stored instance; the host sees it at the next start (the start job
        refreshes the guest's definition and config drive)."""
        with self._db.transaction() as session:
            [instance] = self._lock(session, caller, [ref])
            if instance.state is InstanceState.TERMINATED or (
                stopped_only and instance.state is not InstanceState.STOPPED
            ):
                raise InvalidState("instance", instance.ref, instance.state.value, what)
            apply(session, instance)
            self._record(session, caller, instance, event, what)
            session.flush()
            [view] = instance_reads.views(session, [instance])
            return view

    def update_instance(
        self,
        caller: Caller,
        ref: str,
        *,
        name: str | None = None,
        user_data: bytes | None = None,
        termination_protected: bool | None = None,
        stop_protected: bool | None = None,
        stopped_only: bool = False,
    ) -> InstanceView:
        """Changes that reach the guest at its next start. ``stopped_only`` refuses them on an
        instance that is not stopped: EC2 changes user data only then, CloudStack at any time."""
        if name is not None and not 0 < len(name) <= 255:
            raise InvalidArgument("name", "1-255 characters")
        if user_data is not None and len(user_data) > MAX_USER_DATA:
            raise InvalidArgument("user_data", f"at most {MAX_USER_DATA} bytes")

        def apply(_session: Session, instance: Instance) -> None:
            instance.name = name if name is not None else instance.name
            instance.user_data = user_data if user_data is not None else instance.user_data
            if termination_protected is not None:
                instance.termination_protected = termination_protected
            if stop_protected is not None:
                instance.stop_protected = stop_protected

        return self._change(
            caller, ref, EventType.VM_UPDATE, "update", apply, stopped_only=stopped_only
        )

    def change_flavor(self, caller: Caller, ref: str, flavor: str) -> InstanceView:
        """A new size for a stopped instance; its host must have room for the difference."""

        def apply(session: Session, instance: Instance) -> None:
            new = find_flavor(session, flavor)
            if instance.host is not None:
                [free] = scheduler.free_capacity(
                    session, [instance.host], overcommit(self._settings)
                )
                grow = scheduler.Demand(
                    max(0, new.vcpus - instance.flavor.vcpus),
                    max(0, new.memory_mib - instance.flavor.memory_mib),
                    0,
                )
                if not free.fits(grow):
                    raise CapacityUnavailable("vcpus" if free.vcpus < grow.vcpus else "memory")
            instance.flavor = new

        return self._change(
            caller, ref, EventType.VM_UPGRADE, "change-flavor", apply, stopped_only=True
        )

    def reset_key(
        self, caller: Caller, ref: str, key_name: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[InstanceView]:
        """Another key pair of the instance's account; the config drive carries it at the
        next start (CloudStack resetSSHKeyForVirtualMachine). Done within the call: settled
        as a job, the job is over at once."""

        def apply(session: Session, instance: Instance) -> None:
            key = find_key_pair(session, instance.account_id, key_name)
            instance.key_name, instance.public_key = key.name, key.public_key

        def run() -> Accepted[InstanceView]:
            changed = self._change(
                caller, ref, EventType.VM_RESETSSHKEY, "reset-key", apply, stopped_only=True
            )
            return Accepted(changed, None)

        def describe(found: InstanceView | None) -> tuple[settling.Work, InstanceView]:
            instance = found or self.get_instance(caller, ref)
            verb = "resetting the key pair of"
            return self._work(instance, JobKind.RESET_KEY, EventType.VM_RESETSSHKEY, verb), instance

        return settling.settle(self._db, caller, settle, run, describe, done_at_once=True)

    @staticmethod
    def _record(
        session: Session, caller: Caller, instance: Instance, event: EventType, what: str
    ) -> None:
        events.record(
            session,
            account_id=instance.account_id,
            user_id=caller.user_id,
            type=event,
            state=EventState.COMPLETED,
            description=f"instance {instance.name}: {what}",
            resource=(ResourceKind.INSTANCE, instance.id),
        )

    # reading

    def get_instance(self, caller: Caller, ref: str) -> InstanceView:
        with self._db.transaction() as session:
            [view] = instance_reads.views(session, [instance_reads.find(session, caller, ref)])
            return view

    def list_instances(self, caller: Caller, query: InstanceQuery) -> Page[InstanceView]:
        """The instances ``query`` selects, filtered and windowed in SQL."""
        with self._db.transaction() as session:
            return instance_reads.list_page(session, caller, query)

    def list_interfaces(self, caller: Caller, query: InterfaceQuery) -> Page[InterfaceView]:
        """The interfaces of live instances ``query`` selects, filtered and windowed in SQL."""
        with self._db.transaction() as session:
            return instance_reads.interface_page(session, caller, query)

    def console_output(self, caller: Caller, ref: str) -> bytes:
        """The guest's serial log so far, as the host recorded it (empty before first boot)."""
        with self._db.transaction() as session:
            instance = instance_reads.find(session, caller, ref)
            host = instance.host
            if host is None or instance.state is InstanceState.TERMINATED:
                return b""
            driver = self._drivers.get(host.id, host.uri, host.virt_type)
            guest: uuid.UUID = instance.id
        return driver.console_output(guest)
