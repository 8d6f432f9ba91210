"""CIMI's ``$filter`` (DSP0263 4.1.6.1): parsed into an expression of CIMI names and values, then
translated into a ``core.predicates.Predicate`` so a listing evaluates the whole filter in SQL.

The grammar is the spec's, written right-recursively (the spec's ``( … )*`` form made SixSq's
instaparse parser exponential), with ``not`` added because issue 13 asks for it::

    Filter  ::= AndExpr ( 'or' Filter )?
    AndExpr ::= Comp ( 'and' AndExpr )?
    Comp    ::= 'not' Comp | '(' Filter ')' | PropExpr | Attribute Op Value | Value Op Attribute
    PropExpr ::= 'property' '[' String ']' Op String
    Op      ::= '=' | '!=' | '<' | '<=' | '>' | '>='
    Value   ::= Integer | Date | String | 'true' | 'false'

It is small enough for a hand-written recursive-descent parser, so no parser library is used:
one token of look-ahead, no backtracking, time linear in the text. ``and`` and ``or`` chains are
read in a loop into one n-ary node (so a long chain costs no stack), and only parentheses and
``not`` recurse, at most ``MAX_NESTING`` deep. ``not`` binds tighter than ``and``, which binds
tighter than ``or``. The keywords ``and``, ``or``, ``not``, ``true`` and ``false`` are read in
any case; attribute names and ``property`` as written. Whitespace may separate any two tokens.

Values:

* a string is in single or double quotes. Inside it the quote is written twice (``'it''s'``) or
  after a backslash (``'it\\'s'``); ``\\\\`` is one backslash, and a backslash before any other
  character is kept as it is, so ``'C:\\dir'`` needs no escaping.
* an integer is ``[0-9]+`` (no sign, as in the spec) up to 2**63 - 1, which SQL can hold.
* a date is an XML Schema dateTime, ``2012-06-01T12:00:00Z``, ``2012-06-01T14:00:00.5+02:00``
  (fractions beyond microseconds are cut), or a bare date, ``2012-06-01``, meaning its midnight.
  Without an offset it is UTC. It becomes an aware datetime in UTC.
* ``true`` and ``false``.

``Value Op Attribute`` is read as ``Attribute Op' Value`` with the operator turned round
(``2 < cpu`` is ``cpu > 2``). Strings and booleans allow only ``=`` and ``!=``; integers and
dates all six; property values are strings. Attribute names come from a table the caller gives,
one per resource kind: a name not in it, a value of the wrong type or an operator its type does
not allow is a ``FilterError`` (the server answers 400, as SixSq does; the spec leaves it open),
whose message says where in the text the filter went wrong.

A resource without an attribute or property makes a comparison false, except ``!=``, which is
true: ``a != v`` always means ``not a = v``. ``evaluate`` is that meaning written in Python, the
reference the tests hold the SQL to; the server never evaluates a filter itself.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NoReturn, TypeVar

from core.predicates import (
    Always,
    And,
    Compare,
    Not,
    Op,
    Or,
    Predicate,
    Scalar,
    TagCompare,
)

Value = str | int | bool | dt.datetime
_Ordered = TypeVar("_Ordered", int, dt.datetime)

MAX_NESTING: Final = 64
_MAX_INTEGER: Final = 2**63 - 1
_ORDERING: Final = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
_TURNED: Final = {
    Op.EQ: Op.EQ,
    Op.NE: Op.NE,
    Op.LT: Op.GT,
    Op.LE: Op.GE,
    Op.GT: Op.LT,
    Op.GE: Op.LE,
}


class FilterError(ValueError):
    """A ``$filter`` that cannot be read or does not fit the resource's attributes."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"$filter: {reason} at character {position + 1}")
        self.reason = reason
        self.position = position


# The attribute table a caller gives: for each CIMI attribute a filter may name, the core field
# it is and how its values become core's.


@dataclass(frozen=True, slots=True)
class StringAttribute:
    """``values`` turns a CIMI string into the core values it stands for (``'STOPPED'`` →
    ``(STOPPED, DESTROYED)``); none means the string matches nothing. Without it the string is
    compared as it is."""

    field: str
    values: Callable[[str], Sequence[Scalar]] | None = None


