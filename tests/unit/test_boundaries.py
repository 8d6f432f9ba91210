"""Layer rules that imports can break: core and translations never reach into gateway, and
translations stays free of I/O. ``lint-imports`` checks the same statically (contracts in
pyproject.toml); these tests check what an import really loads, and that the contracts cover
every core module."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.unit.core_source import invalid_argument_fields

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PUBLIC_CORE_MODULES = {
    "core.enums",
    "core.errors",
    "core.predicates",
    "core.settings",
    "core.states",
    "core.text",
    "core.views",
}

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

    assert {
        "Services",
        "CoreSettings",
        "Caller",
        "CoreError",
        "LaunchRequest",
        "ensure_installation",
        "ADMIN_ACCOUNT",
    } <= set(core.__all__)
    for name in core.__all__:
        assert getattr(getattr(core, name), "__name__", name) == name  # constants have none
    with pytest.raises(AttributeError):
        _ = core.Database  # persistence is not part of the surface


def test_every_core_module_is_public_or_protected() -> None:
    """A new core module is internal until decided otherwise: the protected contract names it,
    or it joins the value modules front ends may import. No export may share a submodule's
    name, which would shadow it once the submodule is imported (``core.bootstrap``)."""
    import core

    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    (protected,) = (set(c["protected_modules"]) for c in contracts if c["type"] == "protected")
    children = {f"core.{found.name}" for found in pkgutil.iter_modules(core.__path__)}
    assert not protected & PUBLIC_CORE_MODULES
    assert children == protected | PUBLIC_CORE_MODULES
    assert not {f"core.{name}" for name in core.__all__} & children


# an f-string word such as ``i-{ref}`` (a host object named ``cloudgate-sg-{…}`` is not one)
EC2_ID_TEXT = re.compile(r"""f["'](?:[^"']*\s)?(?:i|vol|snap|ami|sg|eni|eipalloc)-\{""")


def test_core_writes_no_api_ids_into_its_texts() -> None:
    """Names, event texts and errors in core name resources in core's words; ``i-…`` and its
    kin are EC2's rendering of a ref, done in gateway/ec2."""
    core = Path(__file__).parents[2] / "core"
    found = [
        f"{path.relative_to(core)}:{number}"
        for path in core.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if EC2_ID_TEXT.search(line)
    ]
    assert found == []


SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def test_core_names_refused_arguments_in_its_own_snake_case() -> None:
    """``InvalidArgument`` names the argument in core's words (``size``, ``group_name``), never
    an API's member (``Size``, ``GroupName``): each front end shows its own name for it through
    ``translations/fields.py``."""
    fields = invalid_argument_fields()
    assert {"size", "key_name", "protocol", "peer_cidr", "cidr_block"} <= set(fields)  # found
    assert {name: where for name, where in fields.items() if not SNAKE_CASE.fullmatch(name)} == {}
