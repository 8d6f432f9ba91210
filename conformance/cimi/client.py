"""A deliberately small CIMI 1.x client for the conformance suite.

It is written from DSP0263 and DSP8009 as the project's spec notes describe them
(``specs/cimi.md`` §1.3-1.11), not from any server's code. It knows one URI, the
CloudEntryPoint, and nothing else: collections come from the CEP's hrefs, what can be done to a
resource from its ``operations``, new resources from ``Location``; it never builds a URI. JSON is
read as dicts, XML with the standard library's ElementTree (only the suite's own structural
checks need it); with ``--cimi-xsd`` every XML answer is also validated against DMTF's schema.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest

NAMESPACE: Final = "http://schemas.dmtf.org/cimi/1"
ACTION_PREFIX: Final = f"{NAMESPACE}/action/"
JSON: Final = "application/json"
XML: Final = "application/xml"
USER_AGENT: Final = "cimi-conformance/1.0"
POLL_INTERVAL: Final = 0.5
# What a delete may answer: done (200, 204) or accepted and carried out by a Job (202).
DELETED: Final = frozenset({200, 202, 204})
# What a create may answer (§1.11): done (201) or accepted and carried out by a Job (202).
CREATED: Final = frozenset({201, 202})
JOB_FINISHED: Final = frozenset({"SUCCESS", "FAILED", "STOPPED"})

Document = dict[str, Any]
# Query parameters; a list repeats a name (two ``$filter`` are ANDed, §1.10).
Params = Mapping[str, str] | list[tuple[str, str]]


def type_uri(name: str) -> str:
    """``Machine`` → ``http://schemas.dmtf.org/cimi/1/Machine`` (§1.4)."""
    return f"{NAMESPACE}/{name}"


def qualified(tag: str) -> str:
    """An element name in the CIMI namespace, as ElementTree spells it."""
    return f"{{{NAMESPACE}}}{tag}"


def media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower()


def describe(response: httpx.Response) -> str:
    """An answer in a few lines, for assertion messages."""
    request = response.request
    return (
        f"{request.method} {request.url} -> HTTP {response.status_code} "
        f"{response.headers.get('content-type', '')!r}: {response.text[:600]!r}"
    )


@dataclass(frozen=True, slots=True)
class Credentials:
    """HTTP Basic: an account's username and password."""

    username: str
    password: str


@dataclass(frozen=True, slots=True)
class Target:
    """The endpoint and accounts the suite was pointed at."""

    cep: str
    credentials: Credentials | None
    other: Credentials | None
    timeout: float
    xsd: Path | None


class XsdValidator:
    """DSP8009 loaded once with lxml (imported only when ``--cimi-xsd`` is given, so the suite
    needs nothing beyond httpx otherwise); an httpx response hook that fails every request
    whose XML answer the schema refuses."""

    def __init__(self, path: Path) -> None:
        from lxml import etree

        self._etree = etree
        self._schema = etree.XMLSchema(etree.parse(str(path)))

    def __call__(self, response: httpx.Response) -> None:
        if media_type(response) != XML:
            return
        response.read()
        parser = self._etree.XMLParser(resolve_entities=False, no_network=True)
        document = self._etree.fromstring(response.content, parser)
        if not self._schema.validate(document):
            errors = str(self._schema.error_log)[:2000]
            raise AssertionError(f"{describe(response)} fails DSP8009: {errors}")


def query_params(params: Params) -> httpx.QueryParams:
    pairs = params.items() if isinstance(params, Mapping) else params
    query = httpx.QueryParams()
    for name, value in pairs:
        query = query.add(name, value)
    return query


def parse_xml(response: httpx.Response) -> ET.Element:
    assert media_type(response) == XML, f"not {XML}: {describe(response)}"
    try:
        return ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise AssertionError(f"not well-formed XML ({exc}): {describe(response)}") from None


def parse_json(response: httpx.Response) -> Document:
    assert media_type(response) == JSON, f"not {JSON}: {describe(response)}"
    try:
        document = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"not JSON ({exc}): {describe(response)}") from None
    assert isinstance(document, dict), f"not a JSON object: {describe(response)}"
    return document


def operation(resource: Mapping[str, Any], rel: str) -> str | None:
    """The href of the operation ``rel`` (``delete``, ``add`` or a short action name such as
    ``stop`` for ``…/action/stop``) that ``resource`` offers now, or None."""
    wanted = {rel, ACTION_PREFIX + rel}
    for offered in resource.get("operations", []):
        if offered.get("rel") in wanted and offered.get("href"):
            return str(offered["href"])
    return None


