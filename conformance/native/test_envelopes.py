"""Response envelopes (spec §1.5): one ``<command>response`` key; lists with ``count`` and the
item key, ``{}`` when empty; single objects under their name; UUID ids; CloudStack dates."""

from __future__ import annotations

import pytest

from conformance.native.checks import UUID, assert_ids_and_dates, response_name
from conformance.native.client import NativeClient, Resources


@pytest.mark.parametrize(
    ("command", "item"),
    [
        pytest.param("listZones", "zone", id="zones"),
        pytest.param("listServiceOfferings", "serviceoffering", id="service-offerings"),
        pytest.param("listDiskOfferings", "diskoffering", id="disk-offerings"),
    ],
)
def test_list_reply_has_count_and_item_key(client: NativeClient, command: str, item: str) -> None:
    reply = client.call(command)
    assert (reply.status, reply.name) == (200, response_name(command))
    body = reply.body
    assert set(body) == {"count", item}, f"expected count and {item}: {sorted(body)}"
    assert type(body["count"]) is int and body["count"] == len(body[item]) > 0
    assert all(UUID.fullmatch(row["id"]) for row in body[item])


@pytest.mark.parametrize(
    ("command", "field"),
    [
        pytest.param("listSSHKeyPairs", "name", id="ssh-key-pairs"),
        pytest.param("listSecurityGroups", "securitygroupname", id="security-groups"),
        pytest.param("listTags", "key", id="tags"),
    ],
)
def test_empty_list_is_an_empty_object(
    client: NativeClient, unique: str, command: str, field: str
) -> None:
    """No ``count`` (it is omitted at 0), no item key: ``{"<command>response": {}}``."""
    reply = client.call(command, {field: unique})
    assert (reply.status, reply.name, reply.body) == (200, response_name(command), {})


def test_count_is_the_total_match_not_the_page(client: NativeClient) -> None:
    everything = client.ok("listServiceOfferings")
    first = client.ok("listServiceOfferings", {"page": "1", "pagesize": "1"})
    assert first["count"] == everything["count"]
    assert len(first["serviceoffering"]) == 1


def test_single_object_reply(client: NativeClient, resources: Resources, unique: str) -> None:
    reply = client.call("createSecurityGroup", {"name": unique, "description": "one object"})
    assert (reply.status, reply.name) == (200, "createsecuritygroupresponse")
    assert list(reply.body) == ["securitygroup"]
    group = reply.body["securitygroup"]
    resources.track("securitygroup", group["id"])
    assert (group["name"], group["description"]) == (unique, "one object")
    assert UUID.fullmatch(group["id"])


def test_success_only_reply(client: NativeClient, resources: Resources, unique: str) -> None:
    group = resources.security_group(unique)
    reply = client.call("deleteSecurityGroup", {"id": group["id"]})
    assert (reply.status, reply.name) == (200, "deletesecuritygroupresponse")
    assert reply.body.get("success") in ("true", True), reply.body


def test_ids_are_uuid_strings_and_dates_cloudstack_format(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    """``yyyy-MM-dd'T'HH:mm:ssZ`` dates, ids as UUID strings (CloudMonkey panics on numbers)."""
    group = resources.security_group(unique)
    submitted = client.ok(
        "authorizeSecurityGroupIngress",
        {
            "securitygroupid": group["id"],
            "protocol": "tcp",
            "startport": "22",
            "endport": "22",
            "cidrlist": "192.0.2.0/24",
        },
    )
    job = client.wait(submitted["jobid"])
    volume = resources.volume(unique)
    checked = sum(
        assert_ids_and_dates(document)
        for document in (
            submitted,
            job,
            volume,
            client.ok("listSecurityGroups", {"id": group["id"]}),
            client.ok("listZones"),
            client.ok("listAsyncJobs"),
        )
    )
    assert checked > 10
    assert "created" in job and "created" in volume
