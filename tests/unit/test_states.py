"""The instance state machine, written out independently of core.states and compared whole."""

from __future__ import annotations

import itertools

import pytest

from core.errors import InvalidState
from core.states import InstanceState as S
from core.states import Transition as T
from core.states import allowed, next_state, transitions

EXPECTED = {
    # pending → running ⇄ stopping → stopped → pending; rebooting; shutting-down → terminated
    (S.STOPPED, T.START): S.PENDING,
    (S.RUNNING, T.STOP): S.STOPPING,
    (S.REBOOTING, T.STOP): S.STOPPING,  # queued behind the reboot, as EC2 does
    (S.RUNNING, T.REBOOT): S.REBOOTING,
    **{
        (state, T.TERMINATE): S.SHUTTING_DOWN
        for state in (
            S.PENDING,
            S.RUNNING,
            S.STOPPING,
            S.STOPPED,
            S.REBOOTING,
            S.ERROR,
            S.DESTROYED,
            S.RESTORING,
        )
    },
    # CloudStack's recoverable destroy: shutting-down → destroyed → (recover) stopped
    **{
        (state, T.DESTROY): S.SHUTTING_DOWN
        for state in (
            S.PENDING,
            S.RUNNING,
            S.STOPPING,
            S.STOPPED,
            S.REBOOTING,
            S.RESTORING,
            S.ERROR,
        )
    },
    (S.SHUTTING_DOWN, T.RETAIN): S.DESTROYED,
    (S.DESTROYED, T.RECOVER): S.STOPPED,
    # a root disk rebuilt from its image, ending as the instance was
    (S.RUNNING, T.RESTORE): S.RESTORING,
    (S.STOPPED, T.RESTORE): S.RESTORING,
    (S.RESTORING, T.SETTLE): S.RUNNING,
    (S.RESTORING, T.DEFINE): S.STOPPED,
    (S.PENDING, T.SETTLE): S.RUNNING,
    (S.PENDING, T.DEFINE): S.STOPPED,
    (S.STOPPING, T.SETTLE): S.STOPPED,
    (S.REBOOTING, T.SETTLE): S.RUNNING,
    (S.SHUTTING_DOWN, T.SETTLE): S.TERMINATED,
    **{
        (state, T.FAIL): S.ERROR
        for state in (S.PENDING, S.STOPPING, S.REBOOTING, S.SHUTTING_DOWN, S.RESTORING)
    },
    # the host unreachable: back to what it last reported (a launch fails instead)
    (S.STOPPING, T.GIVE_UP): S.RUNNING,
    (S.REBOOTING, T.GIVE_UP): S.RUNNING,
    (S.PENDING, T.GIVE_UP): S.STOPPED,
    # what the reconciler sees on the host, which also repairs an instance in error
    (S.RUNNING, T.POWER_OFF): S.STOPPED,
    (S.ERROR, T.POWER_OFF): S.STOPPED,
    (S.STOPPED, T.POWER_ON): S.RUNNING,
    (S.ERROR, T.POWER_ON): S.RUNNING,
    (S.RUNNING, T.VANISH): S.ERROR,
    (S.STOPPED, T.VANISH): S.ERROR,
}

ALL_PAIRS = list(itertools.product(S, T))


@pytest.mark.parametrize(
    ("state", "transition"), ALL_PAIRS, ids=[f"{s.value}-{t.value}" for s, t in ALL_PAIRS]
)
def test_every_pair(state: S, transition: T) -> None:
    if (state, transition) in EXPECTED:
        assert allowed(state, transition)
        assert next_state(state, transition, ref="abc") is EXPECTED[(state, transition)]
    else:
        assert not allowed(state, transition)
        with pytest.raises(InvalidState) as refused:
            next_state(state, transition, ref="abc")
        assert (refused.value.state, refused.value.action, refused.value.ref) == (
            state.value,
            transition.value,
            "abc",
        )


def test_table_is_exactly_the_expected_one() -> None:
    assert dict(transitions()) == EXPECTED


def test_terminated_is_final() -> None:
    assert not any(allowed(S.TERMINATED, t) for t in T)