def rels(resource: Mapping[str, Any]) -> set[str]:
    """The operations ``resource`` offers, actions by their short names (``stop``)."""
    return {
        str(o.get("rel", "")).removeprefix(ACTION_PREFIX) for o in resource.get("operations", [])
    }


def items_name(type_name: str) -> str:
    """The JSON array of a collection's members: the type, first letter lowered, in the
    plural (``MachineConfiguration`` → ``machineConfigurations``, ``Address`` →
    ``addresses``, ``ResourceMetadata`` stays as it is)."""
    name = type_name[0].lower() + type_name[1:]
    if name.endswith("Metadata"):
        return name
    return name + ("es" if name.endswith("s") else "s")


def member_type(collection: Mapping[str, Any]) -> str:
    """``…/MachineCollection`` → ``Machine``."""
    uri = str(collection.get("resourceURI", ""))
    assert uri.startswith(NAMESPACE + "/") and uri.endswith("Collection"), (
        f"not a CIMI collection's resourceURI: {uri!r}"
    )
    return uri.removeprefix(NAMESPACE + "/").removesuffix("Collection")


def members(collection: Mapping[str, Any]) -> list[Document]:
    """A JSON collection's members (absent when empty: §1.5 omits empty arrays)."""
    found = collection.get(items_name(member_type(collection)), [])
    assert isinstance(found, list), f"members are not an array: {collection}"
    return found


