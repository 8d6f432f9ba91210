"""Layer rules that imports can break: core and translations never reach into gateway, and
translations stays free of I/O."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN_FOR_TRANSLATIONS = (
    "gateway",
    "sqlalchemy",
    "libvirt",
    "starlette",
    "socket",
    "subprocess",
)


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "module", ["core.services.container", "core.hosts.libvirt_driver", "translations.states"]
)
def test_core_and_translations_do_not_import_gateway(module: str) -> None:
    assert not {m for m in _modules_after_import(module) if m.split(".")[0] == "gateway"}


def test_translations_import_no_io() -> None:
    loaded = _modules_after_import("translations.states")
    assert not {m for m in loaded if m.split(".")[0] in FORBIDDEN_FOR_TRANSLATIONS}


def test_core_exports_its_public_surface_lazily() -> None:
    import core

    assert {"Services", "CoreSettings", "Caller", "CoreError", "LaunchRequest"} <= set(core.__all__)
    for name in core.__all__:
        assert getattr(core, name).__name__ == name
    with pytest.raises(AttributeError):
        _ = core.Database  # persistence is not part of the surface
