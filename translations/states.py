"""Instance states as each API names them (DESIGN rule 4). Only data; a test checks every core
state has a row.

Odd cases, each a choice a front end may refine with more facts than the state alone:

* EC2 keeps ``running`` while an instance reboots, as AWS does.
* EC2 has no error state: an instance in error shows ``stopped`` (it still exists and can be
  terminated) and the front end explains why in ``stateReason``.
* OCCI 1.1 has no ``error``; the OCCI front end shows ``inactive`` with a message on 1.1.
* CIMI has no terminal "deleted" state: terminated machines leave CIMI collections.
* A CloudStack-destroyed instance (disks kept, recoverable) is ``terminated`` to EC2, which has
  no recoverable state; CIMI and OCCI see it stopped until it is expunged.
* Restoring a root disk: CloudStack itself stops and starts the VM around the swap (its
  ``Restoring`` state belongs to backups), and libcloud cannot parse ``Restoring``: ``Starting``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from core.states import InstanceState


@dataclass(frozen=True, slots=True)
class StateNames:
    ec2: tuple[str, int]
    native: str
    occi: str
    cimi: str


S = InstanceState

INSTANCE_STATES: Final[Mapping[InstanceState, StateNames]] = MappingProxyType(
    {
        #                  ec2 (name, code)          native        occi        cimi
        S.PENDING: StateNames(("pending", 0), "Starting", "inactive", "STARTING"),
        S.RUNNING: StateNames(("running", 16), "Running", "active", "STARTED"),
        S.STOPPING: StateNames(("stopping", 64), "Stopping", "active", "STOPPING"),
        S.STOPPED: StateNames(("stopped", 80), "Stopped", "inactive", "STOPPED"),
        S.REBOOTING: StateNames(("running", 16), "Running", "active", "STARTING"),
        S.SHUTTING_DOWN: StateNames(("shutting-down", 32), "Expunging", "inactive", "DELETING"),
        S.TERMINATED: StateNames(("terminated", 48), "Destroyed", "inactive", "DELETING"),
        S.ERROR: StateNames(("stopped", 80), "Error", "error", "ERROR"),
        S.DESTROYED: StateNames(("terminated", 48), "Destroyed", "inactive", "STOPPED"),
        S.RESTORING: StateNames(("pending", 0), "Starting", "inactive", "STARTING"),
    }
)
