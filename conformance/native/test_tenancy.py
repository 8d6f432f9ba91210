"""Accounts are walled off (DESIGN rule 7): a second account neither sees nor changes the
first one's resources. Needs ``--native-api-key-2``/``--native-secret-key-2``."""

from __future__ import annotations

from conformance.native.checks import error_text
from conformance.native.client import NativeClient, Resources


def test_another_account_cannot_see_the_group(
    client: NativeClient, other_client: NativeClient, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)
    everything = other_client.items("listSecurityGroups", "securitygroup")
    assert group["id"] not in {g["id"] for g in everything}
    by_name = other_client.call("listSecurityGroups", {"securitygroupname": unique})
    assert (by_name.status, by_name.body) == (200, {})
    by_id = other_client.call("listSecurityGroups", {"id": group["id"]})
    if by_id.status == 200:
        assert by_id.body == {}, f"another account's group is listed: {by_id.body}"
    else:
        error_text(by_id, by_id.status, "listsecuritygroupsresponse")


def test_another_account_cannot_delete_the_group(
    client: NativeClient, other_client: NativeClient, resources: Resources, unique: str
) -> None:
    """Refused as not found (431) or, as CloudStack's checkAccess does, as a permission error
    (531); either way the group survives."""
    group = resources.security_group(unique)
    reply = other_client.call("deleteSecurityGroup", {"id": group["id"]})
    error_text(reply, reply.status, "deletesecuritygroupresponse")
    assert reply.status in (431, 531), reply.body
    assert client.items("listSecurityGroups", "securitygroup", {"id": group["id"]})


def test_another_account_cannot_read_the_job(
    client: NativeClient, other_client: NativeClient, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)
    job_id = client.ok(
        "authorizeSecurityGroupIngress",
        {
            "securitygroupid": group["id"],
            "protocol": "tcp",
            "startport": "22",
            "endport": "22",
            "cidrlist": "192.0.2.0/24",
        },
    )["jobid"]
    client.wait(job_id)
    reply = other_client.call("queryAsyncJobResult", {"jobid": job_id})
    error_text(reply, reply.status, "queryasyncjobresultresponse")
    assert reply.status in (431, 531), reply.body
    assert job_id not in {j["jobid"] for j in other_client.items("listAsyncJobs", "asyncjobs")}
