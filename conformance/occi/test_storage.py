"""Storage and storage links (spec §1.6, §1.7): create a storage, link it to a compute at the
storagelink kind's location, see the link in the compute's rendering, unlink, delete."""

from __future__ import annotations

import httpx

from conformance.occi.checks import assert_lines_read_everywhere, links_to, settle, state
from conformance.occi.client import (
    DELETED,
    INFRA,
    OcciClient,
    Resources,
    Target,
    describe,
)
from conformance.occi.grammar import body_lines

STORAGE_STATES = {"online", "offline", "backup", "snapshot", "resize", "degraded", "error"}


def test_create_storage(client: OcciClient, resources: Resources, unique: str) -> None:
    """ETSI OCCI/INFRA/CREATE/002, with ``occi.storage.size`` in GiB (an integer, which rOCCI
    also reads back)."""
    url = resources.storage(unique, size=1)
    response = client.get(url)
    assert response.status_code == 200, describe(response)
    assert assert_lines_read_everywhere(body_lines(response.text)) >= 4
    rendering = client.read(url)
    assert [c.type_id for c in rendering.of_class("kind")] == [INFRA + "storage"]
    assert rendering.attributes.get("occi.core.title") == unique
    assert rendering.attributes.get("occi.storage.size") == 1
    assert state(rendering, "occi.storage.state") in STORAGE_STATES


def test_storagelink_joins_compute_and_storage(
    client: OcciClient, resources: Resources, target: Target, unique: str
) -> None:
    """ETSI OCCI/INFRA/CREATE/006: a storagelink made at its kind's location with
    ``occi.core.source``/``target`` renders those two, and the compute renders it as a Link
    with ``self=`` and ``category=`` (spec §1.4: outgoing links are all rendered)."""
    compute = resources.compute(unique)
    storage = resources.storage(unique)
    settle(client, compute, target.timeout)
    link = resources.link("storagelink", compute, storage)

    rendered = client.read(link)
    assert [c.type_id for c in rendered.of_class("kind")] == [INFRA + "storagelink"]
    source, linked = (rendered.attributes.get(f"occi.core.{end}") for end in ("source", "target"))
    assert isinstance(source, str) and isinstance(linked, str), rendered.attributes
    assert httpx.URL(client.url(source)).path == httpx.URL(compute).path
    assert httpx.URL(client.url(linked)).path == httpx.URL(storage).path

    [shown] = links_to(client, client.read(compute), storage)
    assert INFRA + "storage" in shown.rel
    assert shown.self_location, shown
    assert httpx.URL(client.url(shown.self_location)).path == httpx.URL(link).path
    assert INFRA + "storagelink" in shown.categories


def test_unlinked_storage_leaves_the_compute(
    client: OcciClient, resources: Resources, target: Target, unique: str
) -> None:
    """Deleting the link (200 or 204; 202 if later, once it is not busy attaching) detaches
    the storage: the link answers 404, the compute no longer renders it, and the storage can
    then be deleted."""
    compute = resources.compute(unique)
    storage = resources.storage(unique)
    settle(client, compute, target.timeout)
    link = resources.link("storagelink", compute, storage)

    response = client.patiently(lambda: client.request("DELETE", link), target.timeout)
    assert response.status_code in DELETED, describe(response)
    assert client.wait_gone(link, target.timeout).status_code == 404
    assert not links_to(client, client.read(compute), storage)

    response = client.patiently(lambda: client.request("DELETE", storage), target.timeout)
    assert response.status_code in DELETED, describe(response)
    assert client.wait_gone(storage, target.timeout).status_code == 404
