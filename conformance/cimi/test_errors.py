"""Refusals (spec notes §1.11, §4): an unknown href is 404, an unreadable or incomplete body 400,
a body in an unsupported media type 415, an unsupported ``Accept`` 406, a bad ``$filter`` 400,
an action a resource does not offer a 4xx; each with a body (a FAILED Job where the body is a
Job) and never a 5xx, and a refused create leaves nothing behind."""

from __future__ import annotations

import json

import pytest

from conformance.cimi.checks import assert_error
from conformance.cimi.client import (
    CREATED,
    JSON,
    XML,
    CimiClient,
    Resources,
    members,
    operation,
    type_uri,
    xml_document,
)

BAD_FILTERS = [
    pytest.param("name=", id="no-value"),
    pytest.param("name='x", id="unclosed-quote"),
    pytest.param("(name='x'", id="unclosed-parenthesis"),
    pytest.param("name ~ 'x'", id="unknown-operator"),
    pytest.param("name='x' and", id="dangling-and"),
    pytest.param("name<'x'", id="string-ordered"),
    pytest.param("'x'='y'", id="no-attribute"),
]


@pytest.fixture
def machines_add(resources: Resources) -> str:
    return resources.add_href(resources.collection("machines"))


def assert_refused_create(
    client: CimiClient,
    resources: Resources,
    collection: str,
    send: tuple[str, str],
    statuses: set[int],
    name: str,
) -> None:
    """The POST of ``send`` (content type, body) is refused with one of ``statuses`` and no
    member named ``name`` appears (one made anyway is deleted at teardown)."""
    content_type, body = send
    response = client.request("POST", collection, content_type=content_type, body=body)
    if response.status_code in CREATED and "location" in response.headers:
        resources.track(response.headers["location"])
    assert_error(response, statuses)
    names = [m.get("name") for m in members(client.read(resources.collection("machines")))]
    assert name not in names, f"a refused create made {name}"


def test_unknown_resource_is_404(client: CimiClient, resources: Resources, unique: str) -> None:
    collection = resources.collection("machines").rstrip("/")
    assert_error(client.get(f"{collection}/{unique}"), {404})
    assert_error(client.get(f"{collection}/{unique}", accept=XML), {404})


def test_unknown_collection_is_404(client: CimiClient, resources: Resources, unique: str) -> None:
    assert_error(client.get(f"{resources.entry.base_uri}{unique}"), {404})


def test_malformed_json_is_400(
    client: CimiClient, resources: Resources, machines_add: str, unique: str
) -> None:
    body = f'{{"resourceURI": "{type_uri("MachineCreate")}", "name": "{unique}", '
    assert_refused_create(client, resources, machines_add, (JSON, body), {400}, unique)


def test_malformed_xml_is_400(
    client: CimiClient, resources: Resources, machines_add: str, unique: str
) -> None:
    body = f'<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>{unique}</name>'
    assert_refused_create(client, resources, machines_add, (XML, body), {400}, unique)


def test_create_without_a_template_is_400(
    client: CimiClient, resources: Resources, machines_add: str, unique: str
) -> None:
    body = json.dumps({"resourceURI": type_uri("MachineCreate"), "name": unique})
    assert_refused_create(client, resources, machines_add, (JSON, body), {400}, unique)


def test_create_with_an_unknown_config_is_refused(
    client: CimiClient, resources: Resources, machines_add: str, unique: str
) -> None:
    """A reference to nothing: 400 (a bad request) or 404 (what it names is not there)."""
    _, image = resources.machine_refs()
    nowhere = f"{resources.collection('machineConfigs').rstrip('/')}/{unique}"
    template = {"machineConfig": {"href": nowhere}, "machineImage": {"href": image}}
    body = json.dumps(
        {"resourceURI": type_uri("MachineCreate"), "name": unique, "machineTemplate": template}
    )
    assert_refused_create(client, resources, machines_add, (JSON, body), {400, 404}, unique)


def test_xml_of_the_wrong_type_is_400(
    client: CimiClient, resources: Resources, machines_add: str, unique: str
) -> None:
    body = xml_document("VolumeCreate", f"<name>{unique}</name>")
    assert_refused_create(client, resources, machines_add, (XML, body), {400}, unique)


def test_unsupported_content_type_is_415(
    client: CimiClient, resources: Resources, machines_add: str, unique: str
) -> None:
    body = f"name={unique}"
    assert_refused_create(client, resources, machines_add, ("text/plain", body), {415}, unique)


def test_unsupported_accept_is_406(client: CimiClient, resources: Resources) -> None:
    response = client.get(resources.collection("machines"), accept="application/x-unknown")
    assert_error(response, {406})


@pytest.mark.parametrize("expression", BAD_FILTERS)
def test_bad_filter_is_400(client: CimiClient, resources: Resources, expression: str) -> None:
    response = client.get(resources.collection("machines"), params={"$filter": expression})
    assert_error(response, {400})


def test_an_action_not_offered_is_refused(
    client: CimiClient, resources: Resources, unique: str
) -> None:
    """``start`` sent to a STARTED Machine, at the href its ``stop`` uses: a 4xx, and the
    Machine stays STARTED."""
    started = resources.started_machine(unique)
    href = operation(started, "stop")
    assert href and operation(started, "start") is None, started.get("operations")
    body = {
        "resourceURI": type_uri("Action"),
        "action": "http://schemas.dmtf.org/cimi/1/action/start",
    }
    assert_error(client.post_json(href, body), {400, 405, 409})
    assert client.read(started["id"]).get("state") == "STARTED"


def test_an_unknown_action_is_400(client: CimiClient, resources: Resources, unique: str) -> None:
    started = resources.started_machine(unique)
    href = operation(started, "stop")
    assert href, started.get("operations")
    body = {"resourceURI": type_uri("Action"), "action": "http://example.com/action/fly"}
    assert_error(client.post_json(href, body), {400})
    assert client.read(started["id"]).get("state") == "STARTED"