class CimiClient:
    """Requests as one account (or none); answers are returned as they came."""

    def __init__(self, http: httpx.Client, credentials: Credentials | None) -> None:
        self.http = http
        self.auth = (
            httpx.BasicAuth(credentials.username, credentials.password) if credentials else None
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        accept: str = JSON,
        content_type: str | None = None,
        body: str = "",
        params: Params | None = None,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        headers = {"User-Agent": USER_AGENT, "Accept": accept}
        if content_type is not None:
            headers["Content-Type"] = content_type
        used = auth or self.auth
        return self.http.request(
            method,
            url,
            headers=headers,
            content=body.encode(),
            params=query_params(params or {}),
            auth=used if used is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def get(self, url: str, *, accept: str = JSON, params: Params | None = None) -> httpx.Response:
        return self.request("GET", url, accept=accept, params=params)

    def read(self, url: str, params: Params | None = None) -> Document:
        """GET in JSON; it must be there."""
        response = self.get(url, params=params)
        assert response.status_code == 200, describe(response)
        return parse_json(response)

    def read_xml(self, url: str, params: Params | None = None) -> ET.Element:
        """GET in XML; it must be there."""
        response = self.get(url, accept=XML, params=params)
        assert response.status_code == 200, describe(response)
        return parse_xml(response)

    def post_json(self, url: str, document: Mapping[str, Any]) -> httpx.Response:
        return self.request("POST", url, content_type=JSON, body=json.dumps(document))

    def post_xml(self, url: str, document: str, *, accept: str = JSON) -> httpx.Response:
        return self.request("POST", url, accept=accept, content_type=XML, body=document)

    def act(self, resource: Mapping[str, Any], action: str) -> httpx.Response:
        """POSTs an Action (§1.9) to the href of the operation ``action`` the resource offers."""
        href = operation(resource, action)
        assert href, f"{resource.get('id')} does not offer {action}: {resource.get('operations')}"
        body = {"resourceURI": type_uri("Action"), "action": ACTION_PREFIX + action}
        return self.post_json(href, body)

    def finish(self, response: httpx.Response, timeout: float) -> Document | None:
        """Waits for the Job of a 202 (``CIMI-Job-URI``) to succeed, and returns it; a
        synchronous answer has no Job to wait for (None)."""
        if response.status_code != 202:
            return None
        job_uri = response.headers.get("cimi-job-uri")
        assert job_uri, f"202 without CIMI-Job-URI: {describe(response)}"
        job = self.poll(job_uri, lambda j: j.get("state") in JOB_FINISHED, timeout)
        assert job["state"] == "SUCCESS", f"job {job_uri} ended {job}"
        return job

    def poll(self, url: str, done: Callable[[Document], bool], timeout: float) -> Document:
        """Reads ``url`` until ``done`` holds for it, for at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            document = self.read(url)
            if done(document):
                return document
            assert time.monotonic() < deadline, (
                f"{url} did not get there in {timeout:.0f}s: {document}"
            )
            time.sleep(POLL_INTERVAL)

    def wait_gone(self, url: str, timeout: float) -> httpx.Response:
        """GET ``url`` until it answers 404 (a delete may finish later); the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(url)
            if response.status_code == 404 or time.monotonic() >= deadline:
                return response
            time.sleep(POLL_INTERVAL)

    def patiently(self, send: Callable[[], httpx.Response], timeout: float) -> httpx.Response:
        """``send()`` again while it answers 409 Conflict (a resource still in a transition),
        for at most ``timeout`` s; the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            response = send()
            if response.status_code != 409 or time.monotonic() >= deadline:
                return response
            time.sleep(POLL_INTERVAL)


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """The CloudEntryPoint, read once in JSON: the only source of collection URIs."""

    document: Document

    @property
    def base_uri(self) -> str:
        return str(self.document.get("baseURI", ""))

    def collections(self) -> dict[str, str]:
        """Every collection the CEP lists: key → href."""
        return {
            key: str(value["href"])
            for key, value in self.document.items()
            if isinstance(value, dict) and isinstance(value.get("href"), str)
        }

    def find(self, key: str) -> str | None:
        return self.collections().get(key)


def element(tag: str, text: str) -> str:
    return f"<{tag}>{escape(text)}</{tag}>"


def reference(tag: str, href: str) -> str:
    return f"<{tag} href={quoteattr(href)}/>"


def xml_document(root: str, *children: str) -> str:
    """A request document in DSP8009's shape: the root in the CIMI namespace, its children
    given in the schema's order by the caller."""
    return f'<{root} xmlns="{NAMESPACE}">{"".join(children)}</{root}>'


def machine_create_json(name: str, config: str, image: str) -> Document:
    """A MachineCreate with the template by value (§1.8), asking for a started Machine: a new
    Machine's initial state is STOPPED unless the template says otherwise (§1.7)."""
    return {
        "resourceURI": type_uri("MachineCreate"),
        "name": name,
        "description": "made by the CIMI conformance suite",
        "machineTemplate": {
            "initialState": "STARTED",
            "machineConfig": {"href": config},
            "machineImage": {"href": image},
        },
    }


def machine_create_xml(name: str, config: str, image: str) -> str:
    template = (
        "<machineTemplate>"
        + element("initialState", "STARTED")
        + reference("machineConfig", config)
        + reference("machineImage", image)
        + "</machineTemplate>"
    )
    description = element("description", "made by the CIMI conformance suite")
    return xml_document("MachineCreate", element("name", name), description, template)


def volume_create_json(name: str, capacity_kb: int) -> Document:
    """A VolumeCreate with its configuration by value; capacity in kilobytes (§1.5)."""
    return {
        "resourceURI": type_uri("VolumeCreate"),
        "name": name,
        "volumeTemplate": {"volumeConfig": {"capacity": capacity_kb}},
    }


def volume_create_xml(name: str, capacity_kb: int) -> str:
    config = f"<volumeConfig>{element('capacity', str(capacity_kb))}</volumeConfig>"
    template = f"<volumeTemplate>{config}</volumeTemplate>"
    return xml_document("VolumeCreate", element("name", name), template)


def credential_create_json(name: str) -> Document:
    """A CredentialCreate with an empty template: the provider makes the key."""
    return {
        "resourceURI": type_uri("CredentialCreate"),
        "name": name,
        "credentialTemplate": {},
    }


def credential_create_xml(name: str) -> str:
    return xml_document("CredentialCreate", element("name", name), "<credentialTemplate/>")


def machine_volume_json(volume: str) -> Document:
    return {"resourceURI": type_uri("MachineVolume"), "volume": {"href": volume}}


class Resources:
    """What one test creates, deleted again at teardown, newest first (an attachment before
    the Volume and the Machine it joins).

    The suite may run against a shared, real cloud, so nothing may be left behind: a resource
    the test deleted itself is fine, one that still answers after the teardown's delete fails
    the teardown, so a leak is never silent.
    """

    def __init__(self, client: CimiClient, entry: EntryPoint, target: Target) -> None:
        self.client = client
        self.entry = entry
        self.target = target
        self._created: list[str] = []

    def track(self, url: str) -> str:
        self._created.append(url)
        return url

    def collection(self, key: str) -> str:
        """The href the CEP gives for ``key``; a test of a collection it lacks is skipped."""
        href = self.entry.find(key)
        if href is None:
            pytest.skip(f"the CloudEntryPoint lists no {key}")
        return href

    def add_href(self, collection: str) -> str:
        """Where a collection takes new members: its ``add`` operation (§1.8)."""
        href = operation(self.client.read(collection), "add")
        if href is None:
            pytest.skip(f"{collection} offers no add operation")
        return urljoin(collection, href)

    def created(self, response: httpx.Response) -> str:
        """The new resource of a create's answer, tracked for teardown once its Job (if any)
        succeeded: 201 or 202, with ``Location`` (§1.11)."""
        assert response.status_code in CREATED, describe(response)
        location = response.headers.get("location")
        assert location, f"no Location: {describe(response)}"
        url = self.track(urljoin(str(response.url), location))
        self.client.finish(response, self.target.timeout)
        return url

    def create(self, key: str, json_body: Document | None = None, xml_body: str = "") -> str:
        add = self.add_href(self.collection(key))
        if json_body is not None:
            return self.created(self.client.post_json(add, json_body))
        return self.created(self.client.post_xml(add, xml_body))

    def machine_refs(self) -> tuple[str, str]:
        """The smallest MachineConfiguration and the first available MachineImage."""
        configs = members(self.client.read(self.collection("machineConfigs")))
        images = members(self.client.read(self.collection("machineImages")))
        usable = [i for i in images if i.get("state", "AVAILABLE") == "AVAILABLE"]
        assert configs, "no MachineConfiguration to create a Machine from"
        assert usable, "no AVAILABLE MachineImage to create a Machine from"
        smallest = min(configs, key=lambda c: int(c.get("memory", 0)))
        return str(smallest["id"]), str(usable[0]["id"])

    def machine(self, name: str, *, xml: bool = False) -> str:
        config, image = self.machine_refs()
        if xml:
            return self.create("machines", xml_body=machine_create_xml(name, config, image))
        return self.create("machines", machine_create_json(name, config, image))

    def started_machine(self, name: str) -> Document:
        """A new Machine once it is STARTED."""
        return self.reach(self.machine(name), "STARTED")

    def reach(self, url: str, state: str) -> Document:
        return self.client.poll(url, lambda r: r.get("state") == state, self.target.timeout)

    def volume(self, name: str, capacity_kb: int = 1024 * 1024, *, xml: bool = False) -> str:
        if xml:
            return self.create("volumes", xml_body=volume_create_xml(name, capacity_kb))
        return self.create("volumes", volume_create_json(name, capacity_kb))

    def credential(self, name: str, *, xml: bool = False) -> str:
        if xml:
            return self.create("credentials", xml_body=credential_create_xml(name))
        return self.create("credentials", credential_create_json(name))

    def attach(self, machine: Document, volume: str) -> str:
        """A MachineVolume made through the ``add`` of the Machine's volumes collection."""
        volumes = machine.get("volumes", {}).get("href")
        assert volumes, f"the Machine has no volumes collection: {machine}"
        add = self.add_href(urljoin(str(machine["id"]), volumes))
        response = self.client.patiently(
            lambda: self.client.post_json(add, machine_volume_json(volume)), self.target.timeout
        )
        return self.created(response)

    def delete(self, url: str) -> httpx.Response:
        """DELETE through the resource's ``delete`` operation (its own URI if it lists none);
        waits for a 202's Job."""
        current = self.client.get(url)
        if current.status_code == 404:
            return current
        href = operation(parse_json(current), "delete") if current.status_code == 200 else None
        target = urljoin(url, href) if href else url
        response = self.client.patiently(
            lambda: self.client.request("DELETE", target), self.target.timeout
        )
        if response.status_code in DELETED:
            self.client.finish(response, self.target.timeout)
        return response

    def close(self) -> None:
        leaks = []
        for url in reversed(self._created):
            try:
                response = self.delete(url)
            except AssertionError as exc:  # its Job failed: say so, and clean up the rest
                leaks.append(f"{url}: {exc}")
                continue
            if response.status_code not in (*DELETED, 404):
                leaks.append(describe(response))
                continue
            last = self.client.wait_gone(url, self.target.timeout)
            if last.status_code != 404:
                leaks.append(f"still there after DELETE: {describe(last)}")
        self._created.clear()
        assert not leaks, f"could not clean up: {leaks}"
