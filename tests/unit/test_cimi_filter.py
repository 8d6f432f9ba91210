"""CIMI ``$filter``: every form of the grammar read into the expected expression, errors that say
where, the translation into core predicates, and two properties over random filters: rendering
one as text in any legal spelling reads back the same filter, and its core predicate selects the
same resources as the filter's own CIMI meaning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.enums import VolumeType
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
from core.states import InstanceState
from gateway.cimi.filter import (
    MAX_NESTING,
    Attribute,
    BooleanAttribute,
    Comparison,
    Conjunction,
    DateTimeAttribute,
    Disjunction,
    Filter,
    FilterError,
    IntegerAttribute,
    Negation,
    PropertyComparison,
    StringAttribute,
    Value,
    evaluate,
    parse,
    parse_all,
    query_predicate,
    to_predicate,
)

# A table like the server's: one CIMI state standing for two core states, one for none, memory
# in KiB over core's MiB, and a boolean that core holds as an enum.
STATES: Final[Mapping[str, tuple[InstanceState, ...]]] = {
    "CREATING": (InstanceState.PENDING,),
    "STARTED": (InstanceState.RUNNING,),
    "STOPPED": (InstanceState.STOPPED, InstanceState.DESTROYED),
    "ERROR": (InstanceState.ERROR,),
    "PAUSED": (),
}
CIMI_STATE: Final = {core: cimi for cimi, cores in STATES.items() for core in cores}
KIB_PER_MIB: Final = 1024


def _states(name: str) -> tuple[InstanceState, ...]:
    return STATES.get(name, ())


def _volume_types(bootable: bool) -> tuple[VolumeType, ...]:
    return (VolumeType.ROOT,) if bootable else (VolumeType.DATADISK,)


ATTRIBUTES: Final[Mapping[str, Attribute]] = {
    "name": StringAttribute("name"),
    "state": StringAttribute("state", _states),
    "cpu": IntegerAttribute("vcpus"),
    "memory": IntegerAttribute("memory_mib", scale=KIB_PER_MIB),
    "created": DateTimeAttribute("created_at"),
    "bootable": BooleanAttribute("volume_type", _volume_types),
    "shared": BooleanAttribute("shared"),
}
UTC: Final = dt.UTC
JUNE_1: Final = dt.datetime(2012, 6, 1, tzinfo=UTC)
NOON: Final = dt.datetime(2012, 6, 1, 12, tzinfo=UTC)


def eq(attribute: str, value: Value) -> Comparison:
    return Comparison(attribute, Op.EQ, value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("name='web'", eq("name", "web"), id="string"),
        pytest.param('name="web"', eq("name", "web"), id="double-quoted"),
        pytest.param("name=''", eq("name", ""), id="empty-string"),
        pytest.param("cpu=2", eq("cpu", 2), id="integer"),
        pytest.param("cpu=007", eq("cpu", 7), id="leading-zeros"),
        pytest.param("shared=true", eq("shared", True), id="true"),
        pytest.param("shared=FALSE", eq("shared", False), id="false-any-case"),
        pytest.param("created=2012-06-01T12:00:00Z", eq("created", NOON), id="date-z"),
        pytest.param("created=2012-06-01T14:00:00+02:00", eq("created", NOON), id="date-east"),
        pytest.param("created=2012-06-01T06:30:00-05:30", eq("created", NOON), id="date-west"),
        pytest.param("created=2012-06-01T12:00:00", eq("created", NOON), id="date-no-offset"),
        pytest.param("created=2012-06-01", eq("created", JUNE_1), id="bare-date"),
        pytest.param(
            "created=2012-06-01T12:00:00.25Z",
            eq("created", NOON.replace(microsecond=250000)),
            id="date-fraction",
        ),
        pytest.param(
            "created=2012-06-01T12:00:00.1234567Z",
            eq("created", NOON.replace(microsecond=123456)),
            id="date-fraction-cut",
        ),
        pytest.param("cpu!=2", Comparison("cpu", Op.NE, 2), id="ne"),
        pytest.param("cpu<2", Comparison("cpu", Op.LT, 2), id="lt"),
        pytest.param("cpu<=2", Comparison("cpu", Op.LE, 2), id="le"),
        pytest.param("cpu>2", Comparison("cpu", Op.GT, 2), id="gt"),
        pytest.param("cpu>=2", Comparison("cpu", Op.GE, 2), id="ge"),
        pytest.param("2<cpu", Comparison("cpu", Op.GT, 2), id="value-first-lt"),
        pytest.param("2<=cpu", Comparison("cpu", Op.GE, 2), id="value-first-le"),
        pytest.param("2>cpu", Comparison("cpu", Op.LT, 2), id="value-first-gt"),
        pytest.param("2>=cpu", Comparison("cpu", Op.LE, 2), id="value-first-ge"),
        pytest.param("'web'!=name", Comparison("name", Op.NE, "web"), id="value-first-string"),
        pytest.param("true=shared", eq("shared", True), id="value-first-boolean"),
        pytest.param(
            "2012-06-01<created", Comparison("created", Op.GT, JUNE_1), id="value-first-date"
        ),
        pytest.param(
            "property['owner']='ann'", PropertyComparison("owner", Op.EQ, "ann"), id="property"
        ),
        pytest.param(
            ' property [ "owner" ] != "ann" ',
            PropertyComparison("owner", Op.NE, "ann"),
            id="property-spaced",
        ),
        pytest.param("name='it''s'", eq("name", "it's"), id="doubled-quote"),
        pytest.param('name="say ""hi"""', eq("name", 'say "hi"'), id="doubled-double-quote"),
        pytest.param(r"name='it\'s'", eq("name", "it's"), id="backslash-quote"),
        pytest.param(r'name="say \"hi\""', eq("name", 'say "hi"'), id="backslash-double-quote"),
        pytest.param(r"name='a\\'", eq("name", "a\\"), id="backslash-backslash"),
        pytest.param(r"name='C:\dir'", eq("name", r"C:\dir"), id="lone-backslash-kept"),
        pytest.param("""name='say "hi"'""", eq("name", 'say "hi"'), id="other-quote-inside"),
        pytest.param("name='é \t'", eq("name", "é \t"), id="any-character"),
        pytest.param(
            "cpu=1 and name='a'",
            Conjunction((eq("cpu", 1), eq("name", "a"))),
            id="and",
        ),
        pytest.param(
            "cpu=1 or cpu=2 or cpu=3",
            Disjunction((eq("cpu", 1), eq("cpu", 2), eq("cpu", 3))),
            id="or-chain",
        ),
        pytest.param(
            "cpu=1 or cpu=2 and cpu=3",
            Disjunction((eq("cpu", 1), Conjunction((eq("cpu", 2), eq("cpu", 3))))),
            id="and-binds-tighter",
        ),
        pytest.param(
            "cpu=1 and cpu=2 or cpu=3",
            Disjunction((Conjunction((eq("cpu", 1), eq("cpu", 2))), eq("cpu", 3))),
            id="and-binds-tighter-left",
        ),
        pytest.param(
            "cpu=1 and (cpu=2 or cpu=3)",
            Conjunction((eq("cpu", 1), Disjunction((eq("cpu", 2), eq("cpu", 3))))),
            id="parentheses",
        ),
        pytest.param(
            "(cpu=1 or cpu=2) or cpu=3",
            Disjunction((Disjunction((eq("cpu", 1), eq("cpu", 2))), eq("cpu", 3))),
            id="parentheses-kept-as-written",
        ),
        pytest.param("((cpu=1))", eq("cpu", 1), id="redundant-parentheses"),
        pytest.param("not cpu=1", Negation(eq("cpu", 1)), id="not"),
        pytest.param(
            "not cpu=1 and cpu=2",
            Conjunction((Negation(eq("cpu", 1)), eq("cpu", 2))),
            id="not-binds-tightest",
        ),
        pytest.param(
            "not (cpu=1 or cpu=2)",
            Negation(Disjunction((eq("cpu", 1), eq("cpu", 2)))),
            id="not-parentheses",
        ),
        pytest.param("not(cpu=1)", Negation(eq("cpu", 1)), id="not-no-space"),
        pytest.param("NOT Not cpu=1", Negation(Negation(eq("cpu", 1))), id="not-not"),
        pytest.param(
            "not property['k']='v'",
            Negation(PropertyComparison("k", Op.EQ, "v")),
            id="not-property",
        ),
        pytest.param(
            "cpu=1 AND cpu=2 Or cpu=3",
            Disjunction((Conjunction((eq("cpu", 1), eq("cpu", 2))), eq("cpu", 3))),
            id="keywords-any-case",
        ),
        pytest.param(
            "\n cpu\t=\r\n1\tand(name = 'a' )  ",
            Conjunction((eq("cpu", 1), eq("name", "a"))),
            id="whitespace-anywhere",
        ),
        pytest.param(
            "name='a'and'b'=name",
            Conjunction((eq("name", "a"), eq("name", "b"))),
            id="no-space-after-string",
        ),
    ],
)
def test_parse(text: str, expected: Filter) -> None:
    assert parse(text, ATTRIBUTES) == expected


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        pytest.param("", 0, "the filter is empty", id="empty"),
        pytest.param("   ", 3, "the filter is empty", id="blank"),
        pytest.param("name='web", 5, "unterminated string", id="unterminated"),
        pytest.param(r"name='web\'", 5, "unterminated string", id="escaped-closing-quote"),
        pytest.param("cpu=1 )", 6, "expected 'and', 'or' or the end", id="trailing-paren"),
        pytest.param("cpu=1 cpu=2", 6, "expected 'and', 'or' or the end", id="trailing-comp"),
        pytest.param("(cpu=1", 6, "expected 'and', 'or' or ')'", id="unclosed-paren"),
        pytest.param("cpu=1 and", 9, "expected a comparison", id="dangling-and"),
        pytest.param("or cpu=1", 0, "expected a comparison", id="leading-or"),
        pytest.param("not", 3, "expected a comparison", id="bare-not"),
        pytest.param("()", 1, "expected a comparison", id="empty-parens"),
        pytest.param("cpu", 3, "expected an operator", id="no-operator"),
        pytest.param("cpu==1", 4, "expected a value", id="double-equals"),
        pytest.param("cpu=", 4, "expected a value", id="no-value"),
        pytest.param("cpu=name", 4, "expected a value", id="attribute-as-value"),
        pytest.param("1=2", 2, "expected an attribute name", id="two-values"),
        pytest.param("foo=1", 0, "unknown attribute 'foo'", id="unknown-attribute"),
        pytest.param("Name='a'", 0, "unknown attribute 'Name'", id="names-are-case-sensitive"),
        pytest.param("1=foo", 2, "unknown attribute 'foo'", id="unknown-attribute-second"),
        pytest.param("machine/name='a'", 7, "unexpected character '/'", id="path"),
        pytest.param("name < 'x'", 5, "'name' is a string: only = and != apply", id="string-lt"),
        pytest.param("'x' < name", 4, "'name' is a string: only", id="string-lt-value-first"),
        pytest.param("shared>=true", 6, "'shared' is a boolean: only", id="boolean-ge"),
        pytest.param("property['k']>'v'", 13, "a property is a string", id="property-gt"),
        pytest.param("property['k']=1", 14, "expected a quoted string", id="property-int"),
        pytest.param("property[k]='v'", 9, "expected a quoted property name", id="property-key"),
        pytest.param("property['k'='v'", 12, "expected ']'", id="property-bracket"),
        pytest.param("cpu='2'", 4, "'cpu' takes an integer, not '2'", id="string-for-integer"),
        pytest.param("name=2", 5, "'name' takes a quoted string", id="integer-for-string"),
        pytest.param("shared='true'", 7, "'shared' takes true or false", id="string-for-boolean"),
        pytest.param("created=1", 8, "'created' takes a date", id="integer-for-date"),
        pytest.param("created='2012-06-01'", 8, "'created' takes a date", id="quoted-date"),
        pytest.param("cpu=2012-06-01", 4, "'cpu' takes an integer", id="date-for-integer"),
        pytest.param("created=2012-13-01", 8, "is not a valid date", id="month-13"),
        pytest.param("created=2012-06-01T25:00:00Z", 8, "is not a valid date", id="hour-25"),
        pytest.param("created=2012-06-01T12:00:00+01:75", 8, "not a valid date", id="offset"),
        pytest.param("created=0001-01-01T00:00:00+01:00", 8, "not a valid date", id="year-0"),
        pytest.param("created>2012-06-01T12:00Z", 8, "malformed number or date", id="no-secs"),
        pytest.param("created=12-06-01", 8, "malformed number or date", id="short-year"),
        pytest.param("cpu=1.5", 4, "malformed number or date", id="decimal"),
        pytest.param("cpu=1and name='a'", 4, "malformed number or date", id="number-runs-on"),
        pytest.param("cpu=-1", 4, "unexpected character '-'", id="negative"),
        pytest.param(f"cpu={2**63}", 4, "is too large", id="too-large"),
        pytest.param("name=$", 5, "unexpected character '$'", id="bad-character"),
        pytest.param(
            "(" * (MAX_NESTING + 1) + "cpu=1" + ")" * (MAX_NESTING + 1),
            MAX_NESTING,
            "levels of 'not' and '('",
            id="too-deep",
        ),
        pytest.param("not " * (MAX_NESTING + 1) + "cpu=1", 4 * MAX_NESTING, "levels", id="nots"),
    ],
)
def test_parse_error(text: str, position: int, reason: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse(text, ATTRIBUTES)
    assert raised.value.position == position
    assert reason in raised.value.reason
    assert str(raised.value).endswith(f"at character {position + 1}")


def test_unknown_attribute_names_the_known_ones() -> None:
    with pytest.raises(FilterError, match=r"\(known: bootable, cpu, created, memory, name,"):
        parse("foo=1", ATTRIBUTES)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "(" * MAX_NESTING + "cpu=1" + ")" * MAX_NESTING
    assert parse(text, ATTRIBUTES) == eq("cpu", 1)


def test_a_long_chain_costs_no_stack() -> None:
    """Thousands of ``or`` terms read and translate without deep recursion: the predicate is
    a balanced tree."""
    count = 5000
    parsed = parse(" or ".join(f"cpu={n}" for n in range(count)), ATTRIBUTES)
    assert isinstance(parsed, Disjunction)
    assert len(parsed.operands) == count
    assert _depth(to_predicate(parsed, ATTRIBUTES)) == 1 + (count - 1).bit_length()


def _depth(predicate: Predicate) -> int:
    match predicate:
        case And(left, right) | Or(left, right):
            return 1 + max(_depth(left), _depth(right))
        case Not(operand):
            return 1 + _depth(operand)
    return 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("name='a'", Compare("name", Op.EQ, ("a",)), id="string"),
        pytest.param("cpu>=2", Compare("vcpus", Op.GE, (2,)), id="integer"),
        pytest.param("2>=cpu", Compare("vcpus", Op.LE, (2,)), id="value-first"),
        pytest.param("created<2012-06-01", Compare("created_at", Op.LT, (JUNE_1,)), id="date"),
        pytest.param("shared!=true", Compare("shared", Op.NE, (True,)), id="boolean"),
        pytest.param(
            "state='STOPPED'",
            Compare("state", Op.EQ, (InstanceState.STOPPED, InstanceState.DESTROYED)),
            id="one-name-two-states",
        ),
        pytest.param(
            "state!='STARTED'",
            Compare("state", Op.NE, (InstanceState.RUNNING,)),
            id="state-ne",
        ),
        pytest.param("state='PAUSED'", Always(False), id="state-core-lacks"),
        pytest.param("state!='PAUSED'", Always(True), id="state-core-lacks-ne"),
        pytest.param("state='started'", Always(False), id="state-not-a-name"),
        pytest.param(
            "bootable=true", Compare("volume_type", Op.EQ, (VolumeType.ROOT,)), id="converted"
        ),
        pytest.param("memory=1048576", Compare("memory_mib", Op.EQ, (1024,)), id="kib-eq"),
        pytest.param("memory=1048577", Always(False), id="kib-eq-not-whole"),
        pytest.param("memory!=1048577", Always(True), id="kib-ne-not-whole"),
        pytest.param("memory<1048577", Compare("memory_mib", Op.LT, (1025,)), id="kib-lt"),
        pytest.param("memory<=1048577", Compare("memory_mib", Op.LE, (1024,)), id="kib-le"),
        pytest.param("memory>1048577", Compare("memory_mib", Op.GT, (1024,)), id="kib-gt"),
        pytest.param("memory>=1048577", Compare("memory_mib", Op.GE, (1025,)), id="kib-ge"),
        pytest.param("memory<1048576", Compare("memory_mib", Op.LT, (1024,)), id="kib-lt-whole"),
        pytest.param("memory>=1048576", Compare("memory_mib", Op.GE, (1024,)), id="kib-ge-whole"),
        pytest.param("property['k']!='v'", TagCompare("k", Op.NE, "v"), id="property"),
        pytest.param(
            "not (cpu=1 and name='a' and shared=true)",
            Not(
                And(
                    Compare("vcpus", Op.EQ, (1,)),
                    And(Compare("name", Op.EQ, ("a",)), Compare("shared", Op.EQ, (True,))),
                )
            ),
            id="connectives",
        ),
        pytest.param(
            "cpu=1 or cpu=2",
            Or(Compare("vcpus", Op.EQ, (1,)), Compare("vcpus", Op.EQ, (2,))),
            id="or",
        ),
    ],
)
def test_to_predicate(text: str, expected: Predicate) -> None:
    assert to_predicate(parse(text, ATTRIBUTES), ATTRIBUTES) == expected


