"""Filtering a collection (spec §1.6): Category and X-OCCI-Attribute renderings in the request
headers (``Content-Type: text/occi``, as pOCCI sends them) restrict a kind's listing. Two
computes of the module serve every test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from conformance.occi.checks import paths
from conformance.occi.client import Model, OcciClient, Resources, Target, category_value
from conformance.occi.grammar import render_value


@dataclass(frozen=True, slots=True)
class Pair:
    """Two computes titled ``<prefix>-a`` and ``<prefix>-b``, by path, and their tracker."""

    prefix: str
    first: str
    second: str
    resources: Resources


@pytest.fixture(scope="module")
def pair(client: OcciClient, model: Model, target: Target) -> Iterator[Pair]:
    prefix = f"cf-{uuid.uuid4().hex[:10]}"
    tracker = Resources(client, model, target)
    try:
        first = tracker.compute(f"{prefix}-a")
        second = tracker.compute(f"{prefix}-b")
        yield Pair(prefix, httpx.URL(first).path, httpx.URL(second).path, tracker)
    finally:
        tracker.close()


def computes(client: OcciClient, model: Model, headers: dict[str, str]) -> set[str]:
    """The paths the compute collection lists under ``headers``' filter."""
    collection = client.url(model.kind("compute").location or "")
    return paths(client.listing(collection, {"Content-Type": "text/occi", **headers}))


def title_filter(title: str) -> dict[str, str]:
    return {"X-OCCI-Attribute": f"occi.core.title={render_value(title)}"}


def test_attribute_filter_returns_only_matching(
    client: OcciClient, model: Model, pair: Pair
) -> None:
    assert computes(client, model, title_filter(f"{pair.prefix}-a")) == {pair.first}


def test_attribute_filter_matching_nothing_lists_nothing(
    client: OcciClient, model: Model, pair: Pair
) -> None:
    assert computes(client, model, title_filter(f"{pair.prefix}-none")) == set()


def test_category_filter_keeps_members_of_the_mixin(
    client: OcciClient, model: Model, pair: Pair
) -> None:
    """ETSI OCCI/CORE/READ/002: both computes carry the resource_tpl they were made from."""
    tpl = pair.resources.resource_tpl()
    category = {"Category": category_value(tpl.term, tpl.scheme, tpl.cls)}
    assert {pair.first, pair.second} <= computes(client, model, category)
    both = {**category, **title_filter(f"{pair.prefix}-b")}
    assert computes(client, model, both) == {pair.second}
