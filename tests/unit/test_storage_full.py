"""A database that cannot grow (``full_database``: the SQLITE_FULL a full disk gives) refuses
writes as ``StorageFull``, the error every API answers as "unavailable, try again": nothing is
half-written, and the same calls succeed once there is room again."""

from __future__ import annotations

from core.errors import StorageFull
from core.services.container import Services
from core.views import Caller, SecurityGroupQuery
from tests.unit.helpers import full_database


def fill(services: Services, caller: Caller) -> int:
    """Security groups made until the database is full; the number of the one refused."""
    for made in range(1, 2001):
        try:
            services.security_groups.create_group(caller, f"group-{made}", description="x" * 200)
        except StorageFull:
            return made
    raise AssertionError("2,000 groups and the database never filled")


def _names(services: Services, caller: Caller) -> set[str]:
    return {
        g.name for g in services.security_groups.list_groups(caller, SecurityGroupQuery()).items
    }


def test_a_full_database_refuses_writes_and_keeps_nothing_of_them(
    services: Services, alice: Caller
) -> None:
    with full_database(services):
        refused = fill(services, alice)
        names = _names(services, alice)
    assert f"group-{refused - 1}" in names and f"group-{refused}" not in names
    services.security_groups.create_group(alice, f"group-{refused}")
    assert f"group-{refused}" in _names(services, alice)