def test_several_filters_are_anded() -> None:
    assert parse_all(["cpu=1", "name='a' or name='b'"], ATTRIBUTES) == Conjunction(
        (eq("cpu", 1), Disjunction((eq("name", "a"), eq("name", "b"))))
    )
    assert query_predicate(["cpu=1", "shared=true"], ATTRIBUTES) == And(
        Compare("vcpus", Op.EQ, (1,)), Compare("shared", Op.EQ, (True,))
    )


def test_one_filter_is_itself_and_none_is_everything() -> None:
    assert parse_all(["cpu=1"], ATTRIBUTES) == eq("cpu", 1)
    assert parse_all([], ATTRIBUTES) is None
    assert query_predicate([], ATTRIBUTES) == Always(True)


def test_a_bad_filter_among_several_is_an_error() -> None:
    with pytest.raises(FilterError, match="unknown attribute 'foo'"):
        query_predicate(["cpu=1", "foo=2"], ATTRIBUTES)


RESOURCE: Final[Mapping[str, Value | None]] = {"name": "web", "cpu": 2, "created": NOON}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        pytest.param("name='web'", True, id="eq"),
        pytest.param("cpu>1 and cpu<=2", True, id="range"),
        pytest.param("created>2012-06-01T13:00:00+02:00", True, id="date-offset"),
        pytest.param("not cpu=2 or name!='web'", False, id="not-or"),
        pytest.param("shared=true", False, id="absent-eq"),
        pytest.param("shared!=true", True, id="absent-ne"),
        pytest.param("not shared=true", True, id="absent-not-eq"),
        pytest.param("property['owner']='ann'", True, id="property"),
        pytest.param("property['team']!='ops'", True, id="absent-property-ne"),
        pytest.param("property['team']='ops'", False, id="absent-property-eq"),
    ],
)
def test_evaluate(text: str, matches: bool) -> None:
    assert evaluate(parse(text, ATTRIBUTES), RESOURCE, {"owner": "ann"}) is matches


