"""How a request travels (spec §1.1): GET, POST form, both at once; JSON or XML back; parameter
names in any case."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.native.checks import error_text
from conformance.native.client import Keys, NativeClient, Resources, read_json, sign


def test_get(client: NativeClient) -> None:
    reply = read_json(client.get(client.signed("listZones")))
    assert (reply.status, reply.name) == (200, "listzonesresponse")
    assert reply.body["zone"]


def test_post_form(client: NativeClient) -> None:
    response = client.post(client.signed("listZones"))
    assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert not response.request.url.query  # everything, signature included, is in the body
    reply = read_json(response)
    assert (reply.status, reply.name) == (200, "listzonesresponse")
    assert reply.body["zone"]


def test_get_and_post_mixed_are_one_request(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    """The servlet merges query string and body, so both halves take effect."""
    params = client.signed("createSecurityGroup", {"name": unique, "description": "from the body"})
    body = {name: params.pop(name) for name in ("description", "signature")}
    reply = read_json(client.post(body, query=params))
    assert reply.status == 200, reply.body
    group = reply.body["securitygroup"]
    resources.track("securitygroup", group["id"])
    assert (group["name"], group["description"]) == (unique, "from the body")


def test_signature_covers_the_union_of_query_and_body(client: NativeClient, unique: str) -> None:
    """A body parameter left out of the signature makes the request unverifiable."""
    params = client.signed("listSSHKeyPairs", {"name": unique})
    reply = read_json(client.post({"keyword": "unsigned"}, query=params))
    error_text(reply, 401, "listsshkeypairsresponse")


def test_json_when_asked(client: NativeClient) -> None:
    response = client.get(client.signed("listZones"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert list(response.json()) == ["listzonesresponse"]


def test_xml_when_response_is_absent(client: NativeClient) -> None:
    response = client.get(sign({"command": "listZones"}, client.keys))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "listzonesresponse"
    zones = root.findall("zone")
    assert zones and root.findtext("count") == str(len(zones))
    assert all(zone.findtext("id") for zone in zones)


def test_xml_errors_use_the_same_envelope(client: NativeClient) -> None:
    response = client.get(sign({"command": "createSecurityGroup"}, client.keys))
    assert response.status_code == 431
    root = ET.fromstring(response.content)
    assert root.tag == "createsecuritygroupresponse"
    assert root.findtext("errorcode") == "431"
    assert root.findtext("errortext")


def test_parameter_names_are_case_insensitive(client: NativeClient) -> None:
    params = sign({"COMMAND": "listZones", "Response": "json"}, client.keys, key_name="APIKEY")
    reply = read_json(client.get(params))
    assert (reply.status, reply.name) == (200, "listzonesresponse")
    assert reply.body["zone"]


def test_map_parameter_names_are_case_insensitive(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)
    client.run(
        "createTags",
        {
            "resourceIds": group["id"],
            "resourceType": "SecurityGroup",
            "Tags[0].Key": unique,
            "TAGS[0].VALUE": "loud",
        },
    )
    [tag] = client.items("listTags", "tag", {"resourceid": group["id"]})
    assert (tag["key"], tag["value"]) == (unique, "loud")


def test_wrong_keys_are_refused_whatever_the_transport(client: NativeClient) -> None:
    params = sign({"command": "listZones", "response": "json"}, Keys(client.keys.api_key, "x"))
    error_text(read_json(client.get(params)), 401, "listzonesresponse")
    error_text(read_json(client.post(params)), 401, "listzonesresponse")
