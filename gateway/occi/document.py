"""What a request says and what a response shows, apart from how either is written.

Each rendering (``text`` for text/plain, text/occi and text/uri-list; ``json_rendering`` for
application/occi+json) parses into a ``Document`` and renders ``Entity`` trees, so the handlers
never see a wire format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.occi.categories import Category, Value


class Malformed(ValueError):
    """The request does not parse: answered 400 with this text."""


@dataclass(frozen=True, slots=True)
class CategoryRef:
    """A Category as a request names it: the identifier and class, plus what a user mixin
    definition would carry."""

    scheme: str
    term: str
    cls: str
    title: str = ""
    location: str | None = None

    @property
    def identifier(self) -> str:
        return f"{self.scheme}{self.term}"


@dataclass(frozen=True, slots=True)
class LinkRef:
    """An inline ``Link`` of a request: a link to create from the resource to ``target``."""

    target: str
    rel: str
    categories: tuple[str, ...] = ()  # the link's kind first, then its mixins
    attributes: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Document:
    categories: tuple[CategoryRef, ...] = ()
    attributes: Mapping[str, Value] = field(default_factory=dict)
    links: tuple[LinkRef, ...] = ()
    locations: tuple[str, ...] = ()

    def of_class(self, cls: str) -> list[CategoryRef]:
        return [c for c in self.categories if c.cls == cls]


@dataclass(frozen=True, slots=True)
class Entity:
    """A resource or a link as rendered: ``attributes`` in rendering order, ``links`` the
    resource's outgoing links (each an Entity of a link kind), ``actions`` those that apply now."""

    kind: Category
    mixins: tuple[Category, ...]
    location: str
    attributes: tuple[tuple[str, Value], ...]
    actions: tuple[Category, ...] = ()
    links: tuple[Entity, ...] = ()
    target_kind: Category | None = None  # for a link: the kind of its target

    def attribute(self, name: str) -> Value | None:
        return next((v for n, v in self.attributes if n == name), None)
