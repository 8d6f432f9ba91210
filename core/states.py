"""The state machines of core: the one place that decides which action is allowed when.

Every resource kind with states has a table ``{(state, transition): next state}``: a pair that
is a row is allowed and leads to that state, and any other pair is refused with InvalidState
naming the kind, the ref, the state and the transition (whose value is the verb the error
shows: "cannot attach volume 'x' while it is in-use"). The tables are data so that they read
as a whole, a test can walk every pair, and a front end can list what is allowed; one
``StateMachine`` holds each of them, and the transitions are the verbs the code really uses.

Instances: user actions (start, stop, reboot, terminate, destroy, restore) move a settled
instance into a transitional state and queue a job; the job's outcome (settle or fail) and what
the reconciler sees on the host (the guest powered itself off or on, the domain vanished) finish
the move; what it sees also repairs an instance in error whose guest runs or is shut off. A
job that could not reach its host gives up: the instance goes back to the state the host last
reported, for the reconciler to align once the host answers. A stop asked during a reboot
queues behind it. Recovering a destroyed instance is the one action with no host work: its guest is
already defined and shut off.

Volumes, snapshots, images and networks (their state enums are in ``core.enums``) follow the
same pattern (DESIGN rules 4-5): a call records a transitional state and queues a job; the job
settles it or fails it, and only while the row is still in the state the job was queued for. A
few actions keep the state as it is (resizing or snapshotting a volume, copying a snapshot):
their rows lead back to the state they start from, so the table still decides when they are
allowed. RETIRE is what happens to a row whose owner goes (a root volume with its instance,
anything with its account): whatever it was doing, it is gone. A VPC shares the network
states, but deleting one takes no host work, so it goes at once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Generic, TypeVar

from core.enums import ImageState, NetworkState, SnapshotState, VolumeState
from core.errors import InvalidState

_State = TypeVar("_State", bound=enum.Enum)
_Verb = TypeVar("_Verb", bound=enum.Enum)


@dataclass(frozen=True)
class StateMachine(Generic[_State, _Verb]):
    """One resource kind's table; ``kind`` is the word InvalidState uses for it."""

    kind: str
    table: Mapping[tuple[_State, _Verb], _State]

    def next_state(self, state: _State, transition: _Verb, *, ref: str = "") -> _State:
        """The state after ``transition``, or InvalidState naming the refused action."""
        try:
            return self.table[(state, transition)]
        except KeyError:
            raise InvalidState(self.kind, ref, state.value, transition.value) from None

    def check(self, state: _State, transition: _Verb, *, ref: str = "") -> None:
        """Refuse with InvalidState unless the table allows ``transition`` from ``state``: for
        actions that leave the state as it is."""
        self.next_state(state, transition, ref=ref)

    def allowed(self, state: _State, transition: _Verb) -> bool:
        return (state, transition) in self.table


# instances


