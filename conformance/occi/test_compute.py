"""Compute CRUD (spec §1.6, §1.7): create from an os_tpl and a resource_tpl in text/plain and
in text/occi, read, list, update the title by a partial update, delete."""

from __future__ import annotations

import httpx

from conformance.occi.checks import assert_lines_read_everywhere, paths, state
from conformance.occi.client import (
    DELETED,
    INFRA,
    Model,
    OcciClient,
    Resources,
    Target,
    attribute,
    category_of,
    describe,
    media_type,
)
from conformance.occi.grammar import (
    Rendering,
    body_lines,
    header_lines,
    parse_text_occi,
    parse_text_plain,
)


def assert_is_the_compute(rendering: Rendering, resources: Resources, title: str) -> None:
    """One Kind (compute), the two template mixins, an id, the title and a state."""
    assert [c.type_id for c in rendering.of_class("kind")] == [INFRA + "compute"]
    mixins = {c.type_id for c in rendering.of_class("mixin")}
    assert {resources.os_tpl().type_id, resources.resource_tpl().type_id} <= mixins
    assert rendering.attributes.get("occi.core.title") == title
    occi_id = rendering.attributes.get("occi.core.id")
    assert isinstance(occi_id, str) and occi_id, rendering.attributes
    state(rendering, "occi.compute.state")


def test_create_compute_in_text_plain(
    client: OcciClient, resources: Resources, unique: str
) -> None:
    """ETSI OCCI/INFRA/CREATE/004: 201 + Location (or 200 + X-OCCI-Location); the rendering
    is in the grammar and rOCCI reads every line of it."""
    url = resources.compute(unique)
    response = client.get(url)
    assert response.status_code == 200, describe(response)
    assert media_type(response) == "text/plain"
    assert assert_lines_read_everywhere(body_lines(response.text)) >= 5
    assert_is_the_compute(client.read(url), resources, unique)


def test_create_compute_in_text_occi(client: OcciClient, resources: Resources, unique: str) -> None:
    """The same request with the renderings in headers (rOCCI-cli ``--media-type text/occi``)."""
    url = resources.compute(unique, media="text/occi")
    response = client.get(url, accept="text/occi")
    assert response.status_code == 200, describe(response)
    assert media_type(response) == "text/occi"
    assert response.text.strip() in ("", "OK")
    assert assert_lines_read_everywhere(header_lines(response.headers)) >= 5
    assert_is_the_compute(parse_text_occi(response.headers), resources, unique)


def test_compute_is_listed(
    client: OcciClient, model: Model, resources: Resources, target: Target, unique: str
) -> None:
    """ETSI OCCI/CORE/READ/001: the kind's collection lists it, in text/uri-list and as
    X-OCCI-Location lines; rOCCI-cli accepts only locations that start with ``/`` or the
    endpoint."""
    url = resources.compute(unique)
    collection = client.url(model.kind("compute").location or "")
    assert httpx.URL(url).path in paths(client.listing(collection))
    response = client.get(collection)
    assert response.status_code == 200, describe(response)
    lines = body_lines(response.text)
    assert all(line.startswith("X-OCCI-Location: ") for line in lines), response.text
    assert_lines_read_everywhere(lines)
    listed = [line.removeprefix("X-OCCI-Location: ") for line in lines]
    assert all(u.startswith(("/", target.endpoint)) for u in listed), listed
    assert httpx.URL(url).path in paths(client.url(u) for u in listed)


def test_title_changes_by_partial_update(
    client: OcciClient, resources: Resources, unique: str
) -> None:
    """ETSI OCCI/CORE/UPDATE: ``POST <resource>`` with the attribute alone, as GFD.185's
    example sends it; 200 with the updated rendering (what rOCCI-cli's ``update`` reads)."""
    url = resources.compute(unique)
    renamed = f"{unique}-renamed"
    response = client.send("POST", url, [attribute("occi.core.title", renamed)])
    assert response.status_code == 200, describe(response)
    assert_is_the_compute(parse_text_plain(response.text), resources, renamed)
    assert client.read(url).attributes.get("occi.core.title") == renamed


def test_title_changes_by_partial_update_with_the_kind(
    client: OcciClient, model: Model, resources: Resources, unique: str
) -> None:
    """The same with the Kind's Category first, as GFD.185's ABNF writes the request."""
    url = resources.compute(unique)
    renamed = f"{unique}-renamed"
    renderings = [category_of(model.kind("compute")), attribute("occi.core.title", renamed)]
    response = client.send("POST", url, renderings)
    assert response.status_code == 200, describe(response)
    assert_is_the_compute(parse_text_plain(response.text), resources, renamed)
    assert_is_the_compute(client.read(url), resources, renamed)


def test_deleted_compute_is_gone(
    client: OcciClient, model: Model, resources: Resources, target: Target, unique: str
) -> None:
    """ETSI OCCI/CORE/DELETE/001: 200 or 204 (202 if it finishes later), then 404 and no
    longer listed."""
    url = resources.compute(unique)
    response = client.request("DELETE", url)
    assert response.status_code in DELETED, describe(response)
    assert client.wait_gone(url, target.timeout).status_code == 404
    collection = client.url(model.kind("compute").location or "")
    assert httpx.URL(url).path not in paths(client.listing(collection))
