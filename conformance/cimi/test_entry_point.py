"""The CloudEntryPoint (spec notes §1.3, §1.5, §1.10; Deltacloud's CEP scenarios and step 1 of
the plugfest plans, "Query the CEP"): one document in JSON and in XML listing the same
collections, each an absolute href under ``baseURI``."""

from __future__ import annotations

import httpx

from conformance.cimi.checks import (
    assert_version_header,
    text_of,
    xml_hrefs,
)
from conformance.cimi.client import (
    JSON,
    XML,
    CimiClient,
    EntryPoint,
    Target,
    describe,
    media_type,
    parse_json,
    parse_xml,
    qualified,
)

# DSP0263 2.0's minimal conformance (§1.12) without resourceMetadata, which 1.x leaves open.
REQUIRED: frozenset[str] = frozenset({"machines", "machineConfigs", "machineImages"})


def test_entry_point_in_json(client: CimiClient, target: Target) -> None:
    response = client.get(target.cep)
    assert response.status_code == 200, describe(response)
    assert_version_header(response)
    cep = parse_json(response)
    assert cep.get("resourceURI") == "http://schemas.dmtf.org/cimi/1/CloudEntryPoint", cep
    assert cep.get("id") == target.cep, f"the CEP's id is not its URL: {cep.get('id')}"


def test_base_uri_is_absolute_and_ends_with_a_slash(entry: EntryPoint) -> None:
    """Relative references resolve against it (§1.3); Deltacloud's tests insist on the '/'."""
    base = httpx.URL(entry.base_uri)
    assert base.is_absolute_url and base.scheme in ("http", "https"), entry.base_uri
    assert entry.base_uri.endswith("/"), entry.base_uri


def test_every_collection_href_starts_with_base_uri(entry: EntryPoint) -> None:
    """The Sirocco SDK finds request paths by taking baseURI off a collection's href."""
    collections = entry.collections()
    assert set(collections) >= REQUIRED, f"missing {sorted(REQUIRED - set(collections))}"
    outside = {k: v for k, v in collections.items() if not v.startswith(entry.base_uri)}
    assert not outside, f"not under baseURI {entry.base_uri}: {outside}"


def test_entry_point_in_xml_lists_the_same(
    client: CimiClient, entry: EntryPoint, target: Target
) -> None:
    response = client.get(target.cep, accept=XML)
    assert response.status_code == 200, describe(response)
    assert_version_header(response)
    root = parse_xml(response)
    assert root.tag == qualified("CloudEntryPoint"), root.tag
    assert text_of(root, "id") == target.cep
    assert text_of(root, "baseURI") == entry.base_uri
    assert xml_hrefs(root) == entry.collections()


def test_format_parameter_overrides_accept(client: CimiClient, target: Target) -> None:
    """``$format`` wins over ``Accept``, in any case (§1.10)."""
    as_xml = client.get(target.cep, accept=JSON, params={"$format": "xml"})
    assert as_xml.status_code == 200 and media_type(as_xml) == XML, describe(as_xml)
    as_json = client.get(target.cep, accept=XML, params={"$format": "JSON"})
    assert as_json.status_code == 200 and media_type(as_json) == JSON, describe(as_json)


def test_unknown_query_parameters_are_ignored(client: CimiClient, target: Target) -> None:
    """§1.10: a parameter the server does not know changes nothing."""
    plain = client.read(target.cep)
    extra = client.read(target.cep, params={"conformance": "1"})
    assert extra.keys() == plain.keys()
