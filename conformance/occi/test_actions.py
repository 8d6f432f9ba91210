"""Actions on a compute (spec §1.6, §1.7): ``POST <resource>?action=<term>`` with the action's
Category, as rOCCI-cli's ``trigger`` sends it; the state follows GFD.184's machine, and the
rendering offers the actions that apply now as action Links. Machines under test may be real,
so every state is polled for up to ``--occi-timeout`` seconds."""

from __future__ import annotations

from typing import Final

from conformance.occi.checks import action_terms, assert_error, settle, state
from conformance.occi.client import (
    COMPUTE_ACTION,
    INFRA,
    Model,
    OcciClient,
    Resources,
    Target,
    describe,
)
from conformance.occi.grammar import Category, Rendering

# 200 (pOCCI's OCCI/CORE/MISC/001), 202 (GFD.185's async task), 204 (no content, as ooi).
TRIGGERED: Final = frozenset({200, 202, 204})
STATE_AFTER: Final = {"start": "active", "stop": "inactive"}


def trigger_and_wait(
    client: OcciClient, model: Model, url: str, term: str, timeout: float
) -> Rendering:
    offered = action_terms(client, client.read(url), url)
    assert term in offered, f"the rendering offers {sorted(offered)}, not {term}"
    response = client.trigger(url, model.get(COMPUTE_ACTION + term))
    assert response.status_code in TRIGGERED, describe(response)
    expected = STATE_AFTER[term]
    return client.poll(url, lambda r: r.attributes.get("occi.compute.state") == expected, timeout)


def test_stop_and_start(
    client: OcciClient, model: Model, resources: Resources, target: Target, unique: str
) -> None:
    """ETSI OCCI/CORE/MISC/001: from wherever a new machine settles (active or inactive),
    the one action that applies, then the other, each reaching its GFD.184 state."""
    url = resources.compute(unique)
    now = state(settle(client, url, target.timeout), "occi.compute.state")
    assert now in ("active", "inactive"), f"a new compute settled in {now}"
    cycle = ["stop", "start"] if now == "active" else ["start", "stop"]
    for term in cycle:
        rendering = trigger_and_wait(client, model, url, term, target.timeout)
        assert rendering.attributes.get("occi.core.title") == unique


def test_unknown_action_is_refused(
    client: OcciClient, resources: Resources, target: Target, unique: str
) -> None:
    """Spec §1.6: an unknown action is 400 (the status table also names 404 for it); the
    machine is untouched."""
    url = resources.compute(unique)
    before = state(settle(client, url, target.timeout), "occi.compute.state")
    unknown = Category("nosuchaction", COMPUTE_ACTION, "action")
    assert_error(client.trigger(url, unknown), {400, 404})
    assert state(client.read(url), "occi.compute.state") == before


def test_action_of_another_kind_is_refused(
    client: OcciClient, model: Model, resources: Resources, target: Target, unique: str
) -> None:
    """A storage action on a compute does not apply: 400 (or 404, as for an unknown one)."""
    url = resources.compute(unique)
    before = state(settle(client, url, target.timeout), "occi.compute.state")
    online = model.get(INFRA.replace("#", "/storage/action#") + "online")
    assert_error(client.trigger(url, online), {400, 404})
    assert state(client.read(url), "occi.compute.state") == before