class InstanceState(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    REBOOTING = "rebooting"
    SHUTTING_DOWN = "shutting-down"
    TERMINATED = "terminated"
    ERROR = "error"
    DESTROYED = "destroyed"  # powered off, disks kept: recoverable until expunged
    RESTORING = "restoring"  # its root disk is being rebuilt from its image


class Transition(enum.Enum):
    START = "start"
    STOP = "stop"
    REBOOT = "reboot"
    TERMINATE = "terminate"
    DESTROY = "destroy"  # CloudStack's destroy without expunge: recoverable for a while
    RECOVER = "recover"
    RESTORE = "restore"
    SETTLE = "settle"  # the job doing the host work succeeded
    DEFINE = "define"  # a launch job created the guest without starting it, as asked
    RETAIN = "retain"  # a destroy job powered the guest off and kept its disks
    FAIL = "fail"  # the job doing the host work failed for good
    GIVE_UP = "give-up"  # the job could not reach the host: back to what it last reported
    POWER_OFF = "power-off"  # the reconciler found the guest shut off from inside
    POWER_ON = "power-on"  # the reconciler found the guest running
    VANISH = "vanish"  # the reconciler found the domain gone from its host


S = InstanceState
T = Transition

_TRANSITIONS: Final[Mapping[tuple[InstanceState, Transition], InstanceState]] = MappingProxyType(
    {
        (S.STOPPED, T.START): S.PENDING,
        (S.RUNNING, T.STOP): S.STOPPING,
        (S.REBOOTING, T.STOP): S.STOPPING,  # its job runs after the reboot's
        (S.RUNNING, T.REBOOT): S.REBOOTING,
        (S.PENDING, T.TERMINATE): S.SHUTTING_DOWN,
        (S.RUNNING, T.TERMINATE): S.SHUTTING_DOWN,
        (S.STOPPING, T.TERMINATE): S.SHUTTING_DOWN,
        (S.STOPPED, T.TERMINATE): S.SHUTTING_DOWN,
        (S.REBOOTING, T.TERMINATE): S.SHUTTING_DOWN,
        (S.ERROR, T.TERMINATE): S.SHUTTING_DOWN,
        (S.DESTROYED, T.TERMINATE): S.SHUTTING_DOWN,
        (S.RESTORING, T.TERMINATE): S.SHUTTING_DOWN,
        (S.PENDING, T.DESTROY): S.SHUTTING_DOWN,
        (S.RUNNING, T.DESTROY): S.SHUTTING_DOWN,
        (S.STOPPING, T.DESTROY): S.SHUTTING_DOWN,
        (S.STOPPED, T.DESTROY): S.SHUTTING_DOWN,
        (S.REBOOTING, T.DESTROY): S.SHUTTING_DOWN,
        (S.RESTORING, T.DESTROY): S.SHUTTING_DOWN,
        (S.ERROR, T.DESTROY): S.SHUTTING_DOWN,
        (S.SHUTTING_DOWN, T.RETAIN): S.DESTROYED,
        (S.DESTROYED, T.RECOVER): S.STOPPED,
        (S.RUNNING, T.RESTORE): S.RESTORING,
        (S.STOPPED, T.RESTORE): S.RESTORING,
        (S.RESTORING, T.SETTLE): S.RUNNING,
        (S.RESTORING, T.DEFINE): S.STOPPED,
        (S.RESTORING, T.FAIL): S.ERROR,
        (S.PENDING, T.SETTLE): S.RUNNING,
        (S.PENDING, T.DEFINE): S.STOPPED,
        (S.STOPPING, T.SETTLE): S.STOPPED,
        (S.REBOOTING, T.SETTLE): S.RUNNING,
        (S.SHUTTING_DOWN, T.SETTLE): S.TERMINATED,
        (S.PENDING, T.FAIL): S.ERROR,
        (S.STOPPING, T.FAIL): S.ERROR,
        (S.REBOOTING, T.FAIL): S.ERROR,
        (S.SHUTTING_DOWN, T.FAIL): S.ERROR,
        (S.STOPPING, T.GIVE_UP): S.RUNNING,
        (S.REBOOTING, T.GIVE_UP): S.RUNNING,
        (S.PENDING, T.GIVE_UP): S.STOPPED,  # a start's; a launch has nothing to go back to
        (S.RUNNING, T.POWER_OFF): S.STOPPED,
        (S.ERROR, T.POWER_OFF): S.STOPPED,
        (S.STOPPED, T.POWER_ON): S.RUNNING,
        (S.ERROR, T.POWER_ON): S.RUNNING,
        (S.RUNNING, T.VANISH): S.ERROR,
        (S.STOPPED, T.VANISH): S.ERROR,
    }
)


class GuestPause(enum.Enum):
    """Why the guest of a RUNNING instance does not run although its domain is up: its host
    holds it paused. EC2 and CloudStack have no paused state, and the guest's memory and
    disks are all there, so the instance stays RUNNING (as an EC2 instance whose status checks
    fail stays running): its state reason is one of these texts, set and cleared by the
    reconciler, and its status is impaired."""

    DISK_ERROR = (
        "the guest is paused because its disk could not be written, most likely because "
        "its host's storage pool is full; it is resumed once the pool has room again"
    )
    BY_USER = "the guest is paused on its host, by someone there outside Cloudgate"


def guest_pause(state: InstanceState, reason: str) -> GuestPause | None:
    """The pause an instance's state and state reason say its guest is in, if any."""
    if state is not InstanceState.RUNNING:
        return None
    return next((pause for pause in GuestPause if pause.value == reason), None)


INSTANCES: Final[StateMachine[InstanceState, Transition]] = StateMachine("instance", _TRANSITIONS)
# Instances not on their way out: those a listing of "the machines" holds where an API has no
# word for a deleted one (OCCI and CIMI show a machine being terminated as gone at once).
LIVE_INSTANCE_STATES: Final = tuple(
    s for s in InstanceState if s not in (InstanceState.SHUTTING_DOWN, InstanceState.TERMINATED)
)


def next_state(state: InstanceState, transition: Transition, *, ref: str = "") -> InstanceState:
    """The state after ``transition``, or InvalidState naming the refused action."""
    return INSTANCES.next_state(state, transition, ref=ref)


def allowed(state: InstanceState, transition: Transition) -> bool:
    return INSTANCES.allowed(state, transition)


def transitions() -> Mapping[tuple[InstanceState, Transition], InstanceState]:
    """The whole table, read-only: for tests and for front ends that list allowed actions."""
    return _TRANSITIONS


# volumes


class VolumeTransition(enum.Enum):
    ATTACH = "attach"
    DETACH = "detach"
    DELETE = "delete"
    RESIZE = "resize"  # the job grows the disk; the volume keeps its state
    SNAPSHOT = "snapshot"  # the snapshot has states of its own; the volume keeps its state
    SETTLE = "settle"  # the job doing the host work succeeded
    FAIL = "fail"  # the job doing the host work failed for good
    LAUNCH = "launch"  # a root volume: its instance's launch job made the guest
    RELEASE = "release"  # a data volume: the instance it was attached to is gone
    RETIRE = "retire"  # a root volume with its instance, any volume with its account


V = VolumeState
VT = VolumeTransition

VOLUMES: Final[StateMachine[VolumeState, VolumeTransition]] = StateMachine(
    "volume",
    MappingProxyType(
        {
            (V.CREATING, VT.SETTLE): V.AVAILABLE,
            (V.CREATING, VT.FAIL): V.ERROR,  # a data volume's job, or its root's launch
            (V.CREATING, VT.LAUNCH): V.IN_USE,
            (V.AVAILABLE, VT.ATTACH): V.ATTACHING,
            (V.ATTACHING, VT.SETTLE): V.IN_USE,
            (V.ATTACHING, VT.FAIL): V.AVAILABLE,
            (V.IN_USE, VT.DETACH): V.DETACHING,
            (V.DETACHING, VT.SETTLE): V.AVAILABLE,
            (V.DETACHING, VT.FAIL): V.IN_USE,
            (V.AVAILABLE, VT.DELETE): V.DELETING,
            (V.ERROR, VT.DELETE): V.DELETING,
            (V.DELETING, VT.SETTLE): V.DELETED,
            (V.DELETING, VT.FAIL): V.ERROR,
            (V.AVAILABLE, VT.RESIZE): V.AVAILABLE,
            (V.IN_USE, VT.RESIZE): V.IN_USE,
            (V.AVAILABLE, VT.SNAPSHOT): V.AVAILABLE,
            (V.IN_USE, VT.SNAPSHOT): V.IN_USE,
            (V.ATTACHING, VT.RELEASE): V.AVAILABLE,
            (V.IN_USE, VT.RELEASE): V.AVAILABLE,
            (V.DETACHING, VT.RELEASE): V.AVAILABLE,
            **{(state, VT.RETIRE): V.DELETED for state in V if state is not V.DELETED},
        }
    ),
)


# snapshots


class SnapshotTransition(enum.Enum):
    COPY = "copy"  # a volume or another snapshot is made from it; it keeps its state
    DELETE = "delete"
    SETTLE = "settle"
    FAIL = "fail"
    RETIRE = "retire"  # with its account


SN = SnapshotState
ST = SnapshotTransition

SNAPSHOTS: Final[StateMachine[SnapshotState, SnapshotTransition]] = StateMachine(
    "snapshot",
    MappingProxyType(
        {
            (SN.PENDING, ST.SETTLE): SN.COMPLETED,
            (SN.PENDING, ST.FAIL): SN.ERROR,
            (SN.COMPLETED, ST.COPY): SN.COMPLETED,
            (SN.COMPLETED, ST.DELETE): SN.DELETING,
            (SN.ERROR, ST.DELETE): SN.DELETING,
            (SN.DELETING, ST.SETTLE): SN.DELETED,
            (SN.DELETING, ST.FAIL): SN.ERROR,
            **{(state, ST.RETIRE): SN.DELETED for state in SN if state is not SN.DELETED},
        }
    ),
)


# images


class ImageTransition(enum.Enum):
    SETTLE = "settle"  # its capture, download or copy job stored a checked file
    FAIL = "fail"
    DEREGISTER = "deregister"  # by its owner or an admin, or with its account


IM = ImageState
IT = ImageTransition

IMAGES: Final[StateMachine[ImageState, ImageTransition]] = StateMachine(
    "image",
    MappingProxyType(
        {
            (IM.PENDING, IT.SETTLE): IM.AVAILABLE,
            (IM.PENDING, IT.FAIL): IM.FAILED,
            (IM.PENDING, IT.DEREGISTER): IM.DEREGISTERED,  # its job then removes its file
            (IM.AVAILABLE, IT.DEREGISTER): IM.DEREGISTERED,
            (IM.FAILED, IT.DEREGISTER): IM.DEREGISTERED,
        }
    ),
)


# networks and VPCs


class NetworkTransition(enum.Enum):
    DELETE = "delete"
    SETTLE = "settle"  # the job removed the libvirt network from every host
    FAIL = "fail"  # it stays, usable, and may be deleted again
    RETIRE = "retire"  # with its account


N = NetworkState
NT = NetworkTransition

NETWORKS: Final[StateMachine[NetworkState, NetworkTransition]] = StateMachine(
    "network",
    MappingProxyType(
        {
            (N.AVAILABLE, NT.DELETE): N.DELETING,
            # asked again while its job is queued: the job is queued again
            (N.DELETING, NT.DELETE): N.DELETING,
            (N.DELETING, NT.SETTLE): N.DELETED,
            (N.DELETING, NT.FAIL): N.AVAILABLE,
            (N.AVAILABLE, NT.RETIRE): N.DELETED,
            (N.DELETING, NT.RETIRE): N.DELETED,
        }
    ),
)

#: A VPC is only rows (its networks are the libvirt part), so deleting one takes no job.
VPCS: Final[StateMachine[NetworkState, NetworkTransition]] = StateMachine(
    "vpc",
    MappingProxyType({(N.AVAILABLE, NT.DELETE): N.DELETED}),
)
