"""The OCCI text rendering's reading and writing (gateway/occi/text.py): lenient where clients
differ, strict where a value would be guessed, and written the one way rOCCI-core reads."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from gateway.occi import schema, text
from gateway.occi.document import Malformed

INFRA = "http://schemas.ogf.org/occi/infrastructure#"


@pytest.mark.parametrize(
    "line",
    [
        f'compute;scheme="{INFRA}";class="kind"',
        f'compute; scheme="{INFRA}"; class=kind;',
        f'compute;class="kind";title="A, B";scheme="{INFRA}"',
    ],
)
def test_a_category_reads_with_its_parameters_in_any_order(line: str) -> None:
    found = text.parse_category(line)
    assert (found.scheme, found.term, found.cls) == (INFRA, "compute", "kind")


@pytest.mark.parametrize(
    "line",
    [
        "compute",
        f'compute;scheme="{INFRA}"',
        f'compute;scheme={INFRA};class="kind"',
        f'com pute;scheme="{INFRA}";class="kind"',
        'compute;scheme="no-hash";class="kind"',
        f'compute;scheme="{INFRA}";class="robot"',
        f'compute;scheme="{INFRA};class="kind"',
    ],
)
def test_a_category_without_what_it_needs_is_malformed(line: str) -> None:
    with pytest.raises(Malformed):
        text.parse_category(line)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ('"a \\"quoted\\" \\\\ word\\n"', 'a "quoted" \\ word\n'),
        ("42", 42),
        ("0.5", 0.5),
        ("true", True),
        ("false", False),
        ('""', ""),
    ],
)
def test_attribute_values(written: str, value: object) -> None:
    assert text.parse_attribute(f"occi.core.title={written}") == ("occi.core.title", value)


@pytest.mark.parametrize(
    "written", ["occi.core.title=two words", "occi.core.title=1e5", "Occi.Core=1", "noequals"]
)
def test_attribute_values_that_would_be_guessed_are_malformed(written: str) -> None:
    with pytest.raises(Malformed):
        text.parse_attribute(written)


def test_a_body_takes_repeated_lines_and_comma_lists_alike() -> None:
    body = (
        f'Category: compute;scheme="{INFRA}";class="kind"\n\n'
        'X-OCCI-Attribute: occi.core.title="a, b",occi.compute.cores=2\n'
        'Link: </occi/network/1>;rel="http://x/y#network";category="http://x/y#ni";a.b=1\n'
        "X-OCCI-Location: /occi/compute/1\n"
    )
    doc = text.parse_body(body)
    assert [c.term for c in doc.categories] == ["compute"]
    assert doc.attributes == {"occi.core.title": "a, b", "occi.compute.cores": 2}
    [link] = doc.links
    assert (link.target, link.categories, dict(link.attributes)) == (
        "/occi/network/1",
        ("http://x/y#ni",),
        {"a.b": 1},
    )
    assert doc.locations == ("/occi/compute/1",)


def test_headers_take_repeated_headers_and_comma_lists_alike() -> None:
    headers = Headers(
        raw=[
            (b"category", f'compute;scheme="{INFRA}";class="kind"'.encode()),
            (b"x-occi-attribute", b'occi.core.title="x",occi.compute.cores=1'),
            (b"x-occi-attribute", b"occi.compute.memory=2.0"),
        ]
    )
    doc = text.parse_headers(headers)
    assert doc.attributes == {
        "occi.core.title": "x",
        "occi.compute.cores": 1,
        "occi.compute.memory": 2.0,
    }


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.5, "0.5"),
        (1.0, "1.0"),
        (1e-9, "0.0"),
        (123456789.25, "123456789.25"),
        (3, "3"),
        (True, "true"),
        ('say "hi"\r\n\\', '"say \\"hi\\"  \\\\"'),
    ],
)
def test_values_are_written_without_sign_exponent_or_control_characters(
    value: text.Value, written: str
) -> None:
    assert text.value_text(value) == written


def test_a_category_is_written_in_rocci_s_parameter_order() -> None:
    line = text.category_text(schema.COMPUTE, full=True)
    order = [line.index(f";{name}=") for name in ("scheme", "class", "title", "rel", "location")]
    order += [line.index(f";{name}=") for name in ("attributes", "actions")]
    assert order == sorted(order)


def test_no_title_of_the_fixed_model_holds_a_comma() -> None:
    """rOCCI splits text/occi headers at every comma, inside quotes too."""
    for category in schema.FIXED.values():
        assert "," not in text.category_text(category, full=True), category.identifier
