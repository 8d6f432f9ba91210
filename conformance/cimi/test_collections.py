"""Every collection the CloudEntryPoint lists (spec notes §1.3-1.6): it reads 200 in JSON and in
XML with the same members, ``count`` is their number, and each member carries ``id``,
``resourceURI`` and ``created`` and reads on its own in both formats."""

from __future__ import annotations

import functools

from conformance.cimi.checks import (
    all_hold,
    assert_common,
    assert_json_collection,
    assert_version_header,
    assert_xml_collection,
    assert_xml_resource,
)
from conformance.cimi.client import (
    XML,
    CimiClient,
    EntryPoint,
    describe,
    member_type,
    members,
    parse_xml,
)

MEMBERS_READ = 3  # members of each collection read one by one


def _collection_reads_alike(client: CimiClient, entry: EntryPoint, href: str) -> None:
    response = client.get(href)
    assert response.status_code == 200, describe(response)
    assert_version_header(response)
    collection = client.read(href)
    assert_json_collection(collection, href, entry.base_uri)
    xml = client.get(href, accept=XML)
    assert xml.status_code == 200, describe(xml)
    ids = assert_xml_collection(parse_xml(xml), href, member_type(collection))
    assert ids == [m["id"] for m in members(collection)], "JSON and XML list different members"


def _members_read(client: CimiClient, entry: EntryPoint, href: str) -> None:
    collection = client.read(href)
    kind = member_type(collection)
    for member in members(collection)[:MEMBERS_READ]:
        alone = client.read(member["id"])
        assert alone["id"] == member["id"], alone
        assert_common(alone, kind, entry.base_uri)
        assert_xml_resource(client.read_xml(member["id"]), kind, member["id"])


def test_every_collection_reads_in_json_and_xml(client: CimiClient, entry: EntryPoint) -> None:
    all_hold(
        (key, functools.partial(_collection_reads_alike, client, entry, href))
        for key, href in entry.collections().items()
    )


def test_every_member_reads_on_its_own(client: CimiClient, entry: EntryPoint) -> None:
    """The first few members of each collection, by their ``id``."""
    all_hold(
        (key, functools.partial(_members_read, client, entry, href))
        for key, href in entry.collections().items()
    )


def test_machine_images_and_configs_exist(client: CimiClient, entry: EntryPoint) -> None:
    """Plugfest step 2: a Machine needs at least one of each."""
    for key in ("machineImages", "machineConfigs"):
        href = entry.find(key)
        assert href, f"the CEP lists no {key}"
        assert members(client.read(href)), f"{key} is empty"
