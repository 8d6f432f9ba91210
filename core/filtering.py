"""A listing's whole filter expression (``core.predicates``) as one SQL boolean clause, so a
front end's own query language (CIMI ``$filter``) is evaluated with the rest of the listing's
statement, counted in its total and windowed with it, never applied to a page in memory.

Each listing declares its ``Fields`` beside its statement: the SQL of every view field it can
filter on (a column of its own table or of one it joins, or a correlated scalar subquery) and
where its tags are. Values are checked against each field's type before any SQL is built.

NULL: a comparison with a field that is NULL (an instance never launched has no
``launched_at``; a resource without the tag) does not hold, whatever its operator, so ``!=``
holds only for a value that is there and differs. Every clause built here is true or false,
never SQL's unknown, so ``Not(p)`` is exactly the rows where ``p`` does not hold:
``Not(launched_at < t)`` keeps the instances never launched, as ``not`` over the views would.
Strings compare as the database collates them (SQLite: by code point, as Python does).

The same fields order a listing (CIMI ``$orderby``): ``Fields.ordering`` gives the ORDER BY
clauses of a caller's (field, descending?) pairs, which go ahead of the listing's own order so
that it only breaks ties. A NULL sorts after every value, on SQLite as on PostgreSQL (whose
default that is): last in ascending order, first in descending, so descending is ascending
reversed. Enumerations order by their stored value, as text; UUIDs by their hex digits.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar, TypeVarTuple

from sqlalchemy import (
    Column,
    ColumnElement,
    Select,
    TypeDecorator,
    and_,
    false,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import QueryableAttribute

from core import ids
from core.db.models import Tag
from core.enums import ResourceKind
from core.errors import InvalidArgument
from core.predicates import Always, And, Compare, Not, Op, Or, Predicate, Scalar, TagCompare
from core.views import WindowedQuery

T = TypeVar("T")
Columns = TypeVarTuple("Columns")

#: A field's SQL: a mapped attribute (``Instance.name``) or any expression.
Expression = ColumnElement[Any] | QueryableAttribute[Any]

_OPERATORS: Final[Mapping[Op, Callable[[Any, Any], ColumnElement[bool]]]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}
_EQUALITY: Final = (Op.EQ, Op.NE)
#: The types whose values have an order a caller may compare by; the others take = and != only.
_ORDERED: Final = (int, str, dt.datetime)
_TYPE_NAMES: Final[Mapping[type, str]] = {
    bool: "true or false",
    int: "an integer",
    str: "a string",
    dt.datetime: "a time",
    uuid.UUID: "a UUID",
}


@dataclass(frozen=True, slots=True)
class Tagged:
    """Where a listing's resources keep their tags: the rows of ``kind`` whose resource is
    ``resource_id``; ``shown`` (None: all of them) keeps to those its views show."""

    kind: ResourceKind
    resource_id: Expression
    shown: ColumnElement[bool] | None = None


@dataclass(frozen=True, slots=True)
class Fields:
    """What one listing can filter and order on: each view field's SQL by the field's name,
    and its tags (None: the kind carries none)."""

    columns: Mapping[str, Expression]
    tagged: Tagged | None = None

    def selecting(self, predicate: Predicate | None) -> list[ColumnElement[bool]]:
        """The WHERE clauses of a query's ``where``: none when it has none."""
        return [] if predicate is None else [clause(predicate, self)]

    def ordering(self, order_by: Sequence[tuple[str, bool]]) -> list[ColumnElement[Any]]:
        """The ORDER BY clauses of (field, descending?) pairs, most significant first, each
        with its NULLs after every value (see the module's docstring)."""
        return [_sort_key(self, name, descending) for name, descending in order_by]

    def ordered(self, statement: Select[*Columns], query: WindowedQuery) -> Select[*Columns]:
        """``statement`` in ``query``'s order, ahead of the (created_at, id) order ``paging``
        adds after it. A cursor names a position in that creation order, not in the caller's,
        so an ordered listing is paged by offset and a cursor with an order is refused."""
        if query.order_by and query.after is not None:
            raise InvalidArgument("cursor", "a listing in an order of its own is paged by offset")
        return statement.order_by(*self.ordering(query.order_by))