@dataclass(frozen=True, slots=True)
class BooleanAttribute:
    """As ``StringAttribute``, for a CIMI boolean that core may hold in another shape."""

    field: str
    values: Callable[[bool], Sequence[Scalar]] | None = None


@dataclass(frozen=True, slots=True)
class IntegerAttribute:
    """A core integer holding the CIMI value divided by ``scale`` (CIMI memory in KiB, core's in
    MiB: 1024). Comparisons are exact: ``memory = 1000`` matches no whole number of MiB."""

    field: str
    scale: int = 1


@dataclass(frozen=True, slots=True)
class DateTimeAttribute:
    field: str


Attribute = StringAttribute | BooleanAttribute | IntegerAttribute | DateTimeAttribute


# The parsed filter, in CIMI's names and values.


@dataclass(frozen=True, slots=True)
class Comparison:
    """``attribute op value``; a comparison written value first is kept turned round."""

    attribute: str
    op: Op
    value: Value


@dataclass(frozen=True, slots=True)
class PropertyComparison:
    """``property['key'] op 'value'``, ``op`` being ``=`` or ``!=``."""

    key: str
    op: Op
    value: str


@dataclass(frozen=True, slots=True)
class Conjunction:
    """Two or more filters joined by ``and``, as one chain in the text."""

    operands: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Disjunction:
    """Two or more filters joined by ``or``, as one chain in the text."""

    operands: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    operand: Filter


Filter = Comparison | PropertyComparison | Conjunction | Disjunction | Negation


def parse(text: str, attributes: Mapping[str, Attribute]) -> Filter:
    """One ``$filter`` parameter, checked against the resource's ``attributes``."""
    return _Parser(text, attributes).filter_text()


def parse_all(texts: Iterable[str], attributes: Mapping[str, Attribute]) -> Filter | None:
    """Every ``$filter`` parameter of a request, AND-ed as the spec says; None if there is none."""
    filters = tuple(parse(text, attributes) for text in texts)
    if not filters:
        return None
    return filters[0] if len(filters) == 1 else Conjunction(filters)


def to_predicate(filter: Filter, attributes: Mapping[str, Attribute]) -> Predicate:
    """The filter in core's vocabulary, through the table it was parsed with. ``and`` and ``or``
    chains become balanced trees, so a long chain stays shallow for whoever walks it."""
    match filter:
        case Comparison(attribute, op, value):
            return _compare(attributes[attribute], op, value)
        case PropertyComparison(key, op, value):
            return TagCompare(key, op, value)
        case Conjunction(operands):
            return _balanced(And, [to_predicate(f, attributes) for f in operands])
        case Disjunction(operands):
            return _balanced(Or, [to_predicate(f, attributes) for f in operands])
        case Negation(operand):
            return Not(to_predicate(operand, attributes))


def query_predicate(texts: Iterable[str], attributes: Mapping[str, Attribute]) -> Predicate:
    """What a listing gets for a request's ``$filter`` parameters: all rows when there is none."""
    filter = parse_all(texts, attributes)
    return Always() if filter is None else to_predicate(filter, attributes)


def evaluate(
    filter: Filter, resource: Mapping[str, Value | None], properties: Mapping[str, str]
) -> bool:
    """Whether a resource with these CIMI attribute values (datetimes aware) and properties
    matches: the filter's meaning, for tests to compare with what the SQL selects."""
    match filter:
        case Comparison(attribute, op, value):
            return _holds(resource.get(attribute), op, value)
        case PropertyComparison(key, op, value):
            return _holds(properties.get(key), op, value)
        case Conjunction(operands):
            return all(evaluate(f, resource, properties) for f in operands)
        case Disjunction(operands):
            return any(evaluate(f, resource, properties) for f in operands)
        case Negation(operand):
            return not evaluate(operand, resource, properties)


