"""A boolean expression over a listing's fields, in core's own vocabulary: what a front end with
a query language of its own (CIMI's ``$filter``) hands to a listing, so the whole expression is
evaluated in SQL with the rest of the query, never on a page in memory.

Field names are those of the listing's view (``name``, ``state``, ``created_at``, ``vcpus`` …);
each listing says which it can filter on, and an unknown field is an ``InvalidArgument``. A
front end translates its own names and values (CIMI ``STARTED``) into these before it asks.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

Scalar = str | int | bool | dt.datetime | enum.Enum


class Op(enum.Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; with several ``values`` (``EQ`` or ``NE`` only) the field is, or
    is not, any of them: one front-end value may stand for several core ones."""

    field: str
    op: Op
    values: Sequence[Scalar]


@dataclass(frozen=True, slots=True)
class TagCompare:
    """A tag of the resource: ``key`` with a value ``op`` ``value`` (``EQ`` or ``NE``)."""

    key: str
    op: Op
    value: str


@dataclass(frozen=True, slots=True)
class And:
    left: Predicate
    right: Predicate


@dataclass(frozen=True, slots=True)
class Or:
    left: Predicate
    right: Predicate


@dataclass(frozen=True, slots=True)
class Not:
    operand: Predicate


@dataclass(frozen=True, slots=True)
class Always:
    """True (or, with ``holds=False``, false) for every row: what a front end gives for a
    comparison it knows can never match (a state name no core state has)."""

    holds: bool = True


Predicate = Compare | TagCompare | And | Or | Not | Always