def clause(predicate: Predicate, fields: Fields) -> ColumnElement[bool]:
    """``predicate`` over the listing ``fields`` describes, as a clause that is never NULL."""
    match predicate:
        case Always(holds=holds):
            return true() if holds else false()
        case And(left=left, right=right):
            return and_(clause(left, fields), clause(right, fields))
        case Or(left=left, right=right):
            return or_(clause(left, fields), clause(right, fields))
        case Not(operand=operand):
            return not_(clause(operand, fields))
        case Compare():
            return _compare(predicate, fields)
        case TagCompare():
            return _tag_compare(predicate, fields)


def scalar(column: QueryableAttribute[T], *where: ColumnElement[bool]) -> ColumnElement[T]:
    """``column`` of the one row ``where`` selects, correlated to the listing's row (NULL
    when there is none): a field of a row the listing's statement does not join."""
    return select(column).where(*where).scalar_subquery()


def _compare(compare: Compare, fields: Fields) -> ColumnElement[bool]:
    column = _column(fields, compare.field)
    kind = _python_type(compare.field, column)
    if not compare.values:
        raise InvalidArgument("filter", f"{compare.field} {compare.op.value} needs a value")
    if compare.op not in _EQUALITY:
        if not issubclass(kind, _ORDERED) or issubclass(kind, bool):
            raise InvalidArgument(
                "filter", f"{compare.field} is compared with = or != only, not {compare.op.value}"
            )
        if len(compare.values) > 1:
            raise InvalidArgument("filter", f"{compare.op.value} takes one value")
    values = [_checked(compare.field, kind, value) for value in compare.values]
    if len(values) == 1:
        test = _OPERATORS[compare.op](column, values[0])
    elif compare.op is Op.EQ:
        test = column.in_(values)
    else:
        test = column.not_in(values)
    if isinstance(column, Column) and not column.nullable:
        return test
    return and_(column.is_not(None), test)


def _tag_compare(tag: TagCompare, fields: Fields) -> ColumnElement[bool]:
    """The resource has the tag ``key`` and its value is (or is not) ``value``: EXISTS,
    which is never NULL, so a resource without the tag matches neither ``=`` nor ``!=``."""
    if fields.tagged is None:
        raise InvalidArgument("filter", "these resources carry no tags")
    if tag.op not in _EQUALITY:
        raise InvalidArgument("filter", f"a tag is compared with = or != only, not {tag.op.value}")
    if not isinstance(tag.value, str):
        raise InvalidArgument("filter", f"tag {tag.key} takes a string, not {tag.value!r}")
    tagged = fields.tagged
    match = select(Tag.id).where(
        Tag.resource_kind == tagged.kind,
        Tag.resource_id == tagged.resource_id,
        Tag.key == tag.key,
        _OPERATORS[tag.op](Tag.value, tag.value),
    )
    if tagged.shown is not None:
        match = match.where(tagged.shown)
    return match.exists()


def _column(fields: Fields, name: str) -> ColumnElement[Any]:
    found = fields.columns.get(name)
    if found is None:
        raise InvalidArgument("filter", f"cannot filter on {name}")
    return found.expression if isinstance(found, QueryableAttribute) else found


def _sort_key(fields: Fields, name: str, descending: bool) -> ColumnElement[Any]:
    if name not in fields.columns:
        raise InvalidArgument("order", f"cannot order by {name}")
    column = _column(fields, name)
    return column.desc().nulls_first() if descending else column.asc().nulls_last()


def _python_type(name: str, column: ColumnElement[Any]) -> type:
    """The Python type of the field's values (a ``TypeDecorator``'s, such as aware UTC
    times, is its storage type's); one no comparison is defined for cannot be filtered on."""
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    kind: type = sql_type.python_type
    if kind in _TYPE_NAMES or issubclass(kind, enum.Enum):
        return kind
    raise InvalidArgument("filter", f"cannot filter on {name}")


def _checked(name: str, kind: type, value: Scalar) -> object:
    """``value`` as the field's column binds it, or InvalidArgument for a value of another
    type (``True`` is no integer here, and a time needs its UTC offset)."""
    if kind is uuid.UUID and isinstance(value, str):
        parsed = ids.parse_uuid(value)
        if parsed is not None:
            return parsed
    elif kind is dt.datetime and isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value
        raise InvalidArgument("filter", f"{name} takes a time with its UTC offset")
    elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    expected = _TYPE_NAMES.get(kind) or f"a member of {kind.__name__}"
    raise InvalidArgument("filter", f"{name} takes {expected}, not {value!r}")