def _holds(actual: Value | None, op: Op, value: Value) -> bool:
    if actual is None:
        return op is Op.NE
    if op is Op.EQ:
        return actual == value
    if op is Op.NE:
        return actual != value
    if isinstance(actual, dt.datetime) and isinstance(value, dt.datetime):
        return _ordered(op, actual, value)
    if isinstance(actual, int) and isinstance(value, int):
        return _ordered(op, actual, value)
    raise TypeError(f"{actual!r} {op.value} {value!r}: only integers and dates are ordered")


def _ordered(op: Op, actual: _Ordered, value: _Ordered) -> bool:
    if op is Op.LT:
        return actual < value
    if op is Op.LE:
        return actual <= value
    if op is Op.GT:
        return actual > value
    return actual >= value


def _compare(attribute: Attribute, op: Op, value: Value) -> Predicate:
    match attribute, value:
        case IntegerAttribute(field, scale), int():
            return _scaled(field, scale, op, value)
        case StringAttribute(field, values), str() if values is not None:
            return _any_of(field, op, values(value))
        case BooleanAttribute(field, values), bool() if values is not None:
            return _any_of(field, op, values(value))
    return Compare(attribute.field, op, (value,))


def _any_of(field: str, op: Op, values: Sequence[Scalar]) -> Predicate:
    """``=`` or ``!=`` any of the core values one CIMI value stands for; with none, ``=``
    matches nothing and ``!=`` everything."""
    return Compare(field, op, tuple(values)) if values else Always(op is Op.NE)


def _scaled(field: str, scale: int, op: Op, value: int) -> Predicate:
    """``core * scale op value`` for a whole core number: ``value / scale`` rounded down or up
    as each operator needs, and ``=`` only when it divides exactly."""
    floor, remainder = divmod(value, scale)
    ceiling = floor + (remainder != 0)
    if op in (Op.EQ, Op.NE):
        return _any_of(field, op, () if remainder else (floor,))
    bound = ceiling if op in (Op.LT, Op.GE) else floor
    return Compare(field, op, (bound,))


def _balanced(
    join: Callable[[Predicate, Predicate], Predicate], parts: list[Predicate]
) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return join(_balanced(join, parts[:middle]), _balanced(join, parts[middle:]))


# Reading the text: a scanner that makes one token at a time, and the parser over it.


class _Kind(enum.Enum):
    NAME = "name"
    STRING = "string"
    INTEGER = "integer"
    DATE = "date"
    OP = "operator"
    OPEN = "("
    CLOSE = ")"
    OPEN_BRACKET = "["
    CLOSE_BRACKET = "]"
    END = "end"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    text: str  # as written
    position: int
    literal: Value | None = None  # a string's, integer's or date's value

    def describe(self) -> str:
        return "the end of the filter" if self.kind is _Kind.END else repr(self.text)


_SPACE: Final = re.compile(r"\s+")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR: Final = re.compile(r"<=|>=|!=|<|>|=")
_PUNCTUATION: Final = {
    "(": _Kind.OPEN,
    ")": _Kind.CLOSE,
    "[": _Kind.OPEN_BRACKET,
    "]": _Kind.CLOSE_BRACKET,
}
_INTEGER: Final = re.compile(r"[0-9]+")
_DATE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
# A number or a date is read up to the first character that cannot continue either, so that
# "12:00" or "1and" is one malformed word rather than a value and something else.
_NUMBER_OR_DATE: Final = re.compile(r"[0-9][A-Za-z0-9_.:+-]*")
_QUOTES: Final = frozenset("'\"")
_ESCAPED: Final = frozenset("'\"\\")


