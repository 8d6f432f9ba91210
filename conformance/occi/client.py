"""A deliberately small OCCI 1.1 client for the conformance suite.

It is written from GFD.185 as the project's spec notes describe it (``specs/occi.md`` §1.3-1.7),
not from any server's code. It knows one endpoint and nothing else: every location comes from
the query interface (``<endpoint>-/``) or from the server's answers, resolved against the
endpoint as rOCCI does. Requests are text/plain (one rendering a line in the body) unless a
test asks for text/occi (the renderings in headers).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin

import httpx

from conformance.occi.grammar import (
    AttributeValue,
    Category,
    Rendering,
    parse_text_occi,
    parse_text_plain,
    render_headers,
    render_lines,
    render_value,
)

CORE: Final = "http://schemas.ogf.org/occi/core#"
INFRA: Final = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE_ACTION: Final = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
OS_TPL: Final = INFRA + "os_tpl"
RESOURCE_TPL: Final = INFRA + "resource_tpl"
USER_AGENT: Final = "occi-conformance/1.0 OCCI/1.1"
POLL_INTERVAL: Final = 0.5
# What a delete may answer: done (200, 204) or accepted for later (202, GFD.185's async task).
DELETED: Final = frozenset({200, 202, 204})

Renderings = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Credentials:
    """HTTP Basic (username and password) or an ``X-Auth-Token``."""

    username: str | None = None
    password: str | None = None
    token: str | None = None

    def apply(self) -> tuple[httpx.Auth | None, dict[str, str]]:
        if self.token:
            return None, {"X-Auth-Token": self.token}
        if self.username is not None and self.password is not None:
            return httpx.BasicAuth(self.username, self.password), {}
        return None, {}


@dataclass(frozen=True, slots=True)
class Target:
    """The endpoint and accounts the suite was pointed at."""

    endpoint: str  # always ends with "/"
    credentials: Credentials
    other: Credentials | None
    token: str | None
    timeout: float
    os_tpl: str | None
    resource_tpl: str | None

    @property
    def query_interface(self) -> str:
        return self.endpoint + "-/"

    @property
    def well_known(self) -> str:
        return self.endpoint + ".well-known/org/ogf/occi/-/"


def category_value(term: str, scheme: str, cls: str) -> str:
    """A Category as rOCCI-cli sends it: ``term;scheme="…";class="…"``."""
    return f'{term};scheme="{scheme}";class="{cls}"'


def category_of(category: Category) -> tuple[str, str]:
    """A Kind, Mixin or Action of the model as a request rendering."""
    return ("Category", category_value(category.term, category.scheme, category.cls))


def attribute(name: str, value: AttributeValue) -> tuple[str, str]:
    return ("X-OCCI-Attribute", f"{name}={render_value(value)}")


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
class Model:
    """The Kinds, Mixins and Actions of the query interface."""

    categories: tuple[Category, ...]

    def find(self, type_id: str) -> Category | None:
        return next((c for c in self.categories if c.type_id == type_id), None)

    def get(self, type_id: str) -> Category:
        found = self.find(type_id)
        assert found is not None, f"the query interface has no {type_id}"
        return found

    def kind(self, term: str, scheme: str = INFRA) -> Category:
        found = self.get(scheme + term)
        assert found.cls == "kind", f"{found.type_id} is a {found.cls}, not a kind"
        return found

    def templates(self, rel: str) -> list[Category]:
        """The provider's templates: Mixins related to ``os_tpl`` or ``resource_tpl``."""
        return [c for c in self.categories if c.cls == "mixin" and c.rel == rel]