# Random filters. Values come from small sets so that comparisons with the random resources
# below are often true; strings use the characters that quoting has to take care of.

TEXT: Final = st.text(alphabet="ab'\"\\ é", max_size=4)
EQUALITY: Final = st.sampled_from([Op.EQ, Op.NE])
ANY_OP: Final = st.sampled_from(list(Op))
INSTANTS: Final = (
    JUNE_1,
    NOON,
    NOON + dt.timedelta(microseconds=500),
    dt.datetime(2012, 6, 2, tzinfo=UTC),
)
INSTANT: Final = st.one_of(
    st.sampled_from(INSTANTS),
    st.datetimes(
        min_value=dt.datetime(2012, 5, 31),
        max_value=dt.datetime(2012, 6, 3),
        timezones=st.just(UTC),
    ),
)
MEMORY_KIB: Final = st.one_of(
    st.integers(0, 4).map(lambda mib: mib * KIB_PER_MIB), st.integers(0, 5000)
)
PROPERTY_KEY: Final = st.sampled_from(["owner", "team", "it's"])

COMPARISONS: Final[st.SearchStrategy[Filter]] = st.one_of(
    st.builds(Comparison, st.just("name"), EQUALITY, TEXT),
    st.builds(Comparison, st.just("state"), EQUALITY, st.sampled_from([*STATES, "DELETED"])),
    st.builds(Comparison, st.just("cpu"), ANY_OP, st.integers(0, 4)),
    st.builds(Comparison, st.just("memory"), ANY_OP, MEMORY_KIB),
    st.builds(Comparison, st.just("created"), ANY_OP, INSTANT),
    st.builds(Comparison, st.sampled_from(["bootable", "shared"]), EQUALITY, st.booleans()),
    st.builds(PropertyComparison, PROPERTY_KEY, EQUALITY, TEXT),
)


