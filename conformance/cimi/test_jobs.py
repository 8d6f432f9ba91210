"""Jobs (spec notes §1.7, §1.11): where the CloudEntryPoint lists jobs, every create and action
answers with ``CIMI-Job-URI``; that Job reads in JSON and XML, names its target and action,
reaches SUCCESS with progress 100, and the jobs collection lists it."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
import pytest

from conformance.cimi.checks import JOB_STATES, assert_common, assert_xml_resource
from conformance.cimi.client import (
    CREATED,
    CimiClient,
    Document,
    EntryPoint,
    Resources,
    Target,
    describe,
    machine_create_json,
    members,
)


@pytest.fixture
def jobs(resources: Resources) -> str:
    return resources.collection("jobs")


def _create_machine(client: CimiClient, resources: Resources, name: str) -> httpx.Response:
    config, image = resources.machine_refs()
    add = resources.add_href(resources.collection("machines"))
    response = client.post_json(add, machine_create_json(name, config, image))
    if response.status_code in CREATED and "location" in response.headers:
        resources.track(urljoin(str(response.url), response.headers["location"]))
    assert response.status_code in CREATED, describe(response)
    return response


def _job_of(client: CimiClient, response: httpx.Response, target: Target) -> Document:
    job_uri = response.headers.get("cimi-job-uri")
    assert job_uri, f"Jobs are listed, yet no CIMI-Job-URI: {describe(response)}"
    return client.poll(job_uri, lambda j: j.get("state") in ("SUCCESS", "FAILED"), target.timeout)


def test_create_names_its_job(
    client: CimiClient,
    entry: EntryPoint,
    resources: Resources,
    target: Target,
    jobs: str,
    unique: str,
) -> None:
    response = _create_machine(client, resources, unique)
    job = _job_of(client, response, target)
    assert_common(job, "Job", entry.base_uri)
    assert job["state"] == "SUCCESS" and job.get("progress") == 100, job
    assert job.get("state") in JOB_STATES
    assert job.get("action"), f"a Job names its action: {job}"
    machine = urljoin(str(response.url), response.headers["location"])
    named = [job.get("targetResource", {}).get("href")]
    named += [r.get("href") for r in job.get("affectedResources", [])]
    assert machine in named, f"the Job does not name {machine}: {job}"
    assert_xml_resource(client.read_xml(job["id"]), "Job", job["id"])


def test_jobs_collection_lists_the_job(
    client: CimiClient, resources: Resources, target: Target, jobs: str, unique: str
) -> None:
    job = _job_of(client, _create_machine(client, resources, unique), target)
    assert job["id"] in [j["id"] for j in members(client.read(jobs))]


def test_action_names_its_job(
    client: CimiClient, resources: Resources, target: Target, jobs: str, unique: str
) -> None:
    machine = resources.started_machine(unique)
    response = client.act(machine, "stop")
    assert response.status_code in (200, 202, 204), describe(response)
    job = _job_of(client, response, target)
    assert job["state"] == "SUCCESS", job
    assert job.get("targetResource", {}).get("href") == machine["id"], job
