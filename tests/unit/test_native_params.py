"""CloudStack request parameters: case-insensitive names, ``name[i].field`` maps (as
ParamUnpackWorker reads them), the first-occurrence rule and the control-character check."""

from __future__ import annotations

import pytest

from gateway.native.params import MalformedParameter, Params, control_character_parameter, parse


def query(*pairs: tuple[str, str]) -> Params:
    return parse(pairs, ())


def test_names_are_case_insensitive() -> None:
    params = query(("zoneId", "z1"), ("command", "listZones"))
    assert params.get("zoneid") == params.get("ZONEID") == params.get("zoneId") == "z1"
    assert params.has("ZoneId")
    assert params.scalars == {"zoneid": "z1", "command": "listZones"}


def test_absent_name() -> None:
    params = query(("command", "listZones"))
    assert params.get("zoneid") is None
    assert not params.has("zoneid")
    assert params.entries("tags") == ()


def test_empty_value_is_present() -> None:
    params = query(("name", ""))
    assert params.get("name") == ""
    assert params.has("name")


def test_raw_pairs_keep_case_and_order_query_first() -> None:
    params = parse([("command", "deployVirtualMachine"), ("zoneId", "z")], [("userData", "aGk=")])
    assert params.raw == (
        ("command", "deployVirtualMachine"),
        ("zoneId", "z"),
        ("userData", "aGk="),
    )


def test_tags_map() -> None:
    params = query(("tags[0].key", "a"), ("tags[0].value", "b"), ("tags[1].key", "c"))
    assert params.maps == {"tags": ({"key": "a", "value": "b"}, {"key": "c"})}
    assert params.entries("TAGS") == params.entries("tags")
    assert params.has("tags")
    assert params.get("tags") is None  # a map is not a scalar


def test_details_map_lowercases_map_and_field_names_not_values() -> None:
    params = query(("Details[0].cpuNumber", "2"), ("details[0].Memory", "640k"))
    assert params.entries("details") == ({"cpunumber": "2", "memory": "640k"},)


def test_field_may_contain_dots() -> None:
    # ParamUnpackWorker splits at the first dot after the bracket; the rest is the field.
    assert query(("details[0].a.b", "v")).entries("details") == ({"a.b": "v"},)


def test_non_contiguous_indices_keep_index_order() -> None:
    params = query(("tags[2].key", "second"), ("tags[0].key", "first"))
    assert params.entries("tags") == ({"key": "first"}, {"key": "second"})


def test_indices_order_numerically() -> None:
    params = query(("tags[10].key", "ten"), ("tags[9].key", "nine"))
    assert [entry["key"] for entry in params.entries("tags")] == ["nine", "ten"]


def test_leading_zeros_name_the_same_index() -> None:
    # Integer.parseInt("01") == 1, so both fields land in one entry.
    params = query(("tags[01].key", "k"), ("tags[1].value", "v"))
    assert params.entries("tags") == ({"key": "k", "value": "v"},)


def test_scalar_and_map_of_the_same_name_coexist() -> None:
    params = query(("tags", "plain"), ("tags[0].key", "k"))
    assert params.get("tags") == "plain"
    assert params.entries("tags") == ({"key": "k"},)


def test_entries_are_read_only() -> None:
    entry = query(("tags[0].key", "k")).entries("tags")[0]
    with pytest.raises(TypeError):
        entry["key"] = "changed"  # type: ignore[index]


@pytest.mark.parametrize(
    ("query_pairs", "form_pairs", "expected"),
    [
        pytest.param([("name", "a"), ("name", "b")], [], "a", id="query-twice"),
        pytest.param([("name", "a")], [("name", "b")], "a", id="query-before-form"),
        pytest.param([], [("name", "a"), ("name", "b")], "a", id="form-twice"),
        pytest.param([("Name", "a"), ("NAME", "b")], [], "a", id="case-variants"),
    ],
)
def test_first_occurrence_wins(
    query_pairs: list[tuple[str, str]], form_pairs: list[tuple[str, str]], expected: str
) -> None:
    params = parse(query_pairs, form_pairs)
    assert params.get("name") == expected
    assert len(params.raw) == 2  # both are still signed over


def test_first_occurrence_wins_in_maps() -> None:
    params = query(("tags[0].key", "a"), ("TAGS[0].KEY", "b"))
    assert params.entries("tags") == ({"key": "a"},)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("tags[0]", id="no-field"),
        pytest.param("tags[0].", id="empty-field"),
        pytest.param("tags[].key", id="empty-index"),
        pytest.param("tags[a].key", id="letter-index"),
        pytest.param("tags[-1].key", id="negative-index"),
        pytest.param("tags[+1].key", id="signed-index"),
        pytest.param("tags[ 1].key", id="space-in-index"),
        pytest.param("tags[\u0661].key", id="arabic-indic-digit"),
        pytest.param("tags[2147483648].key", id="index-beyond-java-int"),
        pytest.param("tags[99999999999].key", id="eleven-digit-index"),
        pytest.param("tags[0", id="unclosed"),
        pytest.param("tags[0.key", id="unclosed-with-field"),
        pytest.param("tags0].key", id="unopened"),
        pytest.param("tags]0[.key", id="reversed"),
        pytest.param("tags[0][1].key", id="two-indices"),
        pytest.param("tags[0].key]", id="bracket-in-field"),
        pytest.param("tags[0].key[1]", id="index-in-field"),
        pytest.param("tags[0]x.key", id="junk-after-index"),
        pytest.param("ta.gs[0].key", id="dot-in-map-name"),
        pytest.param("[0].key", id="no-map-name"),
        pytest.param("[", id="lone-open"),
        pytest.param("]", id="lone-close"),
        pytest.param("name]", id="trailing-close"),
    ],
)
def test_malformed_map_names(name: str) -> None:
    with pytest.raises(MalformedParameter) as caught:
        parse([("command", "createTags")], [(name, "v")])
    assert caught.value.name == name
    assert name in str(caught.value)


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        pytest.param("plain text", False, id="plain"),
        pytest.param("line one\nline two", False, id="newline"),
        pytest.param("line one\r\nline two", False, id="crlf"),
        pytest.param("tab\there", True, id="tab"),  # CloudStack's range \000-\011 includes TAB
        pytest.param("nul\x00", True, id="nul"),
        pytest.param("vertical\x0btab", True, id="vertical-tab"),
        pytest.param("form\x0cfeed", True, id="form-feed"),
        pytest.param("escape\x1b[0m", True, id="escape"),
        pytest.param("unit\x1fseparator", True, id="unit-separator"),
        pytest.param("delete\x7f", True, id="delete"),
        pytest.param("c1\x85control", False, id="c1-not-ascii"),
        pytest.param("café ☁", False, id="unicode"),
    ],
)
def test_control_characters(value: str, refused: bool) -> None:
    params = query(("command", "createTags"), ("Description", value))
    assert control_character_parameter(params) == ("Description" if refused else None)


def test_control_character_reports_the_first_offender_as_sent() -> None:
    params = parse([("name", "ok"), ("Tags[0].Value", "a\tb")], [("displayText", "\x00")])
    assert control_character_parameter(params) == "Tags[0].Value"


def test_control_character_in_ignored_duplicate_is_refused() -> None:
    params = query(("name", "ok"), ("name", "bad\x00"))
    assert control_character_parameter(params) == "name"


@pytest.mark.parametrize("name", ["activationrule", "activationRule"])
def test_activation_rule_may_hold_control_characters(name: str) -> None:
    assert control_character_parameter(query((name, "if (a)\t{\x0b}"))) is None
