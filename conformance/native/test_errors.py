"""Error replies (spec §1.6): the HTTP status is the ``errorcode``; 432 for an unknown command
(in ``errorresponse``), 431 for bad or missing parameters and unknown ids, 430 for a malformed
``name[i].field`` map parameter."""

from __future__ import annotations

import uuid

import pytest

from conformance.native.checks import error_text
from conformance.native.client import NativeClient, Resources, read_json, sign

NOWHERE = str(uuid.UUID(int=0x5EED_0000_4000_8000_0000_C0FFEE))


def test_unknown_command_is_432_in_errorresponse(client: NativeClient) -> None:
    text = error_text(client.call("listUnicorns"), 432, "errorresponse")
    assert "listUnicorns" in text


def test_no_command_is_an_error_in_errorresponse(client: NativeClient) -> None:
    reply = read_json(client.get(sign({"response": "json"}, client.keys)))
    assert reply.status >= 400
    error_text(reply, reply.status, "errorresponse")


def test_missing_required_parameter_is_431(client: NativeClient) -> None:
    text = error_text(client.call("createSecurityGroup"), 431, "createsecuritygroupresponse")
    assert "name" in text


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("tags[x].key", id="index-not-a-number"),
        pytest.param("tags[0]key", id="no-dot-after-bracket"),
        pytest.param("tags[0.key", id="unclosed-bracket"),
        pytest.param("tags[0][1].key", id="two-brackets"),
    ],
)
def test_malformed_map_parameter_is_430(client: NativeClient, name: str) -> None:
    """ParamUnpackWorker's MALFORMED_PARAMETER_ERROR (spec §1.1)."""
    reply = client.call("listSecurityGroups", {name: "a"})
    error_text(reply, 430, "listsecuritygroupsresponse")


@pytest.mark.parametrize(
    ("command", "params"),
    [
        pytest.param("deleteSecurityGroup", {"id": NOWHERE}, id="deleteSecurityGroup"),
        pytest.param("queryAsyncJobResult", {"jobid": NOWHERE}, id="queryAsyncJobResult"),
        pytest.param("detachVolume", {"id": NOWHERE}, id="detachVolume-async"),
        pytest.param("deleteVolume", {"id": NOWHERE}, id="deleteVolume"),
        pytest.param(
            "authorizeSecurityGroupIngress",
            {
                "securitygroupid": NOWHERE,
                "protocol": "tcp",
                "startport": "22",
                "endport": "22",
                "cidrlist": "192.0.2.0/24",
            },
            id="authorizeSecurityGroupIngress-async",
        ),
    ],
)
def test_an_id_that_does_not_exist_is_431(
    client: NativeClient, command: str, params: dict[str, str]
) -> None:
    """Also for async commands: the id is checked before a job is queued."""
    error_text(client.call(command, params), 431, f"{command.lower()}response")


@pytest.mark.parametrize(
    ("command", "params"),
    [
        pytest.param("deleteSecurityGroup", {"id": "not-a-uuid"}, id="uuid"),
        pytest.param("listSecurityGroups", {"page": "1", "pagesize": "1.5"}, id="integer"),
    ],
)
def test_a_value_of_the_wrong_type_is_431(
    client: NativeClient, command: str, params: dict[str, str]
) -> None:
    error_text(client.call(command, params), 431, f"{command.lower()}response")


def test_an_error_leaves_nothing_behind(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    """A refused create creates nothing: the same name is free afterwards."""
    first = resources.security_group(unique)
    duplicate = client.call("createSecurityGroup", {"name": unique})
    assert duplicate.status != 200
    error_text(duplicate, duplicate.status, "createsecuritygroupresponse")
    listed = client.items("listSecurityGroups", "securitygroup", {"securitygroupname": unique})
    assert [group["id"] for group in listed] == [first["id"]]
