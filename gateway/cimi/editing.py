"""PUT on a resource (DSP0263 §4.1.6.5): a replacement of what a consumer may change of it, its
``name``, ``description`` and ``properties``. The body is the resource's whole new state of
those: as CIMI omits an empty value, a description or properties left out are emptied (a name
left out is kept: every resource here has one). ``?$select=a,b`` makes it a partial update:
only the selected attributes change, a selected one left out is emptied.

The other attributes a client echoes back are read-only and ignored, as the spec says; a name or
a description that this kind of resource cannot change is refused, not dropped, so a client never
believes a change was made that was not. Properties are replaced first, in one transaction, and
checked before anything changes: a refused PUT changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from starlette.responses import Response

from core.enums import ResourceKind
from gateway.cimi import wire
from gateway.cimi.kit import CimiError, Context, Document, one

Renamer = Callable[..., object]  # takes name= and/or description=, as core's update_* do
EDITABLE: Final = frozenset({"name", "description", "properties"})


class Tagged(Protocol):
    """A core view of a taggable resource; most also have a ``name`` and a ``description``."""

    @property
    def tags(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class Editable:
    """A resource as it is now, and how core changes it."""

    kind: ResourceKind
    ref: str
    current: Mapping[str, str | None]  # its name and description now
    changes: frozenset[str] = frozenset()  # which of name and description core can change
    change: Renamer | None = None
    properties: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        kind: ResourceKind,
        ref: str,
        view: Tagged,
        changes: frozenset[str] = frozenset(),
        change: Renamer | None = None,
    ) -> Editable:
        """From the resource's view: its name, description (where it has them) and tags."""
        current = {key: getattr(view, key, None) for key in ("name", "description")}
        return cls(kind, ref, current, changes, change, view.tags)


def replace(
    ctx: Context,
    type_name: str,
    resource: Editable,
    body: Mapping[str, Any],
    selected: frozenset[str] | None,
) -> None:
    touched = EDITABLE if selected is None else EDITABLE & selected
    wanted: dict[str, str] = {}
    if "name" in touched and body.get("name") and body["name"] != resource.current.get("name"):
        wanted["name"] = str(body["name"])
    description = str(body.get("description") or "")
    if "description" in touched and description != (resource.current.get("description") or ""):
        wanted["description"] = description
    fixed = sorted(set(wanted) - resource.changes)
    if fixed:
        raise CimiError(400, f"the {fixed[0]} of this {type_name} cannot be changed")
    properties = dict(body.get("properties") or {})
    if "properties" in touched and properties != dict(resource.properties):
        ctx.services.tags.replace_tags(ctx.caller, resource.kind, resource.ref, properties)
    if wanted and resource.change is not None:
        resource.change(ctx.caller, resource.ref, **wanted)


def put(ctx: Context, type_name: str, resource: Editable, show: Callable[[], Document]) -> Response:
    """The PUT of a ``type_name`` document on ``resource``: 200 with the resource as it is now."""
    replace(ctx, type_name, resource, wire.read(ctx.request, type_name), ctx.query().select)
    return one(ctx, show())
