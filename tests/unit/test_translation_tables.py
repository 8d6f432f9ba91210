"""Every translation table names every member of the core enum it is keyed by, so a new
state, job kind, resource kind or error kind cannot reach a front end without a name.

Tables are found, not listed: any public mapping in ``translations`` whose keys are members of
one core enum (or tuples led by one) is checked, so a table added later is checked too.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import translations
from core.enums import EventType, ImageState, JobKind, ResourceKind, SnapshotState, VolumeState
from core.errors import ErrorKind
from core.states import InstanceState
from translations.errors import ANY, ERRORS

# Tables that name only some members on purpose, and why.
PARTIAL = {
    "translations.ec2.ATTACHMENT_STATES": "an attachment's state exists only while attached",
}
# Enums every front end must be able to name.
MUST_HAVE_TABLES = (
    InstanceState,
    VolumeState,
    SnapshotState,
    ImageState,
    JobKind,
    ResourceKind,
    ErrorKind,
)


def _enum_of(key: Any) -> type[enum.Enum] | None:
    head = key[0] if isinstance(key, tuple) and key else key
    return type(head) if isinstance(head, enum.Enum) else None


def tables() -> Iterator[tuple[str, Mapping[Any, Any], type[enum.Enum]]]:
    for module_info in pkgutil.iter_modules(translations.__path__, "translations."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if name.startswith("_") or not isinstance(value, Mapping) or not value:
                continue
            kinds = {_enum_of(key) for key in value}
            if len(kinds) == 1 and (kind := kinds.pop()) is not None:
                yield f"{module_info.name}.{name}", value, kind


FOUND = list(tables())


@pytest.mark.parametrize(
    ("table", "kind"),
    [pytest.param(t, k, id=name) for name, t, k in FOUND if name not in PARTIAL],
)
def test_every_member_has_a_row(table: Mapping[Any, Any], kind: type[enum.Enum]) -> None:
    named = {key[0] if isinstance(key, tuple) else key for key in table}
    assert set(kind) - named == set()


@pytest.mark.parametrize("kind", MUST_HAVE_TABLES, ids=lambda k: k.__name__)
def test_each_core_enum_has_a_table(kind: type[enum.Enum]) -> None:
    assert any(k is kind for _name, _table, k in FOUND)


@pytest.mark.parametrize("kind", list(ErrorKind), ids=lambda k: k.value)
def test_every_error_kind_has_a_row_for_any_resource(kind: ErrorKind) -> None:
    names = ERRORS[(kind, ANY)]
    assert names.ec2.code and 400 <= names.ec2.status < 600
    assert 400 <= names.native.errorcode < 600
    assert 400 <= names.occi < 600 and 400 <= names.cimi < 600


def test_the_partial_tables_exist() -> None:
    """A renamed table must not quietly leave the partial list stale."""
    assert set(PARTIAL) <= {name for name, _table, _kind in FOUND}


def test_event_types_are_cloudstacks_own_names() -> None:
    """Event types are CloudStack's strings in core itself (DESIGN rule 6), so every API
    shows the same names and no table is needed; they must look like CloudStack's."""
    assert all(t.value.replace("_", ".").replace(".", "").isalnum() for t in EventType)
