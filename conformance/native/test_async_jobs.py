"""Async commands and ``queryAsyncJobResult`` (spec §1.7): a job id at once, then ``jobstatus``
0 → 1 with ``jobresult`` (success) or 2 with ``jobresult.errorcode/errortext`` (failure), always
with HTTP 200; ``listAsyncJobs`` shows the caller's jobs."""

from __future__ import annotations

from typing import Any

from conformance.native.checks import UUID, error_text
from conformance.native.client import JOB_FAILED, JOB_SUCCEEDED, NativeClient, Resources


def _ssh_from(cidr: str, group: dict[str, Any]) -> dict[str, str]:
    return {
        "securitygroupid": group["id"],
        "protocol": "tcp",
        "startport": "22",
        "endport": "22",
        "cidrlist": cidr,
    }


def test_async_command_returns_a_job_that_succeeds(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)
    reply = client.call("authorizeSecurityGroupIngress", _ssh_from("198.51.100.0/24", group))
    assert (reply.status, reply.name) == (200, "authorizesecuritygroupingressresponse")
    job_id = reply.body["jobid"]
    assert isinstance(job_id, str) and UUID.fullmatch(job_id), "CloudMonkey needs a string"
    job = client.wait(job_id)
    assert job["jobid"] == job_id
    assert type(job["jobstatus"]) is int and job["jobstatus"] == JOB_SUCCEEDED
    assert (job["jobresultcode"], job["jobresulttype"]) == (0, "object")
    rules = job["jobresult"]["securitygroup"]["ingressrule"]
    assert [(r["protocol"], r["startport"], r["endport"], r["cidr"]) for r in rules] == [
        ("tcp", 22, 22, "198.51.100.0/24")
    ]
    [listed] = client.items("listSecurityGroups", "securitygroup", {"id": group["id"]})
    assert rules[0]["ruleid"] in {rule["ruleid"] for rule in listed["ingressrule"]}


def test_query_async_job_result_envelope(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)
    job_id = client.ok("authorizeSecurityGroupIngress", _ssh_from("198.51.100.0/24", group))[
        "jobid"
    ]
    client.wait(job_id)
    reply = client.call("queryAsyncJobResult", {"jobid": job_id})
    assert (reply.status, reply.name) == (200, "queryasyncjobresultresponse")
    assert {"jobid", "jobstatus", "jobresultcode", "jobresulttype", "jobresult"} <= set(reply.body)


def test_a_failing_job_reports_jobstatus_2(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    """Detaching a volume that is attached to nothing fails inside the job (CloudStack checks it
    in the command's execute()), and the query still answers HTTP 200."""
    volume = resources.volume(unique)
    submitted = client.ok("detachVolume", {"id": volume["id"]})
    job = client.wait(submitted["jobid"])
    assert type(job["jobstatus"]) is int and job["jobstatus"] == JOB_FAILED, job
    result = job["jobresult"]
    assert type(result["errorcode"]) is int and result["errorcode"] >= 400
    assert job["jobresultcode"] == result["errorcode"]
    assert isinstance(result["errortext"], str) and result["errortext"]
    assert job["jobresulttype"] == "object"


def test_create_tags_job_answers_success(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)
    job = client.run(
        "createTags",
        {
            "resourceids": group["id"],
            "resourcetype": "SecurityGroup",
            "tags[0].key": unique,
            "tags[0].value": "v",
        },
    )
    assert job["jobresult"] == {"success": True}  # a boolean inside jobresult (spec §1.5)


def test_list_async_jobs_lists_the_job(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    group = resources.security_group(unique)
    job_id = client.ok("authorizeSecurityGroupIngress", _ssh_from("203.0.113.0/24", group))["jobid"]
    client.wait(job_id)
    body = client.ok("listAsyncJobs")
    jobs = {job["jobid"]: job for job in body["asyncjobs"]}
    assert job_id in jobs, f"{job_id} not among {len(jobs)} jobs"
    assert body["count"] >= len(jobs)
    assert jobs[job_id]["jobstatus"] == JOB_SUCCEEDED


def test_authorizing_a_rule_twice_keeps_one_rule(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    """The spec leaves open whether the second authorize is refused synchronously or by a failed
    job (CloudStack fails the job); either way it is an error and the rule exists once."""
    group = resources.security_group(unique)
    rule = _ssh_from("198.51.100.0/24", group)
    client.run("authorizeSecurityGroupIngress", rule)
    again = client.call("authorizeSecurityGroupIngress", rule)
    if again.status == 200:
        job = client.wait(again.body["jobid"])
        assert job["jobstatus"] == JOB_FAILED, f"duplicate rule accepted: {job}"
        assert job["jobresultcode"] == job["jobresult"]["errorcode"] >= 400
    else:
        error_text(again, again.status, "authorizesecuritygroupingressresponse")
    [listed] = client.items("listSecurityGroups", "securitygroup", {"id": group["id"]})
    cidrs = [r["cidr"] for r in listed["ingressrule"] if r.get("startport") == 22]
    assert cidrs == ["198.51.100.0/24"]
