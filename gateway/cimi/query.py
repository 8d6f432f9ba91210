"""CIMI's query parameters (DSP0263 §4.1.6): ``$filter`` (handed to core whole, see
``filter``), ``$first``/``$last`` (1-based, inclusive; core's window), ``$select`` (which
attributes a document keeps), ``$expand`` (which references to inline, ``a/b`` for those inside
an inlined one; see ``expansion``), ``$orderby`` (``attr[:asc|:desc],…``, handed to core's query
with the filter's names). Unknown parameters are ignored, as the spec says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.common import ApiRequest

ALWAYS_KEPT = frozenset({"resourceURI", "id"})


class BadQuery(ValueError):
    """A query parameter with a value that cannot be read: 400."""


def _ordinal(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise BadQuery(f"{name} is a whole number from 1, not {text!r}")
    return int(text)


def _ordering(item: str) -> tuple[str, bool]:
    """``attr``, ``attr:asc`` or ``attr:desc``."""
    name, _, direction = item.strip().partition(":")
    if direction.lower() not in ("", "asc", "desc"):
        raise BadQuery(f"$orderby: {item.strip()!r} ends with :asc or :desc")
    return name.strip(), direction.lower() == "desc"


@dataclass(frozen=True, slots=True)
class Expansion:
    """What ``$expand`` inlines: attribute names (or ``*``), each with what to inline inside
    the resource (or the members of the collection) that takes its place."""

    below: Mapping[str, Expansion] = field(default_factory=dict)

    @classmethod
    def of(cls, paths: Iterable[str]) -> Expansion:
        tree: dict[str, list[str]] = {}
        for path in paths:
            head, _, tail = path.partition("/")
            if not head.strip():
                raise BadQuery(f"$expand: {path!r} has an empty step")
            tree.setdefault(head.strip(), []).extend([tail] if tail else [])
        return cls({name: cls.of(tails) for name, tails in tree.items()})

    def __bool__(self) -> bool:
        return bool(self.below)

    def wants(self, name: str) -> bool:
        return name in self.below or "*" in self.below

    def inside(self, name: str) -> Expansion:
        return self.below.get(name) or self.below.get("*") or NOTHING


NOTHING = Expansion()


@dataclass(frozen=True, slots=True)
class Query:
    filters: tuple[str, ...]
    first: int | None
    last: int | None
    select: frozenset[str] | None  # None: every attribute
    expand: Expansion
    order: tuple[tuple[str, bool], ...]  # attribute names, each descending or not

    @classmethod
    def of(cls, request: ApiRequest) -> Query:
        def values(name: str) -> list[str]:
            return [v for k, v in request.query if k == name]

        first = _ordinal("$first", next(iter(values("$first")), None))
        last = _ordinal("$last", next(iter(values("$last")), None))

        def names(parameter: str) -> frozenset[str]:
            return frozenset(
                n.strip() for v in values(parameter) for n in v.split(",") if n.strip()
            )

        selected = names("$select")
        return cls(
            tuple(values("$filter")),
            first,
            last,
            None if not selected or "*" in selected else selected,
            Expansion.of(names("$expand")),
            tuple(
                _ordering(item) for v in values("$orderby") for item in v.split(",") if item.strip()
            ),
        )

    @property
    def offset(self) -> int:
        return (self.first or 1) - 1

    @property
    def limit(self) -> int | None:
        """How many rows core reads: up to ``$last``; none when ``$first`` lies past it."""
        if self.last is None:
            return None
        return max(0, self.last - self.offset)

    def selected(self, document: Mapping[str, Any]) -> dict[str, Any]:
        if self.select is None:
            return dict(document)
        return {k: v for k, v in document.items() if k in self.select or k in ALWAYS_KEPT}

    def selected_collection(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """A collection keeps its own id, count and operations; ``$select`` subsets its items."""
        return dict(document)
