"""Every core instance state has a name in each API, from each API's own set."""

from __future__ import annotations

import pytest

from core.states import InstanceState
from translations.states import INSTANCE_STATES

EC2_STATES = {
    ("pending", 0),
    ("running", 16),
    ("shutting-down", 32),
    ("terminated", 48),
    ("stopping", 64),
    ("stopped", 80),
}
NATIVE_STATES = {
    "Starting",
    "Running",
    "Stopping",
    "Stopped",
    "Destroyed",
    "Expunging",
    "Migrating",
    "Error",
}  # the subset libcloud's NODE_STATE_MAP knows
OCCI_STATES = {"active", "inactive", "suspended", "error"}
CIMI_STATES = {
    "CREATING",
    "STARTING",
    "STARTED",
    "STOPPING",
    "STOPPED",
    "PAUSING",
    "PAUSED",
    "SUSPENDING",
    "SUSPENDED",
    "CAPTURING",
    "RESTORING",
    "DELETING",
    "ERROR",
    "FAILED",
}


def test_every_core_state_has_a_row() -> None:
    assert set(INSTANCE_STATES) == set(InstanceState)


@pytest.mark.parametrize("state", list(InstanceState), ids=lambda s: s.value)
def test_names_come_from_each_apis_set(state: InstanceState) -> None:
    names = INSTANCE_STATES[state]
    assert names.ec2 in EC2_STATES
    assert names.native in NATIVE_STATES
    assert names.occi in OCCI_STATES
    assert names.cimi in CIMI_STATES


@pytest.mark.parametrize(
    ("state", "ec2", "native", "occi", "cimi"),
    [
        pytest.param(
            InstanceState.RUNNING, ("running", 16), "Running", "active", "STARTED", id="running"
        ),
        pytest.param(
            InstanceState.STOPPED, ("stopped", 80), "Stopped", "inactive", "STOPPED", id="stopped"
        ),
        pytest.param(
            InstanceState.PENDING, ("pending", 0), "Starting", "inactive", "STARTING", id="pending"
        ),
    ],
)
def test_design_examples(
    state: InstanceState, ec2: tuple[str, int], native: str, occi: str, cimi: str
) -> None:
    assert INSTANCE_STATES[state].ec2 == ec2
    assert (
        INSTANCE_STATES[state].native,
        INSTANCE_STATES[state].occi,
        INSTANCE_STATES[state].cimi,
    ) == (native, occi, cimi)