def _compound(children: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    operands = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.builds(Negation, children),
        st.builds(Conjunction, operands),
        st.builds(Disjunction, operands),
    )


FILTERS: Final = st.recursive(COMPARISONS, _compound, max_leaves=8)


@dataclass(frozen=True)
class Machine:
    """A row of a core listing, and through ``cimi`` the CIMI resource it is."""

    name: str | None
    state: InstanceState
    vcpus: int
    memory_mib: int
    created_at: dt.datetime
    volume_type: VolumeType
    shared: bool
    tags: Mapping[str, str]

    def core(self) -> Mapping[str, Scalar | None]:
        return {
            "name": self.name,
            "state": self.state,
            "vcpus": self.vcpus,
            "memory_mib": self.memory_mib,
            "created_at": self.created_at,
            "volume_type": self.volume_type,
            "shared": self.shared,
        }

    def cimi(self) -> Mapping[str, Value | None]:
        return {
            "name": self.name,
            "state": CIMI_STATE[self.state],
            "cpu": self.vcpus,
            "memory": self.memory_mib * KIB_PER_MIB,
            "created": self.created_at,
            "bootable": self.volume_type is VolumeType.ROOT,
            "shared": self.shared,
        }


MACHINES: Final = st.builds(
    Machine,
    name=st.one_of(st.none(), TEXT),
    state=st.sampled_from(sorted(CIMI_STATE, key=lambda state: state.value)),
    vcpus=st.integers(0, 4),
    memory_mib=st.integers(0, 4),
    created_at=st.sampled_from(INSTANTS),
    volume_type=st.sampled_from(VolumeType),
    shared=st.booleans(),
    tags=st.dictionaries(PROPERTY_KEY, TEXT, max_size=3),
)
SIGNS: Final = {Op.LT: {-1}, Op.LE: {-1, 0}, Op.GT: {1}, Op.GE: {0, 1}}


