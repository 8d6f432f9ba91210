"""Networks (spec §1.7): the account's networks are listed at the network kind's location and
each renders the network kind and a state. The suite creates no network: a server may refuse
to, and an account normally has one to attach machines to."""

from __future__ import annotations

import pytest

from conformance.occi.checks import assert_lines_read_everywhere, state
from conformance.occi.client import INFRA, Model, OcciClient, describe
from conformance.occi.grammar import body_lines


@pytest.fixture
def network(client: OcciClient, model: Model) -> str:
    """ETSI OCCI/CORE/READ/001 on the network kind: the first network listed."""
    listed = client.listing(client.url(model.kind("network").location or ""))
    if not listed:
        pytest.skip("the endpoint lists no network for this account")
    return listed[0]


def test_network_renders_its_kind_and_state(client: OcciClient, network: str) -> None:
    """ETSI OCCI/CORE/READ/007 on a network: kind network, ``occi.network.state`` active or
    inactive (or 1.2's error), every line in both grammars."""
    response = client.get(network)
    assert response.status_code == 200, describe(response)
    assert assert_lines_read_everywhere(body_lines(response.text)) >= 3
    rendering = client.read(network)
    assert [c.type_id for c in rendering.of_class("kind")] == [INFRA + "network"]
    assert state(rendering, "occi.network.state") in ("active", "inactive", "error")
    assert isinstance(rendering.attributes.get("occi.core.id"), str)
