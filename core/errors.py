"""What core raises. Front ends render these through ``translations/errors.py``.

Core errors carry core facts only (the kind of resource, its ref, its state); each API's wire
code is looked up from these facts in ``translations``, never stored here.

* CoreError                        (each class's ``kind_of_error`` is an ``ErrorKind``)
  + NotFound(kind, ref)            the caller cannot see a resource by that id or name
  + Conflict(kind, ref, reason)    a unique name is taken, or a value clashes with another
    + InUse(kind, ref, reason)     the resource is attached to or cited by another one
  + InvalidArgument(field, why)    a value the caller sent is malformed or out of range
  + InvalidState(kind, ref, state, action)   the state machine refuses the action
  + NotPermitted(kind, ref, reason) a setting of the resource, or the caller's role, forbids it
  + QuotaExceeded(resource, limit) a per-request or per-account limit
  + CapacityUnavailable(resource)  no host can fit the request
  + StorageFull                    the database's disk is full
  + HostError(message)             libvirt failed in a way the caller cannot fix
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ErrorKind(enum.Enum):
    """What went wrong, as every API's error tables key it; a failed job records it too."""

    NOT_FOUND = "not-found"
    CONFLICT = "conflict"
    IN_USE = "in-use"
    INVALID_ARGUMENT = "invalid-argument"
    INVALID_STATE = "invalid-state"
    NOT_PERMITTED = "not-permitted"
    QUOTA_EXCEEDED = "quota-exceeded"
    CAPACITY_UNAVAILABLE = "capacity-unavailable"
    HOST_ERROR = "host-error"
    STORAGE_FULL = "storage-full"  # the database's disk: nothing could be written, try later
    INTERNAL = "internal"  # a bug: its details go to the log, never to the caller

    @classmethod
    def of(cls, stored: str | None) -> ErrorKind | None:
        """A failed job's stored kind; one this version does not know is internal."""
        if stored is None:
            return None
        try:
            return cls(stored)
        except ValueError:
            return cls.INTERNAL


class CoreError(Exception):
    """Base of every error that crosses the core boundary."""

    kind_of_error: ClassVar[ErrorKind] = ErrorKind.INTERNAL


class NotFound(CoreError):
    kind_of_error = ErrorKind.NOT_FOUND

    def __init__(self, kind: str, ref: str) -> None:
        super().__init__(f"{kind} {ref!r} does not exist")
        self.kind = kind
        self.ref = ref


class Conflict(CoreError):
    kind_of_error = ErrorKind.CONFLICT

    def __init__(self, kind: str, ref: str, reason: str) -> None:
        super().__init__(f"{kind} {ref!r}: {reason}")
        self.kind = kind
        self.ref = ref
        self.reason = reason


class InUse(Conflict):
    """A Conflict that goes away once the user detaches or deletes what holds the resource;
    APIs word it differently from a taken name (CloudStack 536, EC2 ``*.InUse``)."""

    kind_of_error = ErrorKind.IN_USE


class InvalidArgument(CoreError):
    kind_of_error = ErrorKind.INVALID_ARGUMENT

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field
        self.why = why


class InvalidState(CoreError):
    kind_of_error = ErrorKind.INVALID_STATE

    def __init__(self, kind: str, ref: str, state: str, action: str) -> None:
        super().__init__(f"cannot {action} {kind} {ref!r} while it is {state}")
        self.kind = kind
        self.ref = ref
        self.state = state
        self.action = action


class NotPermitted(CoreError):
    """The action is valid but forbidden: termination protection is on, or only an
    administrator may do it. The caller can change that setting, or ask someone who may."""

    kind_of_error = ErrorKind.NOT_PERMITTED

    def __init__(self, kind: str, ref: str, reason: str) -> None:
        super().__init__(f"{kind} {ref!r}: {reason}")
        self.kind = kind
        self.ref = ref
        self.reason = reason


class QuotaExceeded(CoreError):
    kind_of_error = ErrorKind.QUOTA_EXCEEDED

    def __init__(self, resource: str, limit: int) -> None:
        super().__init__(f"{resource}: the limit is {limit}")
        self.resource = resource
        self.limit = limit


class CapacityUnavailable(CoreError):
    kind_of_error = ErrorKind.CAPACITY_UNAVAILABLE

    def __init__(self, resource: str) -> None:
        super().__init__(f"no host has enough free {resource}")
        self.resource = resource


class StorageFull(CoreError):
    """The database could not write for want of space. Nothing was written (the transaction
    rolled back): the same call succeeds once an operator frees space, so APIs answer it as
    their "unavailable, try again" error, which SDKs retry, not as an internal error."""

    kind_of_error = ErrorKind.STORAGE_FULL

    def __init__(self) -> None:
        super().__init__("the cloud's storage is full; nothing was changed, try again later")


class HostError(CoreError):
    """libvirt refused or failed; the message is safe to show, the details go to the log."""

    kind_of_error = ErrorKind.HOST_ERROR