def _selects(predicate: Predicate, machine: Machine) -> bool:
    """Core's predicate over a core row, with the meaning the filter module documents: a field
    or tag the row lacks fails every comparison but ``!=``."""
    match predicate:
        case Compare(field, op, values):
            return _compares(machine.core()[field], op, values)
        case TagCompare(key, op, value):
            return _compares(machine.tags.get(key), op, (value,))
        case And(left, right):
            return _selects(left, machine) and _selects(right, machine)
        case Or(left, right):
            return _selects(left, machine) or _selects(right, machine)
        case Not(operand):
            return not _selects(operand, machine)
        case Always(holds):
            return holds


def _compares(actual: Scalar | None, op: Op, values: Sequence[Scalar]) -> bool:
    if op is Op.EQ:
        return actual is not None and actual in values
    if op is Op.NE:
        return actual is None or actual not in values
    (value,) = values
    return actual is not None and _sign(actual, value) in SIGNS[op]


def _sign(actual: Scalar, value: Scalar) -> int:
    if isinstance(actual, int) and isinstance(value, int):
        return (actual > value) - (actual < value)
    if isinstance(actual, dt.datetime) and isinstance(value, dt.datetime):
        return (actual > value) - (actual < value)
    raise TypeError(f"{actual!r} and {value!r} are not ordered")


