"""Machines (spec notes §1.6-1.9, §1.11; Deltacloud's parts 2 and 5 and the plugfest's
"Create a new Machine" and "Manipulate a Machine"): create with the template by value in JSON
and in XML, follow its Job, see it STARTED; stop, start and restart through the hrefs of its
``operations`` with an Action body; delete through its ``delete`` operation."""

from __future__ import annotations

from urllib.parse import urljoin

from conformance.cimi.checks import MACHINE_STATES, assert_common, assert_xml_resource, text_of
from conformance.cimi.client import (
    CREATED,
    DELETED,
    XML,
    CimiClient,
    EntryPoint,
    Resources,
    Target,
    describe,
    machine_create_xml,
    members,
    operation,
    parse_xml,
    rels,
)


def assert_is_the_machine(client: CimiClient, entry: EntryPoint, url: str, name: str) -> None:
    machine = client.read(url)
    assert_common(machine, "Machine", entry.base_uri)
    assert machine.get("name") == name, machine
    assert machine.get("state") in MACHINE_STATES, machine
    for number in ("cpu", "memory"):
        assert isinstance(machine.get(number), int), f"{number} is not a JSON number: {machine}"
    for sub in ("disks", "volumes"):
        assert machine.get(sub, {}).get("href"), f"no {sub} collection: {machine}"
    root = client.read_xml(url)
    assert_xml_resource(root, "Machine", machine["id"])
    assert text_of(root, "name") == name


def test_create_machine_by_value_in_json(
    client: CimiClient, entry: EntryPoint, resources: Resources, unique: str
) -> None:
    url = resources.machine(unique)
    assert_is_the_machine(client, entry, url, unique)
    started = resources.reach(url, "STARTED")
    assert "stop" in rels(started), started.get("operations")


def test_create_machine_by_value_in_xml(
    client: CimiClient, entry: EntryPoint, resources: Resources, unique: str
) -> None:
    url = resources.machine(unique, xml=True)
    assert_is_the_machine(client, entry, url, unique)
    resources.reach(url, "STARTED")


def test_create_answers_in_the_accepted_format(
    client: CimiClient, resources: Resources, target: Target, unique: str
) -> None:
    """An XML create asked to answer in XML does so: a Job (202) or the Machine (201)."""
    config, image = resources.machine_refs()
    add = resources.add_href(resources.collection("machines"))
    response = client.post_xml(add, machine_create_xml(unique, config, image), accept=XML)
    if response.status_code in CREATED and "location" in response.headers:
        resources.track(urljoin(str(response.url), response.headers["location"]))
    assert response.status_code in CREATED, describe(response)
    client.finish(response, target.timeout)
    if response.content.strip():
        assert parse_xml(response).tag.endswith(("}Job", "}Machine")), response.text


def test_machine_is_listed(client: CimiClient, resources: Resources, unique: str) -> None:
    url = resources.machine(unique)
    listed = members(client.read(resources.collection("machines")))
    assert url in [m["id"] for m in listed]


def test_stop_start_restart(
    client: CimiClient, resources: Resources, target: Target, unique: str
) -> None:
    """Each action through its operation's href; the state follows and the operations offered
    follow the state (§1.5: only what is allowed now)."""
    url = resources.started_machine(unique)["id"]
    started = client.read(url)
    for action in ("stop", "restart"):
        assert operation(started, action), f"a STARTED Machine offers no {action}: {rels(started)}"
    answer = client.act(started, "stop")
    assert answer.status_code in (200, 202, 204), describe(answer)
    client.finish(answer, target.timeout)
    stopped = resources.reach(url, "STOPPED")
    assert "start" in rels(stopped) and "stop" not in rels(stopped), rels(stopped)
    answer = client.act(stopped, "start")
    assert answer.status_code in (200, 202, 204), describe(answer)
    client.finish(answer, target.timeout)
    restarted = resources.reach(url, "STARTED")
    answer = client.act(restarted, "restart")
    assert answer.status_code in (200, 202, 204), describe(answer)
    client.finish(answer, target.timeout)
    resources.reach(url, "STARTED")


def test_delete_machine(
    client: CimiClient, resources: Resources, target: Target, unique: str
) -> None:
    url = resources.machine(unique)
    machine = client.read(url)
    assert operation(machine, "delete"), f"no delete operation: {rels(machine)}"
    answer = resources.delete(url)
    assert answer.status_code in DELETED, describe(answer)
    assert client.wait_gone(url, target.timeout).status_code == 404
    listed = members(client.read(resources.collection("machines")))
    assert url not in [m["id"] for m in listed]


def test_a_machines_volumes_and_interfaces_read_on_their_own(
    client: CimiClient, entry: EntryPoint, resources: Resources, unique: str
) -> None:
    """The members of a Machine's own collections are resources too: each ``id`` reads alone,
    in JSON and in XML (a root volume counts as a MachineVolume where a provider shows one)."""
    machine = client.read(resources.machine(unique))
    for key, kind in (
        ("volumes", "MachineVolume"),
        ("networkInterfaces", "MachineNetworkInterface"),
    ):
        href = machine.get(key, {}).get("href")
        if not href:
            continue
        for member in members(client.read(href)):
            alone = client.read(member["id"])
            assert alone["id"] == member["id"], alone
            assert_common(alone, kind, entry.base_uri)
            assert_xml_resource(client.read_xml(member["id"]), kind, member["id"])
