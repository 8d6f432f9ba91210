"""Error codes (spec §1.4, §1.6): each refusal answers the status GFD.185's table gives, with a
text body and never a 5xx, and a refused create leaves nothing behind."""

from __future__ import annotations

import pytest

from conformance.occi.checks import assert_error, paths
from conformance.occi.client import (
    INFRA,
    Model,
    OcciClient,
    Resources,
    Target,
    attribute,
    category_of,
)

KIND = f'compute;scheme="{INFRA}";class="kind"'
MALFORMED_KINDS = [
    pytest.param('compute;class="kind"', id="no-scheme"),
    pytest.param(f'compute;scheme={INFRA};class="kind"', id="unquoted-scheme"),
    pytest.param(
        'compute;scheme="http://schemas.ogf.org/occi/infrastructure";class="kind"',
        id="scheme-without-hash",
    ),
    pytest.param(f'compute;scheme="{INFRA}"', id="no-class"),
    pytest.param(f'compute;scheme="{INFRA}";class="knid"', id="unknown-class"),
    pytest.param(f';scheme="{INFRA}";class="kind"', id="no-term"),
    pytest.param(f'compute;scheme="{INFRA};class="kind"', id="unbalanced-quote"),
    pytest.param(f'compute scheme="{INFRA}" class="kind"', id="no-semicolons"),
]


@pytest.fixture
def compute_collection(client: OcciClient, model: Model) -> str:
    return client.url(model.kind("compute").location or "")


def assert_refused_create(
    client: OcciClient,
    resources: Resources,
    collection: str,
    renderings: list[tuple[str, str]],
    statuses: set[int],
) -> None:
    """The create is refused with one of ``statuses`` and nothing joins the collection (an
    entity made anyway is deleted at teardown)."""
    before = paths(client.listing(collection))
    response = client.send("POST", collection, renderings)
    if response.status_code in (200, 201) and response.status_code not in statuses:
        resources.track(client.created(response))
    assert_error(response, statuses)
    assert not paths(client.listing(collection)) - before, "a refused create left something"


def test_unknown_entity_is_404(client: OcciClient, compute_collection: str, unique: str) -> None:
    assert_error(client.get(f"{compute_collection}{unique}"), {404})


def test_unknown_collection_is_404(client: OcciClient, target: Target, unique: str) -> None:
    assert_error(client.get(f"{target.endpoint}{unique}/"), {404})


@pytest.mark.parametrize("kind", MALFORMED_KINDS)
def test_malformed_category_is_400(
    client: OcciClient, compute_collection: str, resources: Resources, unique: str, kind: str
) -> None:
    """A Category GFD.185's grammar does not produce, beside a valid rest: 400."""
    renderings = [("Category", kind), *resources.compute_renderings(unique)[1:]]
    assert_refused_create(client, resources, compute_collection, renderings, {400})


def test_malformed_attribute_is_400(
    client: OcciClient, compute_collection: str, resources: Resources, unique: str
) -> None:
    renderings = [
        *resources.compute_renderings(unique),
        ("X-OCCI-Attribute", "occi.core.summary=a b"),
    ]
    assert_refused_create(client, resources, compute_collection, renderings, {400})


def test_create_without_a_kind_is_400(
    client: OcciClient, compute_collection: str, resources: Resources, unique: str
) -> None:
    """A create carries exactly one Kind; mixins and attributes alone are refused."""
    renderings = resources.compute_renderings(unique)[1:]
    assert_refused_create(client, resources, compute_collection, renderings, {400})


def test_unknown_kind_is_refused(
    client: OcciClient, compute_collection: str, resources: Resources, unique: str
) -> None:
    """Spec §1.6: 404 for an unknown kind (400 if read as a bad request)."""
    unknown = ("Category", 'nosuchkind;scheme="http://example.com/occi/conformance#";class="kind"')
    renderings = [unknown, *resources.compute_renderings(unique)[1:]]
    assert_refused_create(client, resources, compute_collection, renderings, {400, 404})


def test_unknown_mixin_is_refused(
    client: OcciClient, compute_collection: str, resources: Resources, unique: str
) -> None:
    """Spec §1.6: 404 for an unknown mixin (400 if read as a bad request)."""
    unknown = ("Category", 'nosuchtpl;scheme="http://example.com/occi/conformance#";class="mixin"')
    renderings = [*resources.compute_renderings(unique), unknown]
    assert_refused_create(client, resources, compute_collection, renderings, {400, 404})


def test_kind_of_another_collection_is_refused(
    client: OcciClient, model: Model, compute_collection: str, resources: Resources, unique: str
) -> None:
    """A storage posted to the compute collection is not created there."""
    renderings = [
        category_of(model.kind("storage")),
        attribute("occi.core.title", unique),
        attribute("occi.storage.size", 1),
    ]
    assert_refused_create(client, resources, compute_collection, renderings, {400, 404})


@pytest.mark.parametrize("where", ["query_interface", "well_known"])
def test_put_on_the_query_interface_is_405(
    client: OcciClient, model: Model, target: Target, where: str
) -> None:
    """The query interface takes GET, POST and DELETE only; a 405 names what it allows."""
    url = getattr(target, where)
    response = client.send("PUT", url, [category_of(model.kind("compute"))])
    assert_error(response, {405})
    assert "GET" in response.headers.get("allow", ""), response.headers


def test_unsupported_accept_of_a_collection_is_406(
    client: OcciClient, compute_collection: str
) -> None:
    assert_error(client.get(compute_collection, accept="application/x-unknown"), {406})


def test_unsupported_accept_of_an_entity_is_406(
    client: OcciClient, resources: Resources, unique: str
) -> None:
    assert_error(client.get(resources.compute(unique), accept="application/x-unknown"), {406})


def test_uri_list_of_an_entity_is_400(
    client: OcciClient, resources: Resources, unique: str
) -> None:
    """Spec §1.4: text/uri-list is for listings only, else 400."""
    assert_error(client.get(resources.compute(unique), accept="text/uri-list"), {400})


def test_create_in_an_unknown_media_type_is_refused(
    client: OcciClient, compute_collection: str, resources: Resources, unique: str
) -> None:
    """An unreadable request rendering: 400, or 406 as rOCCI-server and ooi answer (415 is
    commented out in GFD.185's table)."""
    before = paths(client.listing(compute_collection))
    response = client.request(
        "POST",
        compute_collection,
        headers={"Content-Type": "application/x-unknown"},
        content="".join(f"{n}: {v}\n" for n, v in resources.compute_renderings(unique)),
    )
    if response.status_code in (200, 201):
        resources.track(client.created(response))
    assert_error(response, {400, 406, 415})
    assert not paths(client.listing(compute_collection)) - before
