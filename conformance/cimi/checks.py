"""Checks the tests share: error answers, the common attributes, collections in JSON and XML."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final

import httpx

from conformance.cimi.client import (
    JSON,
    NAMESPACE,
    XML,
    describe,
    media_type,
    member_type,
    members,
    qualified,
    type_uri,
)

VERSION_HEADER: Final = "CIMI-Specification-Version"
# Machine states of DSP0263 (§1.7), 1.x and 2.0 together.
MACHINE_STATES: Final = frozenset(
    {
        "CREATING",
        "STARTING",
        "STARTED",
        "STOPPING",
        "STOPPED",
        "PAUSING",
        "PAUSED",
        "SUSPENDING",
        "SUSPENDED",
        "CAPTURING",
        "RESTORING",
        "DELETING",
        "ERROR",
        "FAILED",
    }
)
JOB_STATES: Final = frozenset({"QUEUED", "RUNNING", "FAILED", "SUCCESS", "STOPPING", "STOPPED"})


def assert_error(response: httpx.Response, statuses: Collection[int]) -> None:
    """A refusal: one of ``statuses`` (never a 5xx) with a body that says what went wrong. A
    body that is a CIMI Job (DSP0263 4.2.2 wants one) must say FAILED with the status as its
    returnCode."""
    assert response.status_code < 500, f"server error: {describe(response)}"
    assert response.status_code in statuses, f"expected {sorted(statuses)}: {describe(response)}"
    assert response.content.strip(), f"empty body: {describe(response)}"
    job = _error_job(response)
    if job is not None:
        assert job.get("state") == "FAILED", f"an error's Job is not FAILED: {describe(response)}"
        code = job.get("returnCode")
        assert code in (None, response.status_code), f"returnCode ≠ status: {describe(response)}"


def _error_job(response: httpx.Response) -> dict[str, Any] | None:
    """An error body read as a Job if it is one (as a dict of its JSON or XML children)."""
    if media_type(response) == JSON:
        body = json.loads(response.content)
        if isinstance(body, dict) and body.get("resourceURI") == type_uri("Job"):
            return body
    elif media_type(response) == XML:
        root = ET.fromstring(response.content)
        if root.tag == qualified("Job"):
            return {
                "state": text_of(root, "state"),
                "returnCode": int(text_of(root, "returnCode") or response.status_code),
            }
    return None


def assert_version_header(response: httpx.Response) -> None:
    """CIMI 1.x names the version it answers in (spec notes §1.2)."""
    version = response.headers.get(VERSION_HEADER, "")
    assert version.startswith("1."), f"{VERSION_HEADER} is {version!r}: {describe(response)}"


def assert_datetime(value: object, what: str) -> dt.datetime:
    """An XML Schema dateTime with its offset (§1.5)."""
    assert isinstance(value, str), f"{what}: {value!r} is not a dateTime"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise AssertionError(f"{what}: {value!r} is not a dateTime") from None
    assert moment.tzinfo is not None, f"{what}: {value!r} has no offset"
    return moment


def assert_common(resource: Mapping[str, Any], type_name: str, base_uri: str) -> None:
    """``resourceURI`` of the type, an absolute ``id`` under ``baseURI`` and ``created``."""
    where = str(resource.get("id"))
    assert resource.get("resourceURI") == type_uri(type_name), f"{where}: {resource}"
    assert isinstance(resource.get("id"), str), f"no id: {resource}"
    assert where.startswith(base_uri), f"id {where} is not under baseURI {base_uri}"
    assert_datetime(resource.get("created"), f"{where} created")


def text_of(element: ET.Element, tag: str) -> str | None:
    child = element.find(qualified(tag))
    return None if child is None else (child.text or "").strip()


def xml_hrefs(root: ET.Element) -> dict[str, str]:
    """The children that are references (``<machines href="…"/>``): local name → href."""
    return {
        child.tag.removeprefix(f"{{{NAMESPACE}}}"): str(child.get("href"))
        for child in root
        if child.get("href") is not None and child.tag != qualified("operation")
    }


def assert_json_collection(collection: Mapping[str, Any], href: str, base_uri: str) -> None:
    """A collection read in JSON: its own ``id``, a ``count`` that is its number of members
    (no paging asked for), and members that carry the common attributes."""
    assert collection.get("id") == href, f"collection id {collection.get('id')} read at {href}"
    found = members(collection)
    assert collection.get("count") == len(found), (
        f"{href}: count {collection.get('count')} but {len(found)} members"
    )
    kind = member_type(collection)
    for member in found:
        assert_common(member, kind, base_uri)
    others = [k for k, v in collection.items() if isinstance(v, list) and k != "operations"]
    assert len(others) <= 1, f"{href}: several member arrays {others}"


def assert_xml_collection(root: ET.Element, href: str, type_name: str) -> list[str]:
    """A collection read in XML (DSP8009): ``<Collection resourceURI="…Collection">`` with its
    ``id``, ``count`` and one element per member, named by the type; returns the members' ids."""
    assert root.tag == qualified("Collection"), f"{href}: root {root.tag}"
    assert root.get("resourceURI") == type_uri(type_name + "Collection"), root.attrib
    assert text_of(root, "id") == href, f"{href}: id {text_of(root, 'id')}"
    found = root.findall(qualified(type_name))
    assert text_of(root, "count") == str(len(found)), f"{href}: count vs {len(found)} members"
    ids = [text_of(member, "id") for member in found]
    assert all(ids), f"{href}: a member without id"
    return [str(i) for i in ids]


def assert_xml_resource(root: ET.Element, type_name: str, resource_id: str) -> None:
    """A resource read in XML: the type as root element in the CIMI namespace, its ``id``,
    and ``created`` as a dateTime; DSP8009 puts no resourceURI on a resource's root."""
    assert root.tag == qualified(type_name), f"{resource_id}: root {root.tag}"
    assert text_of(root, "id") == resource_id, f"{resource_id}: id {text_of(root, 'id')}"
    assert root.get("resourceURI") is None, f"{resource_id}: resourceURI on a resource root"
    assert_datetime(text_of(root, "created"), f"{resource_id} created")


def all_hold(checks: Iterable[tuple[str, Callable[[], object]]]) -> None:
    """Runs every check and fails once with all the failures, so one bad collection does not
    hide the next."""
    failures = []
    for name, check in checks:
        try:
            check()
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)
