"""Core errors as each API reports them: one table keyed by the kind of error and the kind of
resource it concerns, with a column per API. Only data; a test checks every core error kind
has a row for any resource (``ANY``), so a new kind cannot reach a front end unnamed.

* EC2 has a code per resource (``InvalidKeyPair.Duplicate``) and the status AWS uses.
* CloudStack reports a missing or foreign entity id as a parameter error (431), not as "not
  found", because its API resolves ids while it validates parameters; clients rely on that.
* OCCI answers an HTTP status with a text body (GFD.185's table: 400 parse, 404 unknown,
  409 state, 503 backend); CIMI an HTTP status with its error body (the Sirocco mapping in
  ``../shared/specs/cimi.md``: 400 validation, 403 security, 404, 409 conflict, 503).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from core.errors import ErrorKind


@dataclass(frozen=True, slots=True)
class Ec2Code:
    code: str
    status: int = 400


@dataclass(frozen=True, slots=True)
class NativeCode:
    """CloudStack's ``errorcode`` (also the HTTP status) and ``cserrorcode``."""

    errorcode: int
    cserrorcode: int


@dataclass(frozen=True, slots=True)
class ErrorNames:
    ec2: Ec2Code
    native: NativeCode
    occi: int
    cimi: int


ANY: Final = "*"  # a row for every resource kind the table names no row for

_EC2_INVALID: Final = Ec2Code("InvalidParameterValue")
_EC2_INTERNAL: Final = Ec2Code("InternalError", 500)
_PARAM: Final = NativeCode(431, 4350)
_INTERNAL: Final = NativeCode(530, 9999)

E = ErrorKind


def _row(ec2: Ec2Code, native: NativeCode, occi: int, cimi: int) -> ErrorNames:
    return ErrorNames(ec2, native, occi, cimi)


def _conflict(ec2: str) -> ErrorNames:
    return _row(Ec2Code(ec2), _PARAM, 409, 409)


ERRORS: Final[Mapping[tuple[ErrorKind, str], ErrorNames]] = MappingProxyType(
    {
        (E.NOT_FOUND, ANY): _row(_EC2_INVALID, _PARAM, 404, 404),
        (E.CONFLICT, "key-pair"): _conflict("InvalidKeyPair.Duplicate"),
        (E.CONFLICT, "security-group"): _conflict("InvalidGroup.Duplicate"),
        (E.CONFLICT, "security-group-rule"): _conflict("InvalidPermission.Duplicate"),
        (E.CONFLICT, "image"): _conflict("InvalidAMIName.Duplicate"),
        (E.CONFLICT, "client-token"): _conflict("IdempotentParameterMismatch"),
        (E.CONFLICT, "network"): _conflict("InvalidSubnet.Conflict"),
        (E.CONFLICT, ANY): _conflict("InvalidParameterValue"),
        (E.IN_USE, "address"): _row(
            Ec2Code("InvalidIPAddress.InUse"), NativeCode(536, 4375), 409, 409
        ),
        (E.IN_USE, "volume"): _row(Ec2Code("VolumeInUse"), NativeCode(536, 4375), 409, 409),
        (E.IN_USE, "device"): _row(_EC2_INVALID, NativeCode(536, 4375), 409, 409),
        (E.IN_USE, ANY): _row(Ec2Code("DependencyViolation"), NativeCode(536, 4375), 409, 409),
        (E.INVALID_ARGUMENT, ANY): _row(_EC2_INVALID, _PARAM, 400, 400),
        (E.INVALID_STATE, "instance"): _row(Ec2Code("IncorrectInstanceState"), _PARAM, 409, 409),
        (E.INVALID_STATE, "security-group"): _row(Ec2Code("CannotDelete"), _PARAM, 409, 409),
        (E.INVALID_STATE, ANY): _row(Ec2Code("IncorrectState"), _PARAM, 409, 409),
        (E.NOT_PERMITTED, "instance"): _row(Ec2Code("OperationNotPermitted"), _PARAM, 403, 403),
        (E.NOT_PERMITTED, ANY): _row(Ec2Code("UnauthorizedOperation", 403), _PARAM, 403, 403),
        (E.QUOTA_EXCEEDED, "instances per request"): _row(
            Ec2Code("InstanceLimitExceeded"), NativeCode(532, 4280), 403, 403
        ),
        (E.QUOTA_EXCEEDED, "rules per security group"): _row(
            Ec2Code("RulesPerSecurityGroupLimitExceeded"), NativeCode(532, 4280), 403, 403
        ),
        (E.QUOTA_EXCEEDED, ANY): _row(
            Ec2Code("ResourceLimitExceeded"), NativeCode(532, 4280), 403, 403
        ),
        (E.CAPACITY_UNAVAILABLE, ANY): _row(
            Ec2Code("InsufficientInstanceCapacity", 500), NativeCode(533, 4325), 503, 503
        ),
        (E.HOST_ERROR, ANY): _row(_EC2_INTERNAL, NativeCode(530, 4250), 503, 503),
        (E.STORAGE_FULL, ANY): _row(
            Ec2Code("ServiceUnavailable", 503), NativeCode(530, 4250), 503, 503
        ),
        (E.INTERNAL, ANY): _row(_EC2_INTERNAL, _INTERNAL, 500, 500),
    }
)


def names_of(kind: ErrorKind | None, resource: str = ANY) -> ErrorNames:
    """The row for ``kind`` on ``resource``, else for any resource; no kind is internal."""
    kind = kind or ErrorKind.INTERNAL
    return ERRORS.get((kind, resource)) or ERRORS[(kind, ANY)]


def native_code(kind: ErrorKind | None) -> NativeCode:
    return names_of(kind).native


def ec2_code(kind: ErrorKind, resource: str) -> Ec2Code:
    return names_of(kind, resource).ec2
