"""Queries on collections (spec notes §1.10): ``$filter`` in every form of the grammar
(comparisons either way round, quotes of both kinds, ``and``, ``or``, ``not``, parentheses,
strings, integers and dates, repeated filters ANDed), ``$first``/``$last`` and ``$select``.

Two Machines, one STARTED and one STOPPED, serve every filter test of the module; a filter
always names them, so whatever else the account holds does not matter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from conformance.cimi.client import CimiClient, EntryPoint, Params, Resources, Target, members


@dataclass(frozen=True, slots=True)
class Pair:
    collection: str
    started: str  # name
    stopped: str
    ids: dict[str, str]  # name → id


@pytest.fixture(scope="module")
def pair(client: CimiClient, entry: EntryPoint, target: Target) -> Iterator[Pair]:
    tracker = Resources(client, entry, target)
    prefix = f"cf-{uuid.uuid4().hex[:10]}"
    try:
        started, stopped = f"{prefix}-a", f"{prefix}-b"
        first = tracker.started_machine(started)
        second = tracker.started_machine(stopped)
        answer = client.act(second, "stop")
        client.finish(answer, target.timeout)
        tracker.reach(second["id"], "STOPPED")
        ids = {started: first["id"], stopped: second["id"]}
        yield Pair(tracker.collection("machines"), started, stopped, ids)
    finally:
        tracker.close()


def selected(client: CimiClient, pair: Pair, params: Params) -> set[str]:
    """The names of the pair that the query lists; ``count`` must be their number."""
    listing = client.read(pair.collection, params)
    found = members(listing)
    assert listing.get("count") == len(found), listing
    by_id = {v: k for k, v in pair.ids.items()}
    return {by_id[m["id"]] for m in found if m["id"] in by_id}


def both(pair: Pair) -> str:
    return f"(name='{pair.started}' or name='{pair.stopped}')"


def test_filter_by_name(client: CimiClient, pair: Pair) -> None:
    assert selected(client, pair, {"$filter": f"name='{pair.started}'"}) == {pair.started}
    listing = client.read(pair.collection, {"$filter": f"name='{pair.started}'"})
    assert listing["count"] == 1, listing


def test_filter_with_double_quotes(client: CimiClient, pair: Pair) -> None:
    assert selected(client, pair, {"$filter": f'name="{pair.stopped}"'}) == {pair.stopped}


def test_filter_value_first(client: CimiClient, pair: Pair) -> None:
    assert selected(client, pair, {"$filter": f"'{pair.started}'=name"}) == {pair.started}


def test_filter_not_equal(client: CimiClient, pair: Pair) -> None:
    query = f"name!='{pair.started}' and {both(pair)}"
    assert selected(client, pair, {"$filter": query}) == {pair.stopped}


def test_filter_state_and_name(client: CimiClient, pair: Pair) -> None:
    started = f"state='STARTED' and {both(pair)}"
    assert selected(client, pair, {"$filter": started}) == {pair.started}
    stopped = f"state='STOPPED' and name='{pair.started}'"
    assert selected(client, pair, {"$filter": stopped}) == set()


def test_filter_or(client: CimiClient, pair: Pair) -> None:
    names = {pair.started, pair.stopped}
    assert selected(client, pair, {"$filter": both(pair)[1:-1]}) == names


def test_filter_not(client: CimiClient, pair: Pair) -> None:
    """``not`` is not in DSP0263's EBNF; Cloudgate's issue asks for it."""
    query = f"not(name='{pair.started}') and {both(pair)}"
    assert selected(client, pair, {"$filter": query}) == {pair.stopped}


def test_filter_integers_either_way_round(client: CimiClient, pair: Pair) -> None:
    names = {pair.started, pair.stopped}
    assert selected(client, pair, {"$filter": f"cpu>=1 and {both(pair)}"}) == names
    assert selected(client, pair, {"$filter": f"1<=cpu and {both(pair)}"}) == names
    assert selected(client, pair, {"$filter": f"cpu<1 and {both(pair)}"}) == set()


def test_filter_dates(client: CimiClient, pair: Pair) -> None:
    names = {pair.started, pair.stopped}
    after = f"created>2000-01-01T00:00:00Z and {both(pair)}"
    assert selected(client, pair, {"$filter": after}) == names
    before = f"created<2000-01-01T00:00:00+01:00 and {both(pair)}"
    assert selected(client, pair, {"$filter": before}) == set()
    value_first = f"2999-12-31T23:59:59Z>created and {both(pair)}"
    assert selected(client, pair, {"$filter": value_first}) == names


def test_repeated_filters_are_anded(client: CimiClient, pair: Pair) -> None:
    params = [("$filter", both(pair)), ("$filter", f"name='{pair.stopped}'")]
    assert selected(client, pair, params) == {pair.stopped}


@pytest.fixture(scope="module")
def configs(client: CimiClient, entry: EntryPoint) -> tuple[str, list[str]]:
    """The MachineConfigurations (a collection every CIMI cloud has) and their ids in order;
    the paging tests need at least three."""
    href = entry.find("machineConfigs")
    assert href, "the CEP lists no machineConfigs"
    ids = [m["id"] for m in members(client.read(href))]
    if len(ids) < 3:
        pytest.skip(f"{href} has fewer than 3 members to page through")
    return href, ids


def _page(client: CimiClient, href: str, params: dict[str, str]) -> tuple[list[str], object]:
    listing = client.read(href, params)
    return [m["id"] for m in members(listing)], listing.get("count")


def test_first_and_last(client: CimiClient, configs: tuple[str, list[str]]) -> None:
    """1-based and inclusive; ``count`` still counts every member (§1.10)."""
    href, ids = configs
    assert _page(client, href, {"$first": "2", "$last": "3"}) == (ids[1:3], len(ids))
    assert _page(client, href, {"$first": "2"})[0] == ids[1:]
    assert _page(client, href, {"$last": "1"})[0] == ids[:1]


def test_first_and_last_out_of_range_are_empty(
    client: CimiClient, configs: tuple[str, list[str]]
) -> None:
    href, ids = configs
    assert _page(client, href, {"$first": str(len(ids) + 5)})[0] == []
    assert _page(client, href, {"$first": "3", "$last": "2"})[0] == []


def test_select_on_a_resource(client: CimiClient, pair: Pair) -> None:
    """Only what was asked for, and resourceURI always."""
    machine = client.read(pair.ids[pair.started], {"$select": "name,state"})
    assert machine.get("name") == pair.started and machine.get("state") == "STARTED", machine
    assert machine.get("resourceURI") == "http://schemas.dmtf.org/cimi/1/Machine", machine
    assert not {"cpu", "memory", "description"} & machine.keys(), machine


def test_select_on_a_collection(client: CimiClient, pair: Pair) -> None:
    """On a collection ``$select`` names the members' attributes."""
    params = {"$filter": f"name='{pair.started}'", "$select": "name"}
    [machine] = members(client.read(pair.collection, params))
    assert machine.get("name") == pair.started, machine
    assert not {"cpu", "memory", "state"} & machine.keys(), machine
