"""The one domain model behind all four APIs: what front ends may use, and nothing else.

Front ends build ``Services`` from ``CoreSettings``, call its services with a ``Caller`` and
render the frozen views and core errors they get back (DESIGN rules 1 and 2). The command line
also runs ``ensure_installation`` and builds the tiny test image. import-linter (``lint-imports``,
contracts in pyproject.toml) keeps front ends from importing any other core module.

Names load on first use, so importing a light module such as ``core.states`` (as
``translations`` does) does not pull in the database and libvirt layers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.bootstrap import BootstrapResult as BootstrapResult
    from core.bootstrap import ensure_installation as ensure_installation
    from core.enums import EventLevel as EventLevel
    from core.enums import EventState as EventState
    from core.enums import EventType as EventType
    from core.enums import JobKind as JobKind
    from core.enums import JobStatus as JobStatus
    from core.enums import Protocol as Protocol
    from core.enums import ResourceKind as ResourceKind
    from core.enums import VirtType as VirtType
    from core.errors import CapacityUnavailable as CapacityUnavailable
    from core.errors import Conflict as Conflict
    from core.errors import CoreError as CoreError
    from core.errors import HostError as HostError
    from core.errors import InvalidArgument as InvalidArgument
    from core.errors import InvalidState as InvalidState
    from core.errors import NotFound as NotFound
    from core.errors import QuotaExceeded as QuotaExceeded
    from core.hosts.tiny_image import build_tiny_image as build_tiny_image
    from core.installation import ADMIN_ACCOUNT as ADMIN_ACCOUNT
    from core.network.rules import Direction as Direction
    from core.services.compute import LaunchRequest as LaunchRequest
    from core.services.container import Services as Services
    from core.services.images import Digest as Digest
    from core.services.storage import DATA_DEVICES as DATA_DEVICES
    from core.settings import CoreSettings as CoreSettings
    from core.states import InstanceState as InstanceState
    from core.views import Caller as Caller
    from core.views import InstanceQuery as InstanceQuery

_HOMES = {
    "ADMIN_ACCOUNT": "core.installation",
    "BootstrapResult": "core.bootstrap",
    "Caller": "core.views",
    "CapacityUnavailable": "core.errors",
    "Conflict": "core.errors",
    "CoreError": "core.errors",
    "CoreSettings": "core.settings",
    "DATA_DEVICES": "core.services.storage",
    "Digest": "core.services.images",
    "Direction": "core.network.rules",
    "EventLevel": "core.enums",
    "EventState": "core.enums",
    "EventType": "core.enums",
    "HostError": "core.errors",
    "InstanceQuery": "core.views",
    "InstanceState": "core.states",
    "InvalidArgument": "core.errors",
    "InvalidState": "core.errors",
    "JobKind": "core.enums",
    "JobStatus": "core.enums",
    "LaunchRequest": "core.services.compute",
    "NotFound": "core.errors",
    "Protocol": "core.enums",
    "QuotaExceeded": "core.errors",
    "ResourceKind": "core.enums",
    "Services": "core.services.container",
    "VirtType": "core.enums",
    "build_tiny_image": "core.hosts.tiny_image",
    "ensure_installation": "core.bootstrap",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
