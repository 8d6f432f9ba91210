"""Volumes and MachineVolumes (spec notes §1.6, §1.8; Deltacloud's part 4 and the plugfest's
"Add a Volume to a Machine"): a Volume created with its configuration by value (capacity in
kilobytes) in JSON and in XML, attached through the ``add`` of a Machine's volumes collection,
listed there, detached through the MachineVolume's ``delete``, and deleted."""

from __future__ import annotations

from urllib.parse import urljoin

from conformance.cimi.checks import assert_common, assert_json_collection, assert_xml_resource
from conformance.cimi.client import (
    DELETED,
    CimiClient,
    Document,
    EntryPoint,
    Resources,
    Target,
    describe,
    members,
    operation,
)

CAPACITY_KB = 1024 * 1024  # 1 GiB: the smallest size every cloud can make


def assert_is_the_volume(client: CimiClient, entry: EntryPoint, url: str, name: str) -> None:
    volume = client.read(url)
    assert_common(volume, "Volume", entry.base_uri)
    assert volume.get("name") == name, volume
    capacity = volume.get("capacity")
    assert isinstance(capacity, int) and capacity >= CAPACITY_KB, f"capacity in KB: {volume}"
    assert_xml_resource(client.read_xml(url), "Volume", volume["id"])


def test_create_volume_by_value_in_json(
    client: CimiClient, entry: EntryPoint, resources: Resources, unique: str
) -> None:
    assert_is_the_volume(client, entry, resources.volume(unique), unique)


def test_create_volume_by_value_in_xml(
    client: CimiClient, entry: EntryPoint, resources: Resources, unique: str
) -> None:
    assert_is_the_volume(client, entry, resources.volume(unique, xml=True), unique)


def test_delete_volume(
    client: CimiClient, resources: Resources, target: Target, unique: str
) -> None:
    url = resources.volume(unique)
    assert operation(client.read(url), "delete"), client.read(url).get("operations")
    answer = resources.delete(url)
    assert answer.status_code in DELETED, describe(answer)
    assert client.wait_gone(url, target.timeout).status_code == 404
    assert url not in [v["id"] for v in members(client.read(resources.collection("volumes")))]


def _attachments(
    client: CimiClient, entry: EntryPoint, machine: Document, volume: str
) -> list[Document]:
    """The Machine's MachineVolumes that join ``volume``; the collection is checked as every
    other (its own id, count, members with the common attributes)."""
    href = urljoin(str(machine["id"]), machine["volumes"]["href"])
    listing = client.read(href)
    assert_json_collection(listing, href, entry.base_uri)
    return [m for m in members(listing) if m.get("volume", {}).get("href") == volume]


def test_attach_list_and_detach_a_volume(
    client: CimiClient, entry: EntryPoint, resources: Resources, target: Target, unique: str
) -> None:
    machine = resources.started_machine(unique)
    volume = resources.volume(unique)
    attachment = resources.attach(machine, volume)
    mine = _attachments(client, entry, machine, volume)
    assert [m["id"] for m in mine] == [attachment], f"{attachment} not listed: {mine}"
    read = client.read(attachment)
    assert_common(read, "MachineVolume", entry.base_uri)
    assert read.get("volume", {}).get("href") == volume
    assert_xml_resource(client.read_xml(attachment), "MachineVolume", attachment)
    assert operation(read, "delete"), f"a MachineVolume offers no delete: {read}"
    answer = resources.delete(attachment)
    assert answer.status_code in DELETED, describe(answer)
    assert client.wait_gone(attachment, target.timeout).status_code == 404
    assert not _attachments(client, entry, machine, volume)
    client.poll(volume, lambda v: operation(v, "delete") is not None, target.timeout)