class OcciClient:
    """Requests to one endpoint as one account; answers are returned as they came."""

    def __init__(self, http: httpx.Client, endpoint: str, credentials: Credentials) -> None:
        self.http = http
        self.endpoint = endpoint
        self.auth, self.auth_headers = credentials.apply()

    def url(self, location: str) -> str:
        """A location from an answer (absolute path or URL) as a full URL."""
        return urljoin(self.endpoint, location)

    def request(
        self,
        method: str,
        url: str,
        *,
        accept: str | None = "text/plain",
        headers: dict[str, str] | None = None,
        content: str = "",
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One request; ``accept=None`` sends no ``Accept`` header at all (httpx would add
        ``*/*``), to see what the server answers by default."""
        sent = {"User-Agent": USER_AGENT, **self.auth_headers, **(headers or {})}
        if accept is not None:
            sent["Accept"] = accept
        request = self.http.build_request(
            method, url, headers=sent, content=content.encode(), params=params
        )
        if accept is None:
            del request.headers["Accept"]
        return self.http.send(
            request, auth=self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
        )

    def get(
        self, url: str, *, accept: str | None = "text/plain", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.request("GET", url, accept=accept, headers=headers)

    def send(
        self,
        method: str,
        url: str,
        renderings: Renderings,
        *,
        media: str = "text/plain",
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Renderings in the body (text/plain) or in headers (text/occi); the answer in the
        same media type."""
        if media == "text/occi":
            headers = {"Content-Type": media, **render_headers(renderings)}
            return self.request(method, url, accept=media, headers=headers, params=params)
        return self.request(
            method,
            url,
            accept=media,
            headers={"Content-Type": media},
            content=render_lines(renderings),
            params=params,
        )

    def read(self, url: str) -> Rendering:
        """GET a resource (or the query interface) in text/plain; it must be there."""
        response = self.get(url)
        assert response.status_code == 200, describe(response)
        assert media_type(response) == "text/plain", describe(response)
        return parse_text_plain(response.text)

    def listing(self, url: str, headers: dict[str, str] | None = None) -> list[str]:
        """The members of a collection as full URLs, read as text/uri-list (200, or 204 when
        empty); ``headers`` may carry a filter."""
        response = self.get(url, accept="text/uri-list", headers=headers)
        assert response.status_code in (200, 204), describe(response)
        if response.status_code == 204:
            return []
        assert media_type(response) == "text/uri-list", describe(response)
        return [
            self.url(line.strip())
            for line in response.text.splitlines()
            if line.strip() and not line.startswith("#")  # RFC 2483 comment lines
        ]

    def model(self) -> Model:
        return Model(self.read(self.endpoint + "-/").categories)

    def created(self, response: httpx.Response) -> str:
        """The new entity's URL: ``201`` with ``Location``, or ``200`` with the location in
        ``Location`` or ``X-OCCI-Location`` (spec §1.6 allows both)."""
        assert response.status_code in (200, 201), describe(response)
        if "location" in response.headers:
            return self.url(response.headers["location"])
        assert response.status_code == 200, f"201 without a Location header: {describe(response)}"
        if media_type(response) == "text/occi":
            locations = parse_text_occi(response.headers).locations
        else:
            locations = parse_text_plain(response.text).locations
        assert len(locations) == 1, f"expected one X-OCCI-Location: {describe(response)}"
        return self.url(locations[0])

    def trigger(self, url: str, action: Category) -> httpx.Response:
        """``POST <url>?action=<term>`` with the action's Category, as rOCCI-cli sends it."""
        return self.send("POST", url, [category_of(action)], params={"action": action.term})

    def poll(self, url: str, done: Callable[[Rendering], bool], timeout: float) -> Rendering:
        """Read ``url`` until ``done`` holds for its rendering, for at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            rendering = self.read(url)
            if done(rendering):
                return rendering
            assert time.monotonic() < deadline, (
                f"{url} did not get there in {timeout:.0f}s: {dict(rendering.attributes)}"
            )
            time.sleep(POLL_INTERVAL)

    def patiently(self, send: Callable[[], httpx.Response], timeout: float) -> httpx.Response:
        """``send()`` again while it answers 409 Conflict, for at most ``timeout`` s: a
        resource still in a transition (a storage being made cannot be attached yet) is busy,
        as rOCCI-server and others say with 409; the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            response = send()
            if response.status_code != 409 or time.monotonic() >= deadline:
                return response
            time.sleep(POLL_INTERVAL)

    def wait_gone(self, url: str, timeout: float) -> httpx.Response:
        """GET ``url`` until it answers 404 (a delete may finish later); the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(url)
            if response.status_code == 404 or time.monotonic() >= deadline:
                return response
            time.sleep(POLL_INTERVAL)


class Resources:
    """What one test creates, deleted again at teardown, newest first (links before the
    resources they join).

    The suite may run against a shared, real cloud, so nothing may be left behind: an entity
    the test deleted itself is fine, one that still answers after the teardown's delete fails
    the teardown, so a leak is never silent.
    """

    def __init__(self, client: OcciClient, model: Model, target: Target) -> None:
        self.client = client
        self.model = model
        self.target = target
        self._created: list[str] = []

    def track(self, url: str) -> str:
        self._created.append(url)
        return url

    def create(self, kind: Category, renderings: Renderings, media: str = "text/plain") -> str:
        assert kind.location, f"{kind.type_id} has no location to create at"
        collection = self.client.url(kind.location)
        response = self.client.patiently(
            lambda: self.client.send("POST", collection, renderings, media=media),
            self.target.timeout,
        )
        return self.track(self.client.created(response))

    def compute_renderings(self, title: str) -> list[tuple[str, str]]:
        """A compute from the chosen os_tpl and resource_tpl, titled ``title``."""
        return [
            category_of(self.model.kind("compute")),
            category_of(self.os_tpl()),
            category_of(self.resource_tpl()),
            attribute("occi.core.title", title),
        ]

    def compute(self, title: str, media: str = "text/plain") -> str:
        return self.create(self.model.kind("compute"), self.compute_renderings(title), media)

    def storage(self, title: str, size: int = 1) -> str:
        kind = self.model.kind("storage")
        renderings = [
            category_of(kind),
            attribute("occi.core.title", title),
            attribute("occi.storage.size", size),
        ]
        return self.create(kind, renderings)

    def link(self, term: str, source: str, target: str) -> str:
        """A ``storagelink`` or ``networkinterface`` created at its kind's location, with
        ``occi.core.source`` and ``occi.core.target`` the two resources' paths."""
        kind = self.model.kind(term)
        renderings = [
            category_of(kind),
            attribute("occi.core.source", httpx.URL(source).path),
            attribute("occi.core.target", httpx.URL(target).path),
        ]
        return self.create(kind, renderings)

    def os_tpl(self) -> Category:
        return self._template(OS_TPL, self.target.os_tpl)

    def resource_tpl(self) -> Category:
        return self._template(RESOURCE_TPL, self.target.resource_tpl)

    def _template(self, rel: str, chosen: str | None) -> Category:
        if chosen:
            return self.model.get(chosen)
        templates = self.model.templates(rel)
        assert templates, f"the query interface offers no mixin related to {rel}"
        return templates[0]

    def close(self) -> None:
        leaks = []
        for url in reversed(self._created):
            delete = functools.partial(self.client.request, "DELETE", url)
            response = self.client.patiently(delete, self.target.timeout)
            if response.status_code not in (*DELETED, 404):
                leaks.append(describe(response))
                continue
            last = self.client.wait_gone(url, self.target.timeout)
            if last.status_code != 404:
                leaks.append(f"still there after DELETE: {describe(last)}")
        self._created.clear()
        assert not leaks, f"could not clean up: {leaks}"
