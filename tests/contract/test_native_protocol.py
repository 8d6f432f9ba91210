"""The native protocol on the wire, request by request: envelopes, formats, paging, errors,
signatures, sessions. Requests are built by hand with httpx so every byte is ours to choose."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from lxml import etree

from core.services.container import Services
from core.views import ImageView
from tests.contract.native import NativeUser, signed
from tests.unit.helpers import row_counts


def _get(user: NativeUser, **params: str) -> httpx.Response:
    return httpx.get(user.endpoint, params=signed(params, user.key, user.secret))


def _json(user: NativeUser, **params: str) -> tuple[int, dict[str, Any]]:
    response = _get(user, response="json", **params)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert len(body) == 1, "exactly one top-level key"
    return response.status_code, body


def test_xml_is_the_default_format(native_user: NativeUser) -> None:
    response = _get(native_user, command="listZones")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.tag == "listzonesresponse"
    assert root.get("cloud-stack-version")
    assert root.findtext("count") == "1"
    assert root.find("zone/securitygroupsenabled").text == "true"


def test_lists_count_the_total_and_are_empty_objects_when_empty(native_user: NativeUser) -> None:
    status, body = _json(native_user, command="listVolumes")
    assert (status, body) == (200, {"listvolumesresponse": {}})
    status, body = _json(native_user, command="listServiceOfferings", page="2", pagesize="3")
    assert body["listserviceofferingsresponse"]["count"] == 8
    assert len(body["listserviceofferingsresponse"]["serviceoffering"]) == 3


@pytest.mark.parametrize(
    ("paging", "cserrorcode", "text"),
    [
        ({"page": "1"}, 9999, '"pagesize" parameter is required'),
        ({"pagesize": "10"}, 9999, '"page" parameter is required'),
        ({"page": "1", "pagesize": "501"}, 4350, "can't exceed max allowed page size value: 500"),
        ({"page": "1", "pagesize": "-1"}, 4350, "when pagesize is -1"),
        ({"page": "0", "pagesize": "10"}, 4350, "must be positive"),
        ({"page": "x", "pagesize": "10"}, 4350, "Invalid parameter page value=x"),
    ],
)
def test_paging_rules(
    native_user: NativeUser, paging: dict[str, str], cserrorcode: int, text: str
) -> None:
    status, body = _json(native_user, command="listZones", **paging)
    error = body["listzonesresponse"]
    assert status == error["errorcode"] == 431
    assert error["cserrorcode"] == cserrorcode
    assert text in error["errortext"]
    assert error["uuidList"] == []


def test_unlimited_page_size(native_user: NativeUser) -> None:
    status, body = _json(native_user, command="listServiceOfferings", pagesize="-1")
    assert status == 200 and len(body["listserviceofferingsresponse"]["serviceoffering"]) == 8


def test_unknown_command_missing_parameter_and_malformed_map(native_user: NativeUser) -> None:
    status, body = _json(native_user, command="listUnicorns")
    assert status == 432 and body["errorresponse"]["errorcode"] == 432
    assert body["errorresponse"]["errortext"] == "Unknown API command: listUnicorns"
    status, body = _json(native_user, command="createSecurityGroup")
    assert status == 431
    assert "missing parameter name" in body["createsecuritygroupresponse"]["errortext"]
    status, body = _json(native_user, command="listVolumes", **{"tags[x].key": "a"})
    assert status == 430 and body["listvolumesresponse"]["errorcode"] == 430
    status, body = _json(native_user, command="listVirtualMachines", id="not-a-uuid")
    assert status == 431 and "Invalid parameter id value=not-a-uuid" in str(body)
    status, body = _json(native_user, command="createSecurityGroup", name="tab\there")
    assert status == 431 and "control characters" in str(body)


def test_parameter_names_are_case_insensitive(native_user: NativeUser) -> None:
    status, body = _json(native_user, command="createSecurityGroup", NAME="Shouting")
    assert status == 200
    assert body["createsecuritygroupresponse"]["securitygroup"]["name"] == "Shouting"


def test_signature_refusals(native_user: NativeUser) -> None:
    good = signed({"command": "listZones", "response": "json"}, native_user.key, native_user.secret)
    assert httpx.get(native_user.endpoint, params=good).status_code == 200
    for tampered in (
        {**good, "command": "listzones"[:-1] + "S"},  # case is not protected by CloudStack
        {**good, "extra": "1"},
        {
            **good,
            "signature": ("B" if good["signature"][0] == "A" else "A") + good["signature"][1:],
        },
        {**good, "apiKey": "CGNOSUCHKEY000000000"},
    ):
        response = httpx.get(native_user.endpoint, params=tampered)
        if tampered["command"] == "listzoneS":
            assert response.status_code == 200
            continue
        assert response.status_code == 401
        assert response.json()["listzonesresponse"]["errortext"] == (
            "unable to verify user credentials and/or request signature"
        )
    unsigned = {"command": "listZones", "response": "json", "apiKey": native_user.key}
    assert httpx.get(native_user.endpoint, params=unsigned).status_code == 401


def test_signature_version_3_expiry(native_user: NativeUser) -> None:
    def call(expires: dt.datetime, pattern: str) -> int:
        params = {
            "command": "listZones",
            "response": "json",
            "signatureVersion": "3",
            "expires": expires.strftime(pattern),
        }
        return httpx.get(
            native_user.endpoint, params=signed(params, native_user.key, native_user.secret)
        ).status_code

    now = dt.datetime.now(dt.UTC)
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S+00:00", "%Y-%m-%dT%H:%M:%SZ"):
        assert call(now + dt.timedelta(minutes=10), pattern) == 200
        assert call(now - dt.timedelta(minutes=1), pattern) == 401
    params = {"command": "listZones", "signatureVersion": "3"}
    response = httpx.get(
        native_user.endpoint, params=signed(params, native_user.key, native_user.secret)
    )
    assert response.status_code == 401


def test_get_and_post_parameters_are_merged(native_user: NativeUser) -> None:
    params = signed(
        {"command": "createSecurityGroup", "name": "mixed", "description": "half in the body"},
        native_user.key,
        native_user.secret,
    )
    body = {"description": params.pop("description"), "response": "json"}
    response = httpx.post(native_user.endpoint, params=params, data=body)
    assert response.status_code == 401  # response=json was not signed
    params = signed(
        {"command": "createSecurityGroup", "name": "mixed", "response": "json", "description": "x"},
        native_user.key,
        native_user.secret,
    )
    response = httpx.post(
        native_user.endpoint, params=params, data={"description": params.pop("description")}
    )
    assert response.status_code == 200
    assert response.json()["createsecuritygroupresponse"]["securitygroup"]["description"] == "x"


def test_login_session_by_parameter_with_or_without_the_cookie(
    base_url: str, services: Services
) -> None:
    created = services.identity.create_account("carol", password="s3cret-word")
    endpoint = f"{base_url}/client/api"
    with httpx.Client() as client:
        refused = client.post(
            endpoint, data={"command": "login", "username": "carol", "password": "nope"}
        )
        assert refused.status_code == 531
        login = client.post(
            endpoint,
            data={
                "command": "login",
                "username": "carol",
                "password": "s3cret-word",
                "domain": "/",
                "response": "json",
            },
        )
        assert login.status_code == 200
        answer = login.json()["loginresponse"]
        assert answer["account"] == "carol" and answer["type"] == "0"
        key = answer["sessionkey"]
        assert client.cookies["sessionkey"] == key
        with_cookie = client.get(
            endpoint, params={"command": "listZones", "response": "json", "sessionkey": key}
        )
        assert with_cookie.status_code == 200
    by_param = httpx.get(
        endpoint, params={"command": "listZones", "response": "json", "sessionkey": key}
    )
    assert by_param.status_code == 200
    mismatch = httpx.get(
        endpoint,
        params={"command": "listZones", "response": "json", "sessionkey": key},
        cookies={"sessionkey": "other"},
    )
    assert mismatch.status_code == 401
    out = httpx.get(endpoint, params={"command": "logout", "response": "json", "sessionkey": key})
    assert out.json() == {"logoutresponse": {"description": "success"}}
    again = httpx.get(endpoint, params={"command": "listZones", "sessionkey": key})
    assert again.status_code == 401
    assert created.account.name == "carol"


def test_admin_commands_are_refused_to_users(native_user: NativeUser) -> None:
    status, body = _json(native_user, command="listHosts")
    assert status == 401
    assert "not available for user" in body["listhostsresponse"]["errortext"]


def test_other_accounts_resources_are_not_found(
    native_user: NativeUser, services: Services, image: ImageView
) -> None:
    other = services.identity.create_account("mallory")
    other_user = NativeUser(native_user.endpoint, other)
    status, body = _json(other_user, command="createSecurityGroup", name="private")
    group = body["createsecuritygroupresponse"]["securitygroup"]
    status, body = _json(native_user, command="deleteSecurityGroup", id=group["id"])
    assert status == 431 and body["deletesecuritygroupresponse"]["cserrorcode"] == 4350
    status, body = _json(native_user, command="listSecurityGroups", id=group["id"])
    assert (status, body) == (200, {"listsecuritygroupsresponse": {}})


def test_refused_deploy_leaves_nothing(
    native_user: NativeUser, services: Services, image: ImageView
) -> None:
    status, body = _json(native_user, command="listZones")
    zone = body["listzonesresponse"]["zone"][0]["id"]
    status, body = _json(native_user, command="listServiceOfferings", name="t1.micro")
    offering = body["listserviceofferingsresponse"]["serviceoffering"][0]["id"]
    before = row_counts(services)
    for bad in (
        {"templateid": "00000000-0000-0000-0000-000000000000"},
        {"templateid": str(image.id), "userdata": "not base64!"},
        {"templateid": str(image.id), "keypair": "missing"},
        {"templateid": str(image.id), "securitygroupnames": "nope"},
        {"templateid": str(image.id), "securitygroupnames": "a", "securitygroupids": "b"},
    ):
        status, body = _json(
            native_user,
            command="deployVirtualMachine",
            zoneid=zone,
            serviceofferingid=offering,
            **bad,
        )
        assert status == 431, body
        assert body["deployvirtualmachineresponse"]["cserrorcode"] == 4350
    assert row_counts(services) == before


def test_list_apis_satisfies_cloudmonkey(native_user: NativeUser) -> None:
    """CloudMonkey's ``sync`` type-asserts these fields and panics on a missing one."""
    status, body = _json(native_user, command="listApis", listall="true")
    assert status == 200
    apis = body["listapisresponse"]["api"]
    assert body["listapisresponse"]["count"] == len(apis)
    names = {api["name"] for api in apis}
    assert {"deployVirtualMachine", "login", "queryAsyncJobResult", "listApis"} <= names
    assert "createAccount" not in names  # admin only
    for api in apis:
        assert isinstance(api["name"], str) and isinstance(api["description"], str)
        assert isinstance(api["isasync"], bool)
        assert isinstance(api["params"], list) and isinstance(api["response"], list)
        for param in api["params"]:
            assert isinstance(param["name"], str) and isinstance(param["type"], str)
            assert isinstance(param["required"], bool) and isinstance(param["description"], str)
            assert isinstance(param["length"], int) and isinstance(param["related"], str)
    deploy = next(api for api in apis if api["name"] == "deployVirtualMachine")
    assert deploy["isasync"] is True
    required = {p["name"] for p in deploy["params"] if p["required"]}
    assert required == {"serviceofferingid", "templateid", "zoneid"}
