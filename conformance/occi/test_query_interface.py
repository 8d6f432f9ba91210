"""The query interface (spec §1.3, §1.4): ``<endpoint>-/`` lists every Kind, Mixin and Action
in a grammar both GFD.185 and rOCCI-core 4.3.6 read, at both locations, in text/plain and
text/occi, and restricted by a Category filter."""

from __future__ import annotations

import re

import pytest

from conformance.occi.checks import assert_error, assert_lines_read_everywhere
from conformance.occi.client import (
    COMPUTE_ACTION,
    CORE,
    INFRA,
    OS_TPL,
    RESOURCE_TPL,
    Model,
    OcciClient,
    Target,
    category_value,
    media_type,
)
from conformance.occi.grammar import (
    body_lines,
    header_lines,
    parse_text_occi,
    parse_text_plain,
    rocci_header_refusals,
    rocci_location_refusal,
)

INFRA_KINDS = [
    pytest.param("compute", CORE + "resource", id="compute"),
    pytest.param("storage", CORE + "resource", id="storage"),
    pytest.param("network", CORE + "resource", id="network"),
    pytest.param("networkinterface", CORE + "link", id="networkinterface"),
    pytest.param("storagelink", CORE + "link", id="storagelink"),
]
KIND_ACTIONS = [
    pytest.param("compute", COMPUTE_ACTION, {"start", "stop", "restart", "suspend"}, id="compute"),
    pytest.param(
        "storage", INFRA.replace("#", "/storage/action#"), {"online", "offline"}, id="storage"
    ),
    pytest.param("network", INFRA.replace("#", "/network/action#"), {"up", "down"}, id="network"),
]


def test_every_line_is_a_category_in_the_grammar(client: OcciClient, target: Target) -> None:
    """ETSI OCCI/CORE/DISCOVERY/001: 200, text/plain, nothing but Category lines, each in
    GFD.185's grammar and read whole by rOCCI-core 4.3.6 (one bad line aborts rOCCI-cli)."""
    response = client.get(target.query_interface)
    assert response.status_code == 200
    assert media_type(response) == "text/plain"
    lines = body_lines(response.text)
    assert all(line.startswith("Category: ") for line in lines), response.text
    assert assert_lines_read_everywhere(lines) > 5


def test_the_well_known_location_answers_the_same(client: OcciClient, target: Target) -> None:
    """Spec §1.3: when both locations exist they are identical (occi-wg test_occi_11)."""
    first = client.get(target.query_interface)
    well_known = client.get(target.well_known)
    assert well_known.status_code == 200
    assert sorted(body_lines(well_known.text)) == sorted(body_lines(first.text))


def test_core_kinds_are_declared(model: Model) -> None:
    """ETSI OCCI/CORE/DISCOVERY/001 (pOCCI's required categories): entity, resource, link."""
    for term in ("entity", "resource", "link"):
        model.kind(term, CORE)
    assert model.kind("resource", CORE).rel == CORE + "entity"
    assert model.kind("link", CORE).rel == CORE + "entity"


@pytest.mark.parametrize(("term", "parent"), INFRA_KINDS)
def test_infrastructure_kind_has_a_location(model: Model, term: str, parent: str) -> None:
    """GFD.184's kinds, related to their core kind, each with a location ending in ``/``
    (every Kind that can be instantiated MUST have one)."""
    kind = model.kind(term)
    assert kind.rel == parent
    assert kind.location and kind.location.endswith("/"), kind
    assert kind.title, f"{kind.type_id} has no title"


def test_kind_and_mixin_locations_read_in_rocci(model: Model) -> None:
    """rOCCI keeps a location's path only: each is an absolute path or URL ending in ``/``,
    a Mixin's a path ``/…/``; no two categories share a location."""
    located = [c for c in model.categories if c.location]
    assert located
    refusals = [r for c in located if (r := rocci_location_refusal(c.location or "", c.cls))]
    assert not refusals
    locations = [c.location for c in located]
    assert len(set(locations)) == len(locations), "two categories share a location"


@pytest.mark.parametrize(("term", "scheme", "actions"), KIND_ACTIONS)
def test_kind_declares_its_actions(model: Model, term: str, scheme: str, actions: set[str]) -> None:
    """GFD.184's actions, listed in the kind's ``actions`` and each an Action Category."""
    declared = set(model.kind(term).actions)
    assert {scheme + action for action in actions} <= declared
    for action in actions:
        assert model.get(scheme + action).cls == "action"


def test_every_declared_action_is_an_action_category(model: Model) -> None:
    declared = {action for c in model.categories for action in c.actions}
    assert declared
    missing = sorted(
        a for a in declared if (found := model.find(a)) is None or found.cls != "action"
    )
    assert not missing, f"actions declared but not rendered as Action categories: {missing}"


def test_templates_are_offered(model: Model) -> None:
    """Spec §1.7: the os_tpl and resource_tpl mixins, and the provider's templates related
    to them (ETSI OCCI/INFRA/CREATE/004 needs one of each)."""
    for tpl in (OS_TPL, RESOURCE_TPL):
        assert model.get(tpl).cls == "mixin"
        templates = model.templates(tpl)
        assert templates, f"no mixin related to {tpl}"
        assert all(t.location and t.title for t in templates), templates


def test_category_filter_restricts_the_answer(
    client: OcciClient, model: Model, target: Target
) -> None:
    """ETSI OCCI/CORE/DISCOVERY/002: a Category in the request headers returns that Category
    and not the rest of the model."""
    compute = model.kind("compute")
    response = client.get(
        target.query_interface,
        headers={
            "Content-Type": "text/occi",
            "Category": category_value(compute.term, compute.scheme, compute.cls),
        },
    )
    assert response.status_code == 200
    filtered = parse_text_plain(response.text).type_ids
    assert compute.type_id in filtered
    assert INFRA + "storage" not in filtered
    assert len(filtered) < len(model.categories)


def test_text_occi_renders_the_same_categories(
    client: OcciClient, model: Model, target: Target
) -> None:
    """Spec §1.4: text/occi puts the renderings in headers and ``OK`` (or nothing) in the
    body; the categories are those of text/plain."""
    response = client.get(target.query_interface, accept="text/occi")
    assert response.status_code == 200
    assert media_type(response) == "text/occi"
    assert response.text.strip() in ("", "OK")
    assert parse_text_occi(response.headers).type_ids == {c.type_id for c in model.categories}
    assert all(line.startswith("Category: ") for line in header_lines(response.headers))


def test_text_occi_headers_read_in_rocci(client: OcciClient, target: Target) -> None:
    """rOCCI-core reads the first occurrence of a header and splits it at every comma."""
    response = client.get(target.query_interface, accept="text/occi")
    assert response.status_code == 200
    assert not rocci_header_refusals(response.headers)


@pytest.mark.parametrize("accept", [None, "*/*", "text/*"])
def test_text_plain_is_the_default(client: OcciClient, target: Target, accept: str | None) -> None:
    """Spec §1.4: no Accept, or one any type satisfies, gets text/plain."""
    response = client.get(target.query_interface, accept=accept)
    assert response.status_code == 200
    assert media_type(response) == "text/plain"


def test_unsupported_accept_is_406(client: OcciClient, target: Target) -> None:
    assert_error(client.get(target.query_interface, accept="application/x-unknown"), {406})


def test_server_header_names_the_occi_version(client: OcciClient, target: Target) -> None:
    """Spec §1.6: every response carries ``Server: … OCCI/1.1`` (or 1.2)."""
    server = client.get(target.query_interface).headers.get("server", "")
    assert re.search(r"\bOCCI/1\.[12]\b", server), server
