"""The state machines of volumes, snapshots, images, networks and VPCs, written out independently
of core.states and compared whole: every (state, transition) pair of every kind is walked."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from core.enums import ImageState as IM
from core.enums import NetworkState as N
from core.enums import SnapshotState as SN
from core.enums import VolumeState as V
from core.errors import InvalidState
from core.states import (
    IMAGES,
    INSTANCES,
    NETWORKS,
    SNAPSHOTS,
    VOLUMES,
    VPCS,
    InstanceState,
    StateMachine,
    Transition,
    transitions,
)
from core.states import ImageTransition as IT
from core.states import NetworkTransition as NT
from core.states import SnapshotTransition as ST
from core.states import VolumeTransition as VT

Table = Mapping[tuple[enum.Enum, enum.Enum], enum.Enum]
Machine = StateMachine[Any, Any]  # each kind has its own pair of enums

VOLUME_TABLE: Table = {
    # creating → available ⇄ (attaching → in-use ⇄ detaching); deleting → deleted; error
    (V.CREATING, VT.SETTLE): V.AVAILABLE,
    (V.CREATING, VT.FAIL): V.ERROR,
    (V.CREATING, VT.LAUNCH): V.IN_USE,  # a root volume, when its instance is launched
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
    # actions that keep the state
    (V.AVAILABLE, VT.RESIZE): V.AVAILABLE,
    (V.IN_USE, VT.RESIZE): V.IN_USE,
    (V.AVAILABLE, VT.SNAPSHOT): V.AVAILABLE,
    (V.IN_USE, VT.SNAPSHOT): V.IN_USE,
    # its instance is gone: a data volume is left available
    (V.ATTACHING, VT.RELEASE): V.AVAILABLE,
    (V.IN_USE, VT.RELEASE): V.AVAILABLE,
    (V.DETACHING, VT.RELEASE): V.AVAILABLE,
    # gone with its instance (a root volume) or its account, whatever it was doing
    (V.CREATING, VT.RETIRE): V.DELETED,
    (V.AVAILABLE, VT.RETIRE): V.DELETED,
    (V.ATTACHING, VT.RETIRE): V.DELETED,
    (V.IN_USE, VT.RETIRE): V.DELETED,
    (V.DETACHING, VT.RETIRE): V.DELETED,
    (V.DELETING, VT.RETIRE): V.DELETED,
    (V.ERROR, VT.RETIRE): V.DELETED,
}

SNAPSHOT_TABLE: Table = {
    (SN.PENDING, ST.SETTLE): SN.COMPLETED,
    (SN.PENDING, ST.FAIL): SN.ERROR,
    (SN.COMPLETED, ST.COPY): SN.COMPLETED,
    (SN.COMPLETED, ST.DELETE): SN.DELETING,
    (SN.ERROR, ST.DELETE): SN.DELETING,
    (SN.DELETING, ST.SETTLE): SN.DELETED,
    (SN.DELETING, ST.FAIL): SN.ERROR,
    (SN.PENDING, ST.RETIRE): SN.DELETED,
    (SN.COMPLETED, ST.RETIRE): SN.DELETED,
    (SN.DELETING, ST.RETIRE): SN.DELETED,
    (SN.ERROR, ST.RETIRE): SN.DELETED,
}

IMAGE_TABLE: Table = {
    (IM.PENDING, IT.SETTLE): IM.AVAILABLE,
    (IM.PENDING, IT.FAIL): IM.FAILED,
    (IM.PENDING, IT.DEREGISTER): IM.DEREGISTERED,
    (IM.AVAILABLE, IT.DEREGISTER): IM.DEREGISTERED,
    (IM.FAILED, IT.DEREGISTER): IM.DEREGISTERED,
}

NETWORK_TABLE: Table = {
    (N.AVAILABLE, NT.DELETE): N.DELETING,
    (N.DELETING, NT.DELETE): N.DELETING,  # asked again while the first job is queued
    (N.DELETING, NT.SETTLE): N.DELETED,
    (N.DELETING, NT.FAIL): N.AVAILABLE,
    (N.AVAILABLE, NT.RETIRE): N.DELETED,
    (N.DELETING, NT.RETIRE): N.DELETED,
}

VPC_TABLE: Table = {
    (N.AVAILABLE, NT.DELETE): N.DELETED,  # no host work, so no job and no DELETING
}

KINDS: list[tuple[Machine, Table, type[enum.Enum], type[enum.Enum]]] = [
    (VOLUMES, VOLUME_TABLE, V, VT),
    (SNAPSHOTS, SNAPSHOT_TABLE, SN, ST),
    (IMAGES, IMAGE_TABLE, IM, IT),
    (NETWORKS, NETWORK_TABLE, N, NT),
    (VPCS, VPC_TABLE, N, NT),
]

MACHINES = [pytest.param(machine, table, id=machine.kind) for machine, table, _, _ in KINDS]

ALL_PAIRS = [
    pytest.param(
        machine, table, state, transition, id=f"{machine.kind}-{state.value}-{transition.value}"
    )
    for machine, table, states, verbs in KINDS
    for state, transition in itertools.product(states, verbs)
]


@pytest.mark.parametrize(("machine", "table", "state", "transition"), ALL_PAIRS)
def test_every_pair(
    machine: Machine,
    table: Table,
    state: enum.Enum,
    transition: enum.Enum,
) -> None:
    if (state, transition) in table:
        assert machine.allowed(state, transition)
        assert machine.next_state(state, transition, ref="abc") is table[(state, transition)]
        machine.check(state, transition, ref="abc")
    else:
        assert not machine.allowed(state, transition)
        for refuse in (machine.next_state, machine.check):
            with pytest.raises(InvalidState) as refused:
                refuse(state, transition, ref="abc")
            assert (
                refused.value.kind,
                refused.value.ref,
                refused.value.state,
                refused.value.action,
            ) == (machine.kind, "abc", state.value, transition.value)


@pytest.mark.parametrize(("machine", "table"), MACHINES)
def test_table_is_exactly_the_expected_one(machine: Machine, table: Table) -> None:
    assert dict(machine.table) == table


def _states_in(table: Table) -> set[enum.Enum]:
    return {state for state, _ in table} | set(table.values())


@pytest.mark.parametrize(
    ("machine", "states"),
    [
        pytest.param(INSTANCES, set(InstanceState), id="instance"),
        pytest.param(VOLUMES, set(V), id="volume"),
        pytest.param(SNAPSHOTS, set(SN), id="snapshot"),
        pytest.param(IMAGES, set(IM), id="image"),
        pytest.param(NETWORKS, set(N), id="network"),
        # VPCs share the network states but are deleted at once: never DELETING
        pytest.param(VPCS, set(N) - {N.DELETING}, id="vpc"),
    ],
)
def test_every_state_is_in_its_table(machine: Machine, states: set[enum.Enum]) -> None:
    assert _states_in(machine.table) == states


@pytest.mark.parametrize(
    ("machine", "final"),
    [
        pytest.param(VOLUMES, V.DELETED, id="volume"),
        pytest.param(SNAPSHOTS, SN.DELETED, id="snapshot"),
        pytest.param(IMAGES, IM.DEREGISTERED, id="image"),
        pytest.param(NETWORKS, N.DELETED, id="network"),
        pytest.param(VPCS, N.DELETED, id="vpc"),
        pytest.param(INSTANCES, InstanceState.TERMINATED, id="instance"),
    ],
)
def test_final_state_allows_nothing(machine: Machine, final: enum.Enum) -> None:
    assert not any(state is final for state, _ in machine.table)


def test_instance_functions_read_the_instance_machine() -> None:
    assert INSTANCES.table is transitions()
    assert INSTANCES.kind == "instance"
    assert INSTANCES.next_state(InstanceState.STOPPED, Transition.START) is InstanceState.PENDING