@settings(database=None, max_examples=200, deadline=None)
@given(filter=FILTERS, machine=MACHINES)
def test_core_predicate_selects_what_the_filter_means(filter: Filter, machine: Machine) -> None:
    expected = evaluate(filter, machine.cimi(), machine.tags)
    assert _selects(to_predicate(filter, ATTRIBUTES), machine) is expected


@settings(database=None, max_examples=200, deadline=None)
@given(filter=FILTERS, data=st.data())
def test_any_spelling_reads_back_as_the_same_filter(filter: Filter, data: st.DataObject) -> None:
    text = _Spelling(data).filter(filter)
    assert parse(text, ATTRIBUTES) == filter, text


class _Spelling:
    """Writes a filter as text, choosing at random among the spellings the grammar allows:
    spaces, keyword case, quotes and escapes, value-first comparisons, date offsets, redundant
    parentheses."""

    def __init__(self, data: st.DataObject) -> None:
        self._draw = data.draw

    def filter(self, filter: Filter) -> str:
        text = self._bare(filter)
        return f"({self._gap()}{text}{self._gap()})" if self._draw(st.booleans()) else text

    def _bare(self, filter: Filter) -> str:
        match filter:
            case Comparison(attribute, op, value):
                return self._comparison(attribute, op, value)
            case PropertyComparison(key, op, value):
                key_text, value_text = self._string(key), self._string(value)
                return f"property{self._gap()}[{self._gap()}{key_text}{self._gap()}]" + (
                    f"{self._gap()}{op.value}{self._gap()}{value_text}"
                )
            case Conjunction(operands):
                parts = [self._operand(f, (Conjunction, Disjunction)) for f in operands]
                return self._keyword("and").join(parts)
            case Disjunction(operands):
                parts = [self._operand(f, (Disjunction,)) for f in operands]
                return self._keyword("or").join(parts)
            case Negation(operand):
                return self._keyword("not").lstrip() + self._operand(
                    operand, (Conjunction, Disjunction)
                )

    def _operand(self, filter: Filter, grouped: tuple[type[Filter], ...]) -> str:
        if isinstance(filter, grouped):
            return f"({self._gap()}{self._bare(filter)}{self._gap()})"
        return self.filter(filter)

    def _comparison(self, attribute: str, op: Op, value: Value) -> str:
        value_text = self._value(value)
        if self._draw(st.booleans()):
            return f"{attribute}{self._gap()}{op.value}{self._gap()}{value_text}"
        turned = {Op.LT: Op.GT, Op.LE: Op.GE, Op.GT: Op.LT, Op.GE: Op.LE}.get(op, op)
        return f"{value_text}{self._gap()}{turned.value}{self._gap()}{attribute}"

    def _value(self, value: Value) -> str:
        match value:
            case bool():
                return self._case("true" if value else "false")
            case int():
                return self._draw(st.sampled_from(["", "0", "00"])) + str(value)
            case str():
                return self._string(value)
            case dt.datetime():
                return self._date(value)

    def _string(self, value: str) -> str:
        quote = self._draw(st.sampled_from("'\""))
        out = []
        for at, char in enumerate(value):
            if char == quote:
                out.append(self._draw(st.sampled_from([quote * 2, "\\" + quote])))
            elif char == "\\" and value[at + 1 : at + 2] in ("", "'", '"', "\\"):
                out.append("\\\\")
            elif char == "\\":
                out.append(self._draw(st.sampled_from(["\\", "\\\\"])))
            else:
                out.append(char)
        return quote + "".join(out) + quote

    def _date(self, value: dt.datetime) -> str:
        minutes = self._draw(st.sampled_from([0, 120, -330, 840, -720]))
        local = value.astimezone(dt.timezone(dt.timedelta(minutes=minutes)))
        if minutes == 0:
            offset = self._draw(st.sampled_from(["Z", "+00:00", "-00:00", ""]))
        else:
            sign, size = "+" if minutes > 0 else "-", abs(minutes)
            offset = f"{sign}{size // 60:02}:{size % 60:02}"
        if local.time() == dt.time() and self._draw(st.booleans()):
            return f"{local:%Y-%m-%d}{offset}"
        fraction = f".{local.microsecond:06}".rstrip("0") if local.microsecond else ""
        return f"{local:%Y-%m-%dT%H:%M:%S}{fraction}{offset}"

    def _keyword(self, word: str) -> str:
        space = st.sampled_from([" ", "  ", "\t", "\n", " \r\n "])
        return self._draw(space) + self._case(word) + self._draw(space)

    def _case(self, word: str) -> str:
        return self._draw(st.sampled_from([word, word.upper(), word.title()]))

    def _gap(self) -> str:
        return self._draw(st.sampled_from(["", "", " ", "\t", "\n"]))


@settings(database=None, max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(),
        st.text(alphabet="cpu=<>!()[]'\"\\ 0129-:TZ+.andortrueproperty", max_size=30),
    )
)
def test_any_text_parses_or_is_a_filter_error(text: str) -> None:
    """Whatever a client sends, the server gets a filter or a FilterError (400), never another
    exception (500)."""
    try:
        parse(text, ATTRIBUTES)
    except FilterError as error:
        assert 0 <= error.position <= len(text)