class _Scanner:
    def __init__(self, text: str) -> None:
        self._text = text
        self._position = 0

    def next(self) -> _Token:
        text, start = self._text, self._position
        if space := _SPACE.match(text, start):
            start = space.end()
        if start == len(text):
            return _Token(_Kind.END, "", start)
        char = text[start]
        if char in _QUOTES:
            return self._string(char, start)
        if word := _NUMBER_OR_DATE.match(text, start):
            return self._number_or_date(word.group(), start)
        for kind, pattern in ((_Kind.NAME, _NAME), (_Kind.OP, _OPERATOR)):
            if found := pattern.match(text, start):
                self._position = found.end()
                return _Token(kind, found.group(), start)
        if char in _PUNCTUATION:
            self._position = start + 1
            return _Token(_PUNCTUATION[char], char, start)
        raise FilterError(f"unexpected character {char!r}", start)

    def _string(self, quote: str, start: int) -> _Token:
        text, chars, at = self._text, [], start + 1
        while at < len(text):
            char = text[at]
            if char == "\\" and text[at + 1 : at + 2] in _ESCAPED:
                chars.append(text[at + 1])
                at += 2
            elif char == quote and text[at + 1 : at + 2] == quote:
                chars.append(quote)
                at += 2
            elif char == quote:
                self._position = at + 1
                return _Token(_Kind.STRING, text[start : at + 1], start, "".join(chars))
            else:
                chars.append(char)
                at += 1
        raise FilterError("unterminated string", start)

    def _number_or_date(self, word: str, start: int) -> _Token:
        self._position = start + len(word)
        if date := _DATE.fullmatch(word):
            return _Token(_Kind.DATE, word, start, _datetime(date, start))
        if not _INTEGER.fullmatch(word):
            raise FilterError(f"malformed number or date {word!r}", start)
        if int(word) > _MAX_INTEGER:
            raise FilterError(f"integer {word} is too large", start)
        return _Token(_Kind.INTEGER, word, start, int(word))


def _datetime(date: re.Match[str], start: int) -> dt.datetime:
    year, month, day, hour, minute, second, fraction, offset = date.groups()
    microsecond = int((fraction or "").ljust(6, "0")[:6])
    try:
        zone = dt.UTC if offset in (None, "Z") else _zone(offset)
        moment = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            microsecond,
            tzinfo=zone,
        ).astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: the offset leaves years 1 to 9999
        raise FilterError(f"{date.group()!r} is not a valid date", start) from None
    return moment


def _zone(offset: str) -> dt.timezone:
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if minutes >= 60:
        raise ValueError(offset)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


_KEYWORDS: Final = frozenset({"and", "or", "not", "true", "false"})
_BOOLEANS: Final = {"true": True, "false": False}
_OPERATORS: Final = "(=, !=, <, <=, >, >=)"
_VALUES: Final = "a value (a quoted string, an integer, a date, true or false)"


