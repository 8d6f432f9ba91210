"""The instance state machine: the one place that decides which action is allowed when.

Every transition an instance can make is a row of ``_TRANSITIONS``. User actions (start, stop,
reboot, terminate, destroy, restore) move a settled instance into a transitional state and queue
a job; the job's outcome (settle or fail) and what the reconciler sees on the host (the guest
powered itself off, the domain vanished) finish the move. Recovering a destroyed instance is
the one action with no host work: its guest is already defined and shut off.
Anything not in the table is refused with InvalidState.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from core.errors import InvalidState


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
    POWER_OFF = "power-off"  # the reconciler found the guest shut off from inside
    VANISH = "vanish"  # the reconciler found the domain gone from its host


S = InstanceState
T = Transition

_TRANSITIONS: Final[Mapping[tuple[InstanceState, Transition], InstanceState]] = MappingProxyType(
    {
        (S.STOPPED, T.START): S.PENDING,
        (S.RUNNING, T.STOP): S.STOPPING,
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
        (S.RUNNING, T.POWER_OFF): S.STOPPED,
        (S.RUNNING, T.VANISH): S.ERROR,
        (S.STOPPED, T.VANISH): S.ERROR,
    }
)


def next_state(state: InstanceState, transition: Transition, *, ref: str = "") -> InstanceState:
    """The state after ``transition``, or InvalidState naming the refused action."""
    try:
        return _TRANSITIONS[(state, transition)]
    except KeyError:
        raise InvalidState("instance", ref, state.value, transition.value) from None


def allowed(state: InstanceState, transition: Transition) -> bool:
    return (state, transition) in _TRANSITIONS


def transitions() -> Mapping[tuple[InstanceState, Transition], InstanceState]:
    """The whole table, read-only: for tests and for front ends that list allowed actions."""
    return _TRANSITIONS
