"""OCCI's names for core states beside the instance table in ``states``: storage and network
(GFD.184 / GFD.224 state models), and the state of the links between them. Only data.

* OCCI 1.1 storage has no ``error`` (1.2 adds it): 1.1 shows ``degraded``, the closest state it
  has for a volume that no longer works.
* A volume being created, attached or detached is ``offline``: not usable by a guest yet (or
  any more), and OCCI has no transitional storage state.
* 1.1 compute has no ``error`` either: ``inactive`` there, with a message (see ``states``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from core.enums import NetworkState, VolumeState
from core.states import InstanceState
from translations.states import INSTANCE_STATES

V = VolumeState

STORAGE_STATES: Final[Mapping[VolumeState, str]] = MappingProxyType(
    {
        V.CREATING: "offline",
        V.AVAILABLE: "online",
        V.ATTACHING: "offline",
        V.IN_USE: "online",
        V.DETACHING: "offline",
        V.DELETING: "offline",
        V.DELETED: "offline",
        V.ERROR: "error",
    }
)

NETWORK_STATES: Final[Mapping[NetworkState, str]] = MappingProxyType(
    {
        NetworkState.AVAILABLE: "active",
        NetworkState.DELETING: "inactive",
        NetworkState.DELETED: "inactive",
    }
)

ERROR_WORDS_1_1: Final[Mapping[str, str]] = MappingProxyType(
    {"compute": "inactive", "storage": "degraded"}
)


def compute_state(state: InstanceState, version: tuple[int, int]) -> str:
    name = INSTANCE_STATES[state].occi
    return ERROR_WORDS_1_1["compute"] if name == "error" and version < (1, 2) else name


def storage_state(state: VolumeState, version: tuple[int, int]) -> str:
    name = STORAGE_STATES[state]
    return ERROR_WORDS_1_1["storage"] if name == "error" and version < (1, 2) else name


def link_state(active: bool) -> str:
    """A network interface or storage link is active while its compute runs."""
    return "active" if active else "inactive"
