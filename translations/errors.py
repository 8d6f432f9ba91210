"""Core error kinds (``CoreError.kind_of_error`` and a failed job's ``error_kind``) as each API
names them. Only data; a test checks every core error kind has a row.

CloudStack reports a missing or foreign entity id as a parameter error (431), not as "not found",
because its API resolves ids while it validates parameters; clients rely on that code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class NativeCode:
    """CloudStack's ``errorcode`` (also the HTTP status) and ``cserrorcode``."""

    errorcode: int
    cserrorcode: int


NATIVE_PARAM_ERROR: Final = NativeCode(431, 4350)
NATIVE_INTERNAL_ERROR: Final = NativeCode(530, 9999)

NATIVE_ERRORS: Final[Mapping[str, NativeCode]] = MappingProxyType(
    {
        "not-found": NATIVE_PARAM_ERROR,
        "conflict": NATIVE_PARAM_ERROR,
        "in-use": NativeCode(536, 4375),
        "invalid-argument": NATIVE_PARAM_ERROR,
        "invalid-state": NATIVE_PARAM_ERROR,
        "not-permitted": NATIVE_PARAM_ERROR,
        "quota-exceeded": NativeCode(532, 4280),
        "capacity-unavailable": NativeCode(533, 4325),
        "host-error": NativeCode(530, 4250),
        "internal": NATIVE_INTERNAL_ERROR,
    }
)


def native_code(kind_of_error: str | None) -> NativeCode:
    return NATIVE_ERRORS.get(kind_of_error or "internal", NATIVE_INTERNAL_ERROR)
