"""Credentials (spec notes §1.6, §1.8): created from an empty CredentialTemplate, the provider
making the key, in JSON and in XML; listed; deleted through their ``delete`` operation."""

from __future__ import annotations

from conformance.cimi.checks import assert_common, assert_xml_resource
from conformance.cimi.client import (
    DELETED,
    CimiClient,
    EntryPoint,
    Resources,
    Target,
    describe,
    members,
    operation,
)


def test_generated_credential_in_json(
    client: CimiClient, entry: EntryPoint, resources: Resources, unique: str
) -> None:
    url = resources.credential(unique)
    credential = client.read(url)
    assert_common(credential, "Credential", entry.base_uri)
    assert credential.get("name") == unique
    assert url in [c["id"] for c in members(client.read(resources.collection("credentials")))]
    assert_xml_resource(client.read_xml(url), "Credential", url)


def test_generated_credential_in_xml(
    client: CimiClient, entry: EntryPoint, resources: Resources, unique: str
) -> None:
    url = resources.credential(unique, xml=True)
    assert_common(client.read(url), "Credential", entry.base_uri)
    assert client.read(url).get("name") == unique


def test_delete_credential(
    client: CimiClient, resources: Resources, target: Target, unique: str
) -> None:
    url = resources.credential(unique)
    assert operation(client.read(url), "delete"), client.read(url)
    answer = resources.delete(url)
    assert answer.status_code in DELETED, describe(answer)
    assert client.wait_gone(url, target.timeout).status_code == 404
