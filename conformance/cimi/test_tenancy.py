"""Accounts are walled off: a second, unrelated account neither reads, lists, stops nor deletes
the first one's Machine, nor attaches its own Volume to it. Needs
``--cimi-username-2``/``--cimi-password-2``."""

from __future__ import annotations

from urllib.parse import urljoin

from conformance.cimi.checks import assert_error
from conformance.cimi.client import (
    ACTION_PREFIX,
    CimiClient,
    Resources,
    machine_volume_json,
    members,
    operation,
    type_uri,
)

HIDDEN = {403, 404}  # forbidden, or not there at all as far as the other account can tell


def test_another_account_cannot_read_or_delete_the_machine(
    client: CimiClient, other_client: CimiClient, resources: Resources, unique: str
) -> None:
    machine = resources.started_machine(unique)
    assert_error(other_client.get(machine["id"]), HIDDEN)
    delete = operation(machine, "delete") or machine["id"]
    assert_error(other_client.request("DELETE", delete), HIDDEN)
    assert client.read(machine["id"]).get("name") == unique


def test_another_account_does_not_list_the_machine(
    other_client: CimiClient, resources: Resources, unique: str
) -> None:
    machine = resources.machine(unique)
    listed = members(other_client.read(resources.collection("machines")))
    assert machine not in [m["id"] for m in listed]
    named = other_client.read(resources.collection("machines"), {"$filter": f"name='{unique}'"})
    assert members(named) == [] and named.get("count") == 0, named


def test_another_account_cannot_stop_the_machine(
    client: CimiClient, other_client: CimiClient, resources: Resources, unique: str
) -> None:
    machine = resources.started_machine(unique)
    href = operation(machine, "stop")
    assert href
    body = {"resourceURI": type_uri("Action"), "action": ACTION_PREFIX + "stop"}
    assert_error(other_client.post_json(href, body), HIDDEN)
    assert client.read(machine["id"]).get("state") == "STARTED"


def test_another_account_cannot_attach_to_the_machine(
    client: CimiClient,
    other_client: CimiClient,
    resources: Resources,
    other_resources: Resources,
    unique: str,
) -> None:
    machine = resources.started_machine(unique)
    volume = other_resources.volume(unique)
    volumes = urljoin(machine["id"], machine["volumes"]["href"])
    add = operation(client.read(volumes), "add")
    assert add, "the Machine's volumes collection offers no add"
    response = other_client.post_json(add, machine_volume_json(volume))
    if response.status_code in (201, 202) and "location" in response.headers:
        other_resources.track(response.headers["location"])
    assert_error(response, HIDDEN)
    listed = members(client.read(volumes))
    assert volume not in [m.get("volume", {}).get("href") for m in listed]
