"""The folder sets the kind of test: ``unit``, ``contract`` or ``integration``, nothing else.

A unit test that asks for a real-host fixture fails at collection, so fast tests can't quietly
start depending on libvirtd.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

TESTS: Final = Path(__file__).parent
KINDS: Final = ("unit", "contract", "integration")
REAL_HOST_FIXTURES: Final = frozenset({"cloud", "tiny_image", "qemu_conn", "postgres_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        kind = Path(str(item.path)).relative_to(TESTS).parts[0]
        if kind not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: tests live in {' or '.join(KINDS)}/")
        item.add_marker(getattr(pytest.mark, kind))
        fixtures = set(getattr(item, "fixturenames", ()))
        if kind == "unit" and fixtures & REAL_HOST_FIXTURES:
            raise pytest.UsageError(
                f"{item.nodeid}: a unit test may not use {sorted(fixtures & REAL_HOST_FIXTURES)}"
            )
