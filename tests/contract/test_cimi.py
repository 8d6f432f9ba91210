"""CIMI 1.x over httpx, in JSON and XML: every XML answer is checked against DSP8009 1.0.2 as
it arrives (``tests/contract/cimi.py``), so each test here also proves its documents valid."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.services.container import Services
from core.views import ImageView, InstanceQuery, NewAccount
from gateway.cimi import filter as cimi_filter
from gateway.cimi.machines import MACHINE_ATTRIBUTES
from tests.contract.cimi import XML, client, entry_point, operation, until_job_done
from tests.contract.conftest import ServedCloud

MACHINE_CREATE = "http://schemas.dmtf.org/cimi/1/MachineCreate"
ACTION = "http://schemas.dmtf.org/cimi/1/Action"


@pytest.fixture
def account(served_cloud: ServedCloud, image: ImageView) -> Iterator[NewAccount]:
    made = served_cloud.account("cimi")
    yield made
    served_cloud.terminate_all(made)


@pytest.fixture
def http(served_cloud: ServedCloud, account: NewAccount) -> Iterator[httpx.Client]:
    with client(served_cloud.url, account) as made:
        yield made


def _templates(http: httpx.Client) -> tuple[str, str]:
    """The smallest MachineConfiguration and the public image, as the CEP leads to them."""
    cep = entry_point(http)
    configs = http.get(cep["machineConfigs"]["href"]).json()["machineConfigurations"]
    smallest = min(configs, key=lambda c: c["memory"])
    [image] = http.get(cep["machineImages"]["href"]).json()["machineImages"]
    return smallest["id"], image["id"]


def _create(http: httpx.Client, name: str, **template: Any) -> tuple[str, dict[str, Any]]:
    """A Machine from a template by value, or by reference when ``template`` has an href."""
    if "href" not in template:
        config, image = _templates(http)
        template = {"machineConfig": {"href": config}, "machineImage": {"href": image}, **template}
    created = http.post(
        entry_point(http)["machines"]["href"],
        json={"resourceURI": MACHINE_CREATE, "name": name, "machineTemplate": template},
    )
    assert created.status_code == 202, created.text
    job = until_job_done(http, created.headers["cimi-job-uri"])
    assert job["state"] == "SUCCESS", job
    return created.headers["location"], job


def _act(http: httpx.Client, machine: dict[str, Any], verb: str) -> dict[str, Any]:
    answer = http.post(
        operation(machine, f"action/{verb}"),
        json={"resourceURI": ACTION, "action": f"http://schemas.dmtf.org/cimi/1/action/{verb}"},
    )
    assert answer.status_code == 202, answer.text
    return until_job_done(http, answer.headers["cimi-job-uri"])


@pytest.mark.parametrize("accept", [{}, XML], ids=["json", "xml"])
def test_every_collection_is_reached_from_the_entry_point(
    http: httpx.Client, accept: dict[str, str]
) -> None:
    cep = http.get("/cimi/", headers=accept)
    assert cep.status_code == 200
    assert cep.headers["cimi-specification-version"] == "1.0.1"
    document = entry_point(http)
    assert document["baseURI"].endswith("/cimi/")
    served = {k for k, v in document.items() if isinstance(v, dict) and "href" in v}
    assert served == {
        "machines", "machineTemplates", "machineConfigs", "machineImages", "credentials",
        "volumes", "volumeTemplates", "volumeConfigs", "volumeImages", "networks",
        "networkConfigs", "networkPorts", "addresses", "jobs", "eventLogs",
    }  # fmt: skip
    for key in sorted(served):
        href = document[key]["href"]
        assert href.startswith(document["baseURI"])
        listed = http.get(href, headers=accept)
        assert listed.status_code == 200, (key, listed.text)


def test_a_machine_lives_and_dies_through_its_operations(
    http: httpx.Client, services: Services, served_cloud: ServedCloud, account: NewAccount
) -> None:
    location, job = _create(http, "cimi-life")
    machine = http.get(location).json()
    assert job["targetResource"]["href"] == location
    assert (machine["name"], machine["state"], machine["cpu"]) == ("cimi-life", "STARTED", 1)
    caller = services.identity.caller_for(account.account.name)
    instance = services.compute.get_instance(caller, location.rsplit("/", 1)[1])
    assert instance.name == "cimi-life"

    assert _act(http, machine, "stop")["state"] == "SUCCESS"
    machine = http.get(location).json()
    assert machine["state"] == "STOPPED"
    assert [o["rel"].rsplit("/", 1)[1] for o in machine["operations"][2:]] == ["start", "capture"]
    assert _act(http, machine, "start")["state"] == "SUCCESS"
    machine = http.get(location).json()
    assert machine["state"] == "STARTED"

    volume = http.post(
        entry_point(http)["volumes"]["href"],
        json={"name": "cimi-data", "volumeTemplate": {"volumeConfig": {"capacity": 1048576}}},
    )
    assert volume.status_code == 202, volume.text
    assert until_job_done(http, volume.headers["cimi-job-uri"])["state"] == "SUCCESS"
    attached = http.post(
        machine["volumes"]["href"], json={"volume": {"href": volume.headers["location"]}}
    )
    assert attached.status_code == 202, attached.text
    assert until_job_done(http, attached.headers["cimi-job-uri"])["state"] == "SUCCESS"
    listed = http.get(machine["volumes"]["href"], headers=XML)
    assert volume.headers["location"] in listed.text
    machine_volumes = http.get(machine["volumes"]["href"]).json()["machineVolumes"]
    [data] = [v for v in machine_volumes if v["volume"]["href"] == volume.headers["location"]]
    assert data["initialLocation"] == "/dev/vdb"
    by_place = http.get(
        machine["volumes"]["href"], params={"$filter": "initialLocation='/dev/vdb'"}
    )
    assert [v["id"] for v in by_place.json()["machineVolumes"]] == [data["id"]]
    detached = http.delete(operation(data, "delete"))
    assert until_job_done(http, detached.headers["cimi-job-uri"])["state"] == "SUCCESS"
    deleted_volume = http.delete(volume.headers["location"])
    assert until_job_done(http, deleted_volume.headers["cimi-job-uri"])["state"] == "SUCCESS"

    deleted = http.delete(operation(machine, "delete"))
    assert deleted.status_code == 202
    assert until_job_done(http, deleted.headers["cimi-job-uri"])["state"] == "SUCCESS"
    assert http.get(location).status_code == 404


def test_a_machine_made_in_xml_with_a_credential_and_user_data(
    http: httpx.Client, services: Services, account: NewAccount
) -> None:
    credential = http.post(
        entry_point(http)["credentials"]["href"],
        json={"name": "cimi-key", "credentialTemplate": {}},
    )
    assert credential.status_code == 201, credential.text
    config, image = _templates(http)
    script = b"#!/bin/sh\necho from cimi\n"
    body = (
        f'<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>cimi-xml</name>'
        f'<machineTemplate><machineConfig href="{config}"/><machineImage href="{image}"/>'
        f'<credential href="{credential.headers["location"]}"/>'
        f"<userData>{base64.b64encode(script).decode()}</userData></machineTemplate>"
        "</MachineCreate>"
    )
    created = http.post(
        entry_point(http)["machines"]["href"],
        content=body,
        headers={"Content-Type": "application/xml", **XML},
    )
    assert created.status_code == 202, created.text
    assert until_job_done(http, created.headers["cimi-job-uri"])["state"] == "SUCCESS"
    shown = http.get(created.headers["location"], headers=XML)
    assert "<state>STARTED</state>" in shown.text
    caller = services.identity.caller_for(account.account.name)
    instance = services.compute.get_instance(caller, created.headers["location"].rsplit("/", 1)[1])
    assert (instance.key_name, instance.user_data) == ("cimi-key", script)


def test_select_first_and_last(http: httpx.Client) -> None:
    for n in range(3):
        _create(http, f"window-{n}")
    machines = entry_point(http)["machines"]["href"]
    page = http.get(machines, params={"$first": "2", "$last": "3", "$select": "name"}).json()
    assert page["count"] == 3
    assert [m["name"] for m in page["machines"]] == ["window-1", "window-2"]
    assert set(page["machines"][0]) == {"resourceURI", "id", "name"}
    assert http.get(machines, params={"$first": "4"}).json().get("machines", []) == []


FILTER_ATTRIBUTES = {
    "name": st.sampled_from(["'f-a'", "'f-b'", "'f-c'", "'none'"]),
    "state": st.sampled_from(["'STARTED'", "'STOPPED'", "'ERROR'"]),
    "cpu": st.integers(0, 3).map(str),
    "memory": st.sampled_from(["524288", "627712", "1048576", "1"]),
}


def _comparison(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(FILTER_ATTRIBUTES)))
    ops = ["=", "!="] if name in ("name", "state") else ["=", "!=", "<", "<=", ">", ">="]
    return f"{name}{draw(st.sampled_from(ops))}{draw(FILTER_ATTRIBUTES[name])}"


@st.composite
def filters(draw: st.DrawFn, depth: int = 0) -> str:
    shape = draw(st.sampled_from(["cmp", "cmp", "and", "or", "not"] if depth < 3 else ["cmp"]))
    if shape == "cmp":
        return _comparison(draw)
    if shape == "not":
        return f"not ({draw(filters(depth + 1))})"
    return f"({draw(filters(depth + 1))}) {shape} ({draw(filters(depth + 1))})"


@pytest.fixture(scope="module")
def filtered(served_cloud: ServedCloud) -> Iterator[tuple[httpx.Client, list[dict[str, Any]]]]:
    """Three machines of one account, one stopped, for the filter property test."""
    account = served_cloud.account("cimi-filter")
    served_cloud.image()
    with client(served_cloud.url, account) as http:
        for name in ("f-a", "f-b", "f-c"):
            _create(http, name)
        machines = http.get("/cimi/machines").json()["machines"]
        stopped = next(m for m in machines if m["name"] == "f-b")
        _act(http, stopped, "stop")
        yield http, http.get("/cimi/machines").json()["machines"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=filters())
def test_filter_matches_a_python_evaluation_of_the_same_expression(
    filtered: tuple[httpx.Client, list[dict[str, Any]]], text: str
) -> None:
    http, machines = filtered
    parsed = cimi_filter.parse(text, MACHINE_ATTRIBUTES)
    expected = {
        m["id"]
        for m in machines
        if cimi_filter.evaluate(
            parsed,
            {**m, "created": dt.datetime.fromisoformat(m["created"])},
            m.get("properties", {}),
        )
    }
    answer = http.get("/cimi/machines", params={"$filter": text})
    assert answer.status_code == 200, (text, answer.text)
    found = answer.json()
    assert {m["id"] for m in found.get("machines", [])} == expected, text
    assert found["count"] == len(expected)


def test_another_account_sees_nothing_of_it(http: httpx.Client, served_cloud: ServedCloud) -> None:
    location, _ = _create(http, "private")
    other = served_cloud.account("cimi-other")
    with client(served_cloud.url, other) as theirs:
        assert theirs.get(location).status_code == 404
        assert theirs.delete(location).status_code == 404
        assert location not in theirs.get("/cimi/machines").text
    assert http.get(location).json()["state"] == "STARTED"


BAD = [
    ("POST", "/cimi/machines", {"Content-Type": "application/json"}, b"{not json", 400),
    ("POST", "/cimi/machines", {"Content-Type": "application/json"}, b'{"name": "x"}', 400),
    ("POST", "/cimi/machines", {"Content-Type": "text/plain"}, b"x", 415),
    ("POST", "/cimi/machines", {"Content-Type": "application/json"},
     b'{"machineTemplate": {"machineConfig": {"href": "http://elsewhere/x"},'
     b' "machineImage": {"href": "http://elsewhere/y"}}}', 400),
    ("POST", "/cimi/machines", {"Content-Type": "application/xml"},
     b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><MachineCreate/>', 400),
    ("GET", "/cimi/machines", {"Accept": "text/html"}, b"", 406),
    ("GET", "/cimi/machines?$filter=name<'x'", {}, b"", 400),
    ("GET", "/cimi/machines?$filter=colour='red'", {}, b"", 400),
    ("GET", "/cimi/machines?$first=0", {}, b"", 400),
    ("PUT", "/cimi/machines", {}, b"", 405),
    ("PATCH", "/cimi/machines", {}, b"", 405),
    ("OPTIONS", "/cimi/cloudEntryPoint", {}, b"", 405),
    ("GET", "/cimi/robots", {}, b"", 404),
    ("GET", "/cimi/machines/not-a-uuid", {}, b"", 404),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), BAD)
def test_bad_input_gets_a_cimi_error_and_changes_nothing(
    http: httpx.Client,
    services: Services,
    account: NewAccount,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    caller = services.identity.caller_for(account.account.name)
    before = services.compute.list_instances(caller, InstanceQuery()).total
    answer = http.request(method, path, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert (error["state"], error["returnCode"]) == ("FAILED", status)
    assert error["statusMessage"]
    assert services.compute.list_instances(caller, InstanceQuery()).total == before


def test_head_answers_as_get_without_a_body(http: httpx.Client) -> None:
    got = http.get("/cimi/machineConfigs", headers=XML)
    head = http.head("/cimi/machineConfigs", headers=XML)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    assert http.head("/cimi/machines/" + "0" * 32).status_code == 404
    refused = http.delete("/cimi/machineConfigs")
    assert refused.headers["allow"] == "GET, HEAD"


def test_without_credentials_nothing_is_served(served_cloud: ServedCloud) -> None:
    answer = httpx.get(f"{served_cloud.url}/cimi/machines", timeout=30)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_a_stored_template_makes_machines_by_reference_with_overrides(
    http: httpx.Client, services: Services, account: NewAccount
) -> None:
    config, image = _templates(http)
    script = base64.b64encode(b"#!/bin/sh\necho stored\n").decode()
    made = http.post(
        entry_point(http)["machineTemplates"]["href"],
        json={
            "resourceURI": "http://schemas.dmtf.org/cimi/1/MachineTemplate",
            "name": "small-stopped",
            "initialState": "STOPPED",
            "machineConfig": {"href": config},
            "machineImage": {"href": image},
            "userData": script,
        },
        headers=XML,
    )
    assert made.status_code == 201, made.text
    template = made.headers["location"]
    listed = http.get(entry_point(http)["machineTemplates"]["href"]).json()["machineTemplates"]
    assert [t["id"] for t in listed] == [template]
    assert listed[0]["initialState"] == "STOPPED"

    location, _ = _create(http, "from-template", href=template, initialState="STARTED")
    caller = services.identity.caller_for(account.account.name)
    instance = services.compute.get_instance(caller, location.rsplit("/", 1)[1])
    assert instance.user_data == b"#!/bin/sh\necho stored\n"
    assert http.get(location).json()["state"] == "STARTED"
    assert http.delete(template).status_code == 200
    assert http.get(template).status_code == 404


def test_volume_images_event_logs_and_networks(http: httpx.Client) -> None:
    cep = entry_point(http)
    [offering] = [
        c
        for c in http.get(cep["volumeConfigs"]["href"]).json()["volumeConfigurations"]
        if c.get("capacity") == 5 * 1048576
    ]
    volume = http.post(
        cep["volumes"]["href"],
        json={"name": "cimi-src", "volumeTemplate": {"volumeConfig": {"href": offering["id"]}}},
    )
    assert until_job_done(http, volume.headers["cimi-job-uri"])["state"] == "SUCCESS"
    assert http.get(volume.headers["location"]).json()["capacity"] == 5 * 1048576
    image = http.post(
        cep["volumeImages"]["href"],
        json={"name": "cimi-snap", "imageLocation": volume.headers["location"]},
        headers=XML,
    )
    assert image.status_code == 202, image.text
    assert until_job_done(http, image.headers["cimi-job-uri"])["state"] == "SUCCESS"
    shown = http.get(image.headers["location"]).json()
    assert (shown["state"], shown["imageLocation"]) == ("AVAILABLE", volume.headers["location"])
    copy = http.post(
        cep["volumes"]["href"],
        json={"name": "cimi-copy", "volumeTemplate": {"volumeImage": {"href": shown["id"]}}},
    )
    assert until_job_done(http, copy.headers["cimi-job-uri"])["state"] == "SUCCESS"

    log = http.get(http.get(volume.headers["location"]).json()["eventLog"]["href"]).json()
    events = http.get(log["events"]["href"], headers=XML)
    assert events.status_code == 200
    names = {e["name"] for e in http.get(log["events"]["href"]).json()["events"]}
    assert {"VOLUME.CREATE", "SNAPSHOT.CREATE"} & names == {"VOLUME.CREATE"}
    [account_log] = http.get(cep["eventLogs"]["href"]).json()["eventLogs"]
    everything = http.get(account_log["events"]["href"]).json()["events"]
    assert {"VOLUME.CREATE", "SNAPSHOT.CREATE"} <= {e["name"] for e in everything}

    [network] = http.get(cep["networks"]["href"]).json()["networks"]
    assert network["state"] == "STARTED"
    [config] = http.get(cep["networkConfigs"]["href"]).json()["networkConfigurations"]
    assert config["networkType"] == "PRIVATE"
    made = http.post(
        cep["networks"]["href"],
        json={
            "name": "cimi-by-config",
            "networkTemplate": {"networkConfig": {"href": config["id"]}},
        },
    )
    assert made.status_code == 201, made.text
    assert http.delete(made.headers["location"]).status_code in (200, 202)
    address = http.post(cep["addresses"]["href"], json={"addressTemplate": {}}, headers=XML)
    assert address.status_code in (201, 202), address.text
    shown = http.get(address.headers["location"]).json()
    assert shown["ip"] and shown["allocation"] == "static"
    assert http.get(cep["addresses"]["href"]).json()["count"] == 1
    released = http.delete(operation(shown, "delete"))
    assert released.status_code in (200, 202), released.text
    assert http.get(cep["addresses"]["href"]).json()["count"] == 0
    for made in (copy, volume):
        deleted = http.delete(made.headers["location"])
        assert until_job_done(http, deleted.headers["cimi-job-uri"])["state"] == "SUCCESS"
    removed = http.delete(image.headers["location"])
    assert until_job_done(http, removed.headers["cimi-job-uri"])["state"] == "SUCCESS"


def test_expand_inlines_a_machines_disks_volumes_and_interfaces(http: httpx.Client) -> None:
    location, _ = _create(http, "expanded")
    plain = http.get(location).json()
    assert set(plain["volumes"]) == {"href"}
    one_kind = http.get(location, params={"$expand": "volumes"}).json()
    assert one_kind["volumes"]["count"] == 1
    [root] = one_kind["volumes"]["machineVolumes"]
    assert root["initialLocation"] == "/dev/vda"
    assert set(one_kind["disks"]) == {"href"}
    everything = http.get(location, params={"$expand": "*"}, headers=XML)
    assert "<macAddress>" in everything.text and "<capacity>" in everything.text
    listed = http.get("/cimi/machines", params={"$expand": "networkInterfaces"}).json()
    [machine] = [m for m in listed["machines"] if m["id"] == location]
    [nic] = machine["networkInterfaces"]["machineNetworkInterfaces"]
    assert nic["network"]["href"].startswith(entry_point(http)["networks"]["href"])
    port = http.get(nic["networkPort"]["href"], headers=XML)
    assert port.status_code == 200, port.text
    assert "<portType>ACCESS</portType>" in port.text and "<state>STARTED</state>" in port.text
    ports = http.get(entry_point(http)["networkPorts"]["href"]).json()["networkPorts"]
    assert nic["networkPort"]["href"] in [p["id"] for p in ports]


def test_a_generated_credential_shows_its_private_key_once(http: httpx.Client) -> None:
    made = http.post(
        entry_point(http)["credentials"]["href"],
        content=(
            '<CredentialCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>cimi-gen</name>'
            "<credentialTemplate/></CredentialCreate>"
        ),
        headers={"Content-Type": "application/xml"},
    )
    assert made.status_code == 201, made.text
    private = base64.b64decode(made.json()["key"])
    assert private.startswith(b"-----BEGIN")
    public = base64.b64decode(http.get(made.headers["location"]).json()["key"])
    assert public.startswith(b"ssh-rsa ")


def test_if_match_makes_a_change_conditional_on_what_was_read(http: httpx.Client) -> None:
    location, _ = _create(http, "conditional")
    read = http.get(location)
    tag = read.headers["etag"]
    assert http.get(location, params={"$select": "name"}).headers["etag"] == tag
    stale = http.put(
        location,
        json={"resourceURI": "http://schemas.dmtf.org/cimi/1/Machine", "name": "renamed"},
        headers={"If-Match": '"not-the-tag"'},
    )
    assert stale.status_code == 412, stale.text
    assert http.get(location).json()["name"] == "conditional"
    fresh = http.put(
        location,
        json={"resourceURI": "http://schemas.dmtf.org/cimi/1/Machine", "name": "renamed"},
        headers={"If-Match": tag},
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["name"] == "renamed"
    assert fresh.headers["etag"] != tag
    gone = http.delete(location, headers={"If-Match": tag})
    assert gone.status_code == 412


def test_a_network_made_and_deleted(http: httpx.Client) -> None:
    made = http.post(
        entry_point(http)["networks"]["href"],
        content=(
            '<NetworkCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>cimi-net</name>'
            "<networkTemplate><networkConfig><networkType>PRIVATE</networkType></networkConfig>"
            "</networkTemplate></NetworkCreate>"
        ),
        headers={"Content-Type": "application/xml", **XML},
    )
    assert made.status_code == 201, made.text
    network = http.get(made.headers["location"]).json()
    assert (network["name"], network["state"]) == ("cimi-net", "STARTED")
    deleted = http.delete(operation(network, "delete"))
    assert deleted.status_code in (200, 202), deleted.text
    if deleted.status_code == 202:
        assert until_job_done(http, deleted.headers["cimi-job-uri"])["state"] == "SUCCESS"
    assert made.headers["location"] not in http.get(entry_point(http)["networks"]["href"]).text


def test_a_stored_volume_template_makes_volumes_by_reference(http: httpx.Client) -> None:
    cep = entry_point(http)
    made = http.post(
        cep["volumeTemplates"]["href"],
        content=(
            '<VolumeTemplate xmlns="http://schemas.dmtf.org/cimi/1"><name>two-gib</name>'
            "<volumeConfig><capacity>2097152</capacity></volumeConfig></VolumeTemplate>"
        ),
        headers={"Content-Type": "application/xml", **XML},
    )
    assert made.status_code == 201, made.text
    template = http.get(made.headers["location"]).json()
    assert template["volumeConfig"]["capacity"] == 2097152
    volume = http.post(
        cep["volumes"]["href"],
        json={"name": "from-template", "volumeTemplate": {"href": template["id"]}},
    )
    assert volume.status_code == 202, volume.text
    assert until_job_done(http, volume.headers["cimi-job-uri"])["state"] == "SUCCESS"
    assert http.get(volume.headers["location"]).json()["capacity"] == 2097152
    bigger = http.post(
        cep["volumes"]["href"],
        json={
            "name": "overridden",
            "volumeTemplate": {"href": template["id"], "volumeConfig": {"capacity": 3145728}},
        },
    )
    assert until_job_done(http, bigger.headers["cimi-job-uri"])["state"] == "SUCCESS"
    assert http.get(bigger.headers["location"]).json()["capacity"] == 3145728
    for location in (volume.headers["location"], bigger.headers["location"]):
        deleted = http.delete(location)
        assert until_job_done(http, deleted.headers["cimi-job-uri"])["state"] == "SUCCESS"
    assert http.delete(template["id"]).status_code == 200


def test_put_replaces_a_machines_name_and_properties(http: httpx.Client) -> None:
    location, _ = _create(http, "edited")
    machine = http.get(location).json()
    first = http.put(
        location, json={**machine, "name": "edited-2", "properties": {"team": "a", "tier": "1"}}
    )
    assert first.status_code == 200, first.text
    assert first.json()["properties"] == {"team": "a", "tier": "1"}
    second = http.put(location, json={**first.json(), "properties": {"team": "b"}}, headers=XML)
    assert second.status_code == 200, second.text
    shown = http.get(location).json()
    assert (shown["name"], shown["properties"]) == ("edited-2", {"team": "b"})
    found = http.get("/cimi/machines", params={"$filter": "property['team']='b'"}).json()
    assert [m["id"] for m in found["machines"]] == [location]


def test_orderby_sorts_in_core_before_first_and_last(http: httpx.Client) -> None:
    for name in ("o-b", "o-c", "o-a"):
        _create(http, name)
    machines = entry_point(http)["machines"]["href"]

    def names(**params: str) -> list[str]:
        return [m["name"] for m in http.get(machines, params=params).json().get("machines", [])]

    assert names(**{"$orderby": "name"}) == ["o-a", "o-b", "o-c"]
    assert names(**{"$orderby": "name:desc", "$first": "2", "$last": "3"}) == ["o-b", "o-a"]
    assert names(**{"$orderby": "cpu:asc,name:desc"}) == ["o-c", "o-b", "o-a"]
    refused = http.get(machines, params={"$orderby": "colour"})
    assert refused.status_code == 400
    assert http.get(machines, params={"$orderby": "name:sideways"}).status_code == 400


def test_a_machine_captured_into_a_machine_image(http: httpx.Client) -> None:
    location, _ = _create(http, "to-capture")
    machine = http.get(location).json()
    captured = http.post(
        operation(machine, "action/capture"),
        json={
            "resourceURI": "http://schemas.dmtf.org/cimi/1/MachineImage",
            "name": "captured",
            "imageLocation": location,
        },
    )
    assert captured.status_code == 202, captured.text
    assert until_job_done(http, captured.headers["cimi-job-uri"])["state"] == "SUCCESS"
    image = http.get(captured.headers["location"], headers=XML)
    assert "<state>AVAILABLE</state>" in image.text and "<name>captured</name>" in image.text
    deleted = http.delete(operation(http.get(captured.headers["location"]).json(), "delete"))
    assert deleted.status_code in (200, 202), deleted.text
    assert http.get(captured.headers["location"]).status_code == 404


def test_expand_replaces_references_with_what_they_name(http: httpx.Client) -> None:
    location, job = _create(http, "refs")
    machine = http.get(location).json()
    volumes = http.get(machine["volumes"]["href"], params={"$expand": "volume"}, headers=XML)
    assert volumes.status_code == 200
    assert "<capacity>" in volumes.text and "<bootable>true</bootable>" in volumes.text
    expanded_job = http.get(job["id"], params={"$expand": "targetResource"}).json()
    assert expanded_job["targetResource"]["name"] == "refs"
    assert expanded_job["targetResource"]["state"] == "STARTED"
    config, image = _templates(http)
    template = http.post(
        entry_point(http)["machineTemplates"]["href"],
        json={
            "name": "expanding",
            "machineConfig": {"href": config},
            "machineImage": {"href": image},
        },
    ).headers["location"]
    shown = http.get(template, params={"$expand": "*"}, headers=XML)
    assert "<cpu>" in shown.text and "<imageLocation>" in shown.text
    only_config = http.get(template, params={"$expand": "machineConfig"}).json()
    assert "cpu" in only_config["machineConfig"]
    assert set(only_config["machineImage"]) == {"href"}
    assert http.delete(template).status_code == 200


def test_nested_expand_goes_on_inside_what_took_a_references_place(http: httpx.Client) -> None:
    location, job = _create(http, "nested")
    deep = http.get(
        location, params={"$expand": "volumes/volume,networkInterfaces/networkPort,eventLog"}
    ).json()
    [attached] = deep["volumes"]["machineVolumes"]
    assert attached["volume"]["bootable"] is True and attached["volume"]["capacity"] > 0
    [nic] = deep["networkInterfaces"]["machineNetworkInterfaces"]
    assert nic["networkPort"]["portType"] == "ACCESS"
    assert set(nic["network"]) == {"href"}, "only the path's last step is inlined"
    assert deep["eventLog"]["events"]["href"].startswith(deep["eventLog"]["id"])
    assert set(deep["disks"]) == {"href"}
    in_xml = http.get(location, params={"$expand": "volumes/volume/eventLog"}, headers=XML)
    assert in_xml.status_code == 200, in_xml.text
    assert "<bootable>true</bootable>" in in_xml.text and "<events " in in_xml.text
    listed = http.get(
        "/cimi/machines",
        params={"$expand": "networkInterfaces/network", "$filter": "name='nested'"},
    ).json()
    [machine] = listed["machines"]
    [nic] = machine["networkInterfaces"]["machineNetworkInterfaces"]
    assert nic["network"]["state"] == "STARTED"
    affected = http.get(job["id"], params={"$expand": "affectedResources/volumes"}).json()
    [machine] = affected["affectedResources"]
    assert machine["name"] == "nested" and machine["volumes"]["count"] == 1
    assert set(machine["networkInterfaces"]) == {"href"}
    assert http.get(location, params={"$expand": "volumes//volume"}).status_code == 400


def test_an_address_bound_to_a_machine_through_its_interface(http: httpx.Client) -> None:
    cep = entry_point(http)
    location, _ = _create(http, "bound")
    [nic] = http.get(location, params={"$expand": "networkInterfaces"}).json()["networkInterfaces"][
        "machineNetworkInterfaces"
    ]
    assert http.get(nic["id"], headers=XML).status_code == 200
    free = http.get(nic["addresses"]["href"]).json()
    assert free["count"] == 0
    made = [http.post(cep["addresses"]["href"], json={"addressTemplate": {}}) for _ in range(2)]
    first, second = (http.get(m.headers["location"]).json() for m in made)
    bound = http.post(
        operation(free, "add"),
        content=(
            '<MachineNetworkInterfaceAddress xmlns="http://schemas.dmtf.org/cimi/1">'
            f'<address href="{first["id"]}"/></MachineNetworkInterfaceAddress>'
        ),
        headers={**XML, "Content-Type": "application/xml"},
    )
    assert bound.status_code == 201, bound.text
    listed = http.get(nic["addresses"]["href"], headers=XML)
    assert f'<address href="{first["id"]}"/>' in listed.text
    full = http.get(nic["addresses"]["href"]).json()
    assert "add" not in [o["rel"] for o in full.get("operations", [])], (
        "one public address a machine"
    )
    shown = http.get(first["id"]).json()
    assert shown["resource"]["href"] == location
    assert [o["rel"] for o in shown["operations"]] == ["edit"], "a bound address is not released"
    only = http.get(cep["addresses"]["href"], params={"$filter": f"ip='{first['ip']}'"}).json()
    assert [a["id"] for a in only["addresses"]] == [first["id"]]
    newest = http.get(
        cep["addresses"]["href"],
        params={"$orderby": "ip:desc", "$filter": "created>2000-01-01T00:00:00Z"},
    ).json()["addresses"]
    assert [a["ip"] for a in newest] == sorted([first["ip"], second["ip"]], reverse=True)
    up = http.get(cep["networkPorts"]["href"], params={"$filter": "state='STARTED'"}).json()
    down = http.get(cep["networkPorts"]["href"], params={"$filter": "not(state='STARTED')"})
    assert up["count"] == 1 and down.json()["count"] == 0
    unbound = http.delete(bound.headers["location"])
    assert unbound.status_code in (200, 202), unbound.text
    assert http.get(nic["addresses"]["href"]).json()["count"] == 0
    assert "resource" not in http.get(first["id"]).json()
    for address in (first, second):
        assert http.delete(address["id"]).status_code in (200, 202)


def test_put_changes_what_each_resource_lets_a_consumer_change(http: httpx.Client) -> None:
    cep = entry_point(http)
    made = http.post(
        cep["volumes"]["href"],
        json={"name": "kept", "volumeTemplate": {"volumeConfig": {"capacity": 1048576}}},
    )
    assert until_job_done(http, made.headers["cimi-job-uri"])["state"] == "SUCCESS"
    volume = http.get(made.headers["location"]).json()
    tagged = http.put(
        operation(volume, "edit"),
        content=(
            '<Volume xmlns="http://schemas.dmtf.org/cimi/1"><name>kept</name>'
            '<property key="backup">daily</property></Volume>'
        ),
        headers={**XML, "Content-Type": "application/xml"},
    )
    assert tagged.status_code == 200, tagged.text
    assert '<property key="backup">daily</property>' in tagged.text
    renamed = http.put(volume["id"], json={**volume, "name": "renamed", "properties": {}})
    assert renamed.status_code == 400 and "name of this Volume" in renamed.text
    refused = http.put(volume["id"], json={**volume, "properties": {"aws:reserved": "x"}})
    assert refused.status_code == 400, refused.text
    assert http.get(volume["id"]).json()["properties"] == {"backup": "daily"}, "nothing changed"
    template = http.post(
        cep["volumeTemplates"]["href"],
        json={"name": "t", "volumeConfig": {"capacity": 1048576}},
    ).headers["location"]
    shown = http.get(template).json()
    edited = http.put(
        operation(shown, "edit"), json={**shown, "name": "t-2", "description": "two"}
    ).json()
    assert (edited["name"], edited["description"]) == ("t-2", "two")
    left_out = {k: v for k, v in edited.items() if k != "description"}
    assert "description" not in http.put(template, json=left_out).json(), "emptied"
    partial = http.put(volume["id"], params={"$select": "properties"}, json={"name": "ignored"})
    assert partial.status_code == 200, partial.text
    assert "properties" not in http.get(volume["id"]).json(), "emptied"
    assert http.get(volume["id"]).json()["name"] == "kept"
    [image] = http.get(cep["machineImages"]["href"]).json()["machineImages"]
    assert "edit" not in [o["rel"] for o in image.get("operations", [])], "not the caller's"
    assert http.put(image["id"], json={**image, "properties": {"mine": "no"}}).status_code == 404
    assert http.delete(template).status_code == 200
    deleted = http.delete(volume["id"])
    assert until_job_done(http, deleted.headers["cimi-job-uri"])["state"] == "SUCCESS"


def test_volume_configurations_are_filtered_and_ordered(http: httpx.Client) -> None:
    href = entry_point(http)["volumeConfigs"]["href"]
    every = http.get(href).json()["volumeConfigurations"]
    sized = http.get(href, params={"$filter": "capacity>=5242880", "$orderby": "capacity:desc"})
    capacities = [c["capacity"] for c in sized.json()["volumeConfigurations"]]
    expected = sorted(
        (c["capacity"] for c in every if c.get("capacity", 0) >= 5242880), reverse=True
    )
    assert capacities == expected and capacities
    named = http.get(href, params={"$filter": f"name='{every[0]['name']}'"}, headers=XML)
    assert named.text.count("<VolumeConfiguration>") == 1