class _Parser:
    """Recursive descent with one token of look-ahead: each method reads one rule of the
    grammar in the module docstring, starting at the current token."""

    def __init__(self, text: str, attributes: Mapping[str, Attribute]) -> None:
        self._scanner = _Scanner(text)
        self._attributes = attributes
        self._token = self._scanner.next()
        self._nesting = 0

    def filter_text(self) -> Filter:
        if self._token.kind is _Kind.END:
            raise FilterError("the filter is empty", self._token.position)
        filter = self._filter()
        self._expect(_Kind.END, "'and', 'or' or the end of the filter")
        return filter

    def _filter(self) -> Filter:
        terms = [self._and_expression()]
        while self._keyword("or"):
            terms.append(self._and_expression())
        return terms[0] if len(terms) == 1 else Disjunction(tuple(terms))

    def _and_expression(self) -> Filter:
        terms = [self._comparison()]
        while self._keyword("and"):
            terms.append(self._comparison())
        return terms[0] if len(terms) == 1 else Conjunction(tuple(terms))

    def _comparison(self) -> Filter:
        token = self._token
        if self._keyword("not"):
            return Negation(self._nested(token, self._comparison))
        if token.kind is _Kind.OPEN:
            self._take()
            filter = self._nested(token, self._filter)
            self._expect(_Kind.CLOSE, "'and', 'or' or ')'")
            return filter
        if token.kind is _Kind.NAME and token.text.lower() not in _KEYWORDS:
            self._take()
            if token.text == "property" and self._token.kind is _Kind.OPEN_BRACKET:
                return self._property()
            op = self._operator()
            return self._checked(token, op, self._value())
        if _type_of(token) is not None:
            value = self._value()
            op = self._operator()
            attribute = self._expect(_Kind.NAME, "an attribute name")
            return self._checked(attribute, _Operator(_TURNED[op.op], op.position), value)
        self._fail("a comparison, '(' or 'not'")

    def _property(self) -> PropertyComparison:
        self._take()
        key = self._expect(_Kind.STRING, "a quoted property name")
        self._expect(_Kind.CLOSE_BRACKET, "']'")
        op = self._operator()
        if op.op in _ORDERING:
            raise FilterError("a property is a string: only = and != apply", op.position)
        value = self._expect(_Kind.STRING, "a quoted string")
        return PropertyComparison(_string(key), op.op, _string(value))

    def _checked(self, name: _Token, op: _Operator, value: _Token) -> Comparison:
        attribute = self._attributes.get(name.text)
        if attribute is None:
            known = ", ".join(sorted(self._attributes))
            raise FilterError(f"unknown attribute {name.text!r} (known: {known})", name.position)
        wanted = _ATTRIBUTE_TYPES[type(attribute)]
        if _type_of(value) is not wanted:
            raise FilterError(
                f"{name.text!r} takes {_EXPECTED[wanted]}, not {value.text}", value.position
            )
        if op.op in _ORDERING and wanted in (_Type.STRING, _Type.BOOLEAN):
            raise FilterError(f"{name.text!r} is {wanted.value}: only = and != apply", op.position)
        return Comparison(name.text, op.op, _literal(value))

    def _nested(self, opening: _Token, rule: Callable[[], Filter]) -> Filter:
        self._nesting += 1
        if self._nesting > MAX_NESTING:
            raise FilterError(f"more than {MAX_NESTING} levels of 'not' and '('", opening.position)
        filter = rule()
        self._nesting -= 1
        return filter

    def _operator(self) -> _Operator:
        token = self._expect(_Kind.OP, f"an operator {_OPERATORS}")
        return _Operator(Op(token.text), token.position)

    def _value(self) -> _Token:
        if _type_of(self._token) is None:
            self._fail(_VALUES)
        return self._take()

    def _keyword(self, word: str) -> bool:
        """Whether the current token is this keyword, in any case; if so, it is read."""
        if self._token.kind is _Kind.NAME and self._token.text.lower() == word:
            self._take()
            return True
        return False

    def _expect(self, kind: _Kind, expected: str) -> _Token:
        if self._token.kind is not kind:
            self._fail(expected)
        return self._take()

    def _take(self) -> _Token:
        token = self._token
        self._token = self._scanner.next()
        return token

    def _fail(self, expected: str) -> NoReturn:
        token = self._token
        raise FilterError(f"expected {expected}, found {token.describe()}", token.position)


@dataclass(frozen=True, slots=True)
class _Operator:
    op: Op
    position: int


class _Type(enum.Enum):
    STRING = "a string"
    BOOLEAN = "a boolean"
    INTEGER = "an integer"
    DATE = "a date"


_ATTRIBUTE_TYPES: Final[Mapping[type[Attribute], _Type]] = {
    StringAttribute: _Type.STRING,
    BooleanAttribute: _Type.BOOLEAN,
    IntegerAttribute: _Type.INTEGER,
    DateTimeAttribute: _Type.DATE,
}
_EXPECTED: Final = {
    _Type.STRING: "a quoted string",
    _Type.BOOLEAN: "true or false",
    _Type.INTEGER: "an integer",
    _Type.DATE: "a date",
}
_LITERAL_TYPES: Final = {
    _Kind.STRING: _Type.STRING,
    _Kind.INTEGER: _Type.INTEGER,
    _Kind.DATE: _Type.DATE,
}


def _type_of(token: _Token) -> _Type | None:
    """What type of value the token is, if it is one: true and false are names as written."""
    if token.kind is _Kind.NAME:
        return _Type.BOOLEAN if token.text.lower() in _BOOLEANS else None
    return _LITERAL_TYPES.get(token.kind)


def _literal(token: _Token) -> Value:
    if token.kind is _Kind.NAME:
        return _BOOLEANS[token.text.lower()]
    assert token.literal is not None, token
    return token.literal


def _string(token: _Token) -> str:
    assert isinstance(token.literal, str), token
    return token.literal
