"""What every kind's handler shares: the call's context, the handler interface the router
drives, and the rules for ids, locations and required attributes.

A handler translates one OCCI operation into one core call and a core view into an ``Entity``
(DESIGN rule 2). Core decides every rule; a handler only refuses what OCCI itself cannot say
or what this server does not offer, each with a text that names the way that works.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from core import Services
from core.views import Caller
from gateway.occi.categories import Category, Value
from gateway.occi.document import Document
from gateway.occi.document import Entity as Entity
from gateway.occi.protocol import OcciError
from gateway.occi.schema import PREFIX
from gateway.occi.templates import Templates


@dataclass
class Context:
    services: Services
    caller: Caller
    version: tuple[int, int]

    @cached_property
    def templates(self) -> Templates:
        return Templates.read(self.services, self.caller)


class KindHandler(Protocol):
    kind: Category

    def list(self, ctx: Context) -> list[Entity]: ...

    def get(self, ctx: Context, id_: uuid.UUID) -> Entity: ...

    def create(self, ctx: Context, doc: Document) -> Entity: ...

    def update(self, ctx: Context, id_: uuid.UUID, doc: Document) -> Entity: ...

    def delete(
        self, ctx: Context, ids: Sequence[uuid.UUID], *, whole_collection: bool = False
    ) -> None:
        """Deletes all of ``ids`` or, where core can refuse the batch at once, none;
        ``whole_collection`` when they are every member listed (a DELETE of the collection)."""

    def act(
        self,
        ctx: Context,
        ids: Sequence[uuid.UUID],
        action: Category,
        attributes: Mapping[str, Value],
    ) -> None:
        """Triggers ``action`` on each of ``ids`` (one, or a whole collection)."""


def location(kind: Category, id_: uuid.UUID) -> str:
    return f"{kind.location}{id_}"


def id_in(path: str, kind: Category) -> uuid.UUID:
    """The UUID a location of ``kind`` names: in full (``http://h/occi/compute/…``), as a path,
    or relative to the endpoint (``/compute/…``, as rOCCI-cli writes the links it is given)."""
    marker = (kind.location or "").removeprefix(PREFIX)
    start = path.find(marker)
    tail = path[start + len(marker) :].strip("/") if start >= 0 and marker else ""
    try:
        return uuid.UUID(tail)
    except ValueError:
        raise OcciError(400, f"{path!r} is not the location of a {kind.term}") from None


def require_listed(listed: bool, kind: Category, id_: uuid.UUID) -> None:
    """What is being deleted is gone for OCCI at once: rOCCI-cli's describe lists a collection,
    then reads each member, so a read must answer 404 for what a listing leaves out."""
    if not listed:
        raise OcciError(404, f"{kind.term} {id_} is deleted")


def chosen_id(doc: Document) -> uuid.UUID | None:
    """``occi.core.id`` as the client chose it: a UUID (bare or ``urn:uuid:``) names the new
    entity; anything else is refused, since this server's ids are UUIDs shared by all APIs."""
    given = doc.attributes.get("occi.core.id")
    if given is None:
        return None
    text = str(given).removeprefix("urn:uuid:")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise OcciError(
            400, f"occi.core.id {given!r} is not a UUID: this server names entities by UUID"
        ) from None


def string(doc: Document, name: str) -> str | None:
    value = doc.attributes.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OcciError(400, f"{name} is a string")
    return value


def whole_number(doc: Document, name: str) -> int | None:
    value = doc.attributes.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise OcciError(400, f"{name} is a whole number")
    return int(value)


def refuse_unknown(doc: Document, known: frozenset[str]) -> None:
    """Attributes no category of the request defines are refused: a typo must not pass as a
    setting silently ignored."""
    unknown = sorted(set(doc.attributes) - known)
    if unknown:
        raise OcciError(400, f"unknown attribute {unknown[0]} for this kind and these mixins")
