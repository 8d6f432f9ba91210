"""Accounts are walled off: a second, unrelated account neither reads, lists, changes, links
to nor deletes the first one's compute; to it the compute does not exist (404). Needs
``--occi-username-2``/``--occi-password-2``."""

from __future__ import annotations

import httpx

from conformance.occi.checks import assert_error, links_to, paths, settle, state
from conformance.occi.client import (
    COMPUTE_ACTION,
    Model,
    OcciClient,
    Resources,
    Target,
    attribute,
    category_of,
)
from conformance.occi.grammar import render_value


def test_another_account_cannot_read_or_delete_the_compute(
    client: OcciClient, other_client: OcciClient, resources: Resources, unique: str
) -> None:
    url = resources.compute(unique)
    assert_error(other_client.get(url), {404})
    assert_error(other_client.request("DELETE", url), {404})
    assert client.read(url).attributes.get("occi.core.title") == unique


def test_another_account_does_not_list_the_compute(
    client: OcciClient, other_client: OcciClient, model: Model, resources: Resources, unique: str
) -> None:
    url = resources.compute(unique)
    collection = other_client.url(model.kind("compute").location or "")
    assert httpx.URL(url).path not in paths(other_client.listing(collection))
    title = {
        "Content-Type": "text/occi",
        "X-OCCI-Attribute": f"occi.core.title={render_value(unique)}",
    }
    assert other_client.listing(collection, title) == []


def test_another_account_cannot_change_the_compute(
    client: OcciClient,
    other_client: OcciClient,
    model: Model,
    resources: Resources,
    target: Target,
    unique: str,
) -> None:
    """Neither a partial update nor an action reaches it."""
    url = resources.compute(unique)
    before = state(settle(client, url, target.timeout), "occi.compute.state")
    renamed = [attribute("occi.core.title", f"{unique}-taken")]
    assert_error(other_client.send("POST", url, renamed), {404})
    assert_error(other_client.trigger(url, model.get(COMPUTE_ACTION + "stop")), {404})
    assert_error(other_client.trigger(url, model.get(COMPUTE_ACTION + "start")), {404})
    rendering = client.read(url)
    assert rendering.attributes.get("occi.core.title") == unique
    assert state(rendering, "occi.compute.state") == before


def test_another_account_cannot_link_its_storage_to_the_compute(
    client: OcciClient,
    other_client: OcciClient,
    model: Model,
    resources: Resources,
    other_resources: Resources,
    target: Target,
    unique: str,
) -> None:
    """A link whose source is not the caller's: 404 for the unknown source (or 400)."""
    compute = resources.compute(unique)
    storage = other_resources.storage(unique)
    kind = model.kind("storagelink")
    renderings = [
        category_of(kind),
        attribute("occi.core.source", httpx.URL(compute).path),
        attribute("occi.core.target", httpx.URL(storage).path),
    ]
    collection = other_client.url(kind.location or "")
    response = other_client.patiently(
        lambda: other_client.send("POST", collection, renderings), target.timeout
    )
    if response.status_code in (200, 201):
        other_resources.track(other_client.created(response))
    assert_error(response, {400, 404})
    assert not links_to(client, client.read(compute), storage)
