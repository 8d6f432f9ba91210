"""Checks the tests share: error answers, rendering lines, states and listings."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final

import httpx

from conformance.occi.client import OcciClient, describe, media_type
from conformance.occi.grammar import AttributeValue, Link, Rendering, parse_line, rocci_refusal

# GFD.184 state sets, plus error (GFD.224); anything else is a transition still under way.
COMPUTE_SETTLED: Final = frozenset({"active", "inactive", "suspended", "error"})


def assert_error(response: httpx.Response, statuses: Collection[int]) -> None:
    """An error as GFD.185 wants it (spec §1.6): one of ``statuses`` (never a 5xx), with a text body
    that says what went wrong."""
    assert response.status_code < 500, f"server error: {describe(response)}"
    assert response.status_code in statuses, f"expected {sorted(statuses)}: {describe(response)}"
    assert media_type(response).startswith("text/"), f"no text body: {describe(response)}"
    assert response.text.strip(), f"empty body: {describe(response)}"


def assert_lines_read_everywhere(lines: Iterable[str]) -> int:
    """Every line is in GFD.185's grammar and rOCCI-core 4.3.6 reads all of it; returns how
    many lines were checked, so a test can insist that there were some."""
    checked = 0
    for line in lines:
        parse_line(line)
        refusal = rocci_refusal(line)
        assert refusal is None, f"{line!r}: {refusal}"
        checked += 1
    return checked


def state(rendering: Rendering, name: str) -> AttributeValue:
    value = rendering.attributes.get(name)
    assert isinstance(value, str) and value, f"no {name} in {dict(rendering.attributes)}"
    return value


def action_terms(client: OcciClient, rendering: Rendering, url: str) -> set[str]:
    """The actions ``rendering`` offers on ``url`` now: the terms of its action Links that
    point at ``url`` and name the same action in ``rel``."""
    terms = set()
    for link in rendering.links:
        target = httpx.URL(client.url(link.target))
        term = target.params.get("action", "")
        if (
            link.is_action
            and target.path == httpx.URL(url).path
            and len(link.rel) == 1
            and link.rel[0].endswith("#" + term)
        ):
            terms.add(term)
    return terms


def settle(client: OcciClient, url: str, timeout: float) -> Rendering:
    """A compute's rendering once it is at rest: in one of GFD.184's states and offering an
    action. OCCI 1.1 has no word for a machine still starting (rOCCI-server says ``waiting``,
    others ``inactive``); the action Links tell, since none applies to it yet."""

    def at_rest(rendering: Rendering) -> bool:
        settled = state(rendering, "occi.compute.state") in COMPUTE_SETTLED
        return settled and bool(action_terms(client, rendering, url))

    return client.poll(url, at_rest, timeout)


def paths(urls: Iterable[str]) -> set[str]:
    """URLs compared by path, as rOCCI compares locations (servers render paths or URLs)."""
    return {httpx.URL(url).path for url in urls}


def links_to(client: OcciClient, rendering: Rendering, target: str) -> list[Link]:
    """The resource links (not action links) of ``rendering`` whose target is ``target``."""
    path = httpx.URL(target).path
    return [
        link
        for link in rendering.links
        if not link.is_action and httpx.URL(client.url(link.target)).path == path
    ]
