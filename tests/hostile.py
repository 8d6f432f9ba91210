"""Hostile requests for every API of a served gateway, as hypothesis strategies, and the checks
every answer must pass: no 5xx, and a body that parses in the media type it declares.

Shared by ``tests/contract/test_fuzz.py`` (a few hundred examples, shrunk when one fails) and
``bench/fuzz_requests.py`` (a bounded run of 20,000 that counts 5xx). A ``Probe`` is drawn
without credentials; ``Gateway.send`` signs it when it is sent, so each signature carries the
time it is sent at and the strategies stay module-level values.

The values are what a hostile client sends: every C0 control character, U+FFFE/U+FFFF, lone
surrogates (sent as their UTF-8-like bytes, which no decoder accepts), very long strings, XML
and JSON metacharacters, ``%`` sequences, quotes and escapes of each API's text syntax. They go
into real action and command names' real parameters (EC2's from botocore's service model, the
native API's from its command table), so they reach the parsers behind authentication and the
renderers that echo them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import botocore.session
import httpx
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import ListShape, OperationModel, Shape, StringShape, StructureShape
from botocore.serialize import EC2Serializer
from hypothesis import strategies as st
from lxml import etree

from gateway.ec2.actions import ACTIONS as EC2_SERVED
from gateway.native.registry import ParamType
from gateway.native.table import command_table

REGION: Final = "cloudgate-1"
C0: Final = tuple(chr(c) for c in range(0x20))
CONTROL: Final = (*C0, "\x7f", "\ufffe", "\uffff")
SURROGATES: Final = ("\ud800", "\udbff", "\udc00", "\udfff")
METACHARACTERS: Final = (
    "<", ">", "&", "'", '"', "]]>", "<![CDATA[x]]>", "&amp;", "&#1;", "&#x0;", "&bogus;",
    "<a>b</a>", "%", "%00", "%01", "%zz", "%E9", "%ED%A0%80", "%u0001", "%%", "\\", "\\n", "\\t",
    "\\u0001", "\\x01", '\\"', ";", ",", "=", "&", "+", "#", "?", "/", "..", "*", "$", "{", "}",
    "[", "]", "\u2028", "\u202e", "\u0301", "\U0001f600", "é", "ß", "\u00a0", "\ufeff", "null",
    "true", "-1", "1e309", "NaN", "9" * 40, "'or'1'='1",
)  # fmt: skip
ATOMS: Final = CONTROL + SURROGATES + METACHARACTERS


def _long(piece: str, length: int) -> str:
    """``piece`` repeated to about ``length`` characters: long, yet a URL that carries it stays
    under the 64 KiB that httpx sends (percent-encoding makes a character up to 6 bytes)."""
    return piece * (length // len(piece))


# Text of any kind: pieces of the above, any code point (surrogates included), or a long run.
hostile_text: Final = st.one_of(
    st.lists(st.sampled_from(ATOMS) | st.text(max_size=4), min_size=1, max_size=10).map("".join),
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.builds(_long, st.sampled_from(("x", "é", "\x01", "<&>", "%")), st.integers(256, 6000)),
)


def wire(text: str) -> bytes:
    """UTF-8, with a lone surrogate sent as the three bytes it would take (which no UTF-8
    decoder accepts): how a client that mishandles surrogates puts them on the wire."""
    return text.encode("utf-8", "surrogatepass")


def form(pairs: Sequence[tuple[str, str]]) -> str:
    """``application/x-www-form-urlencoded`` of the pairs, every byte but unreserved escaped."""
    return "&".join(f"{_escaped(k)}={_escaped(v)}" for k, v in pairs)


def _escaped(text: str) -> str:
    return quote(wire(text), safe="-_.~")


class Auth(enum.Enum):
    """How a probe authenticates: properly, or in one of the ways a server must refuse."""

    SIGNED = "signed"  # EC2 SigV4 in headers; native HMAC-SHA1; OCCI/CIMI HTTP Basic
    QUERY_SIGNED = "query-signed"  # EC2 SigV4 in the query string
    SESSION = "session"  # native sessionkey parameter and cookie; OCCI/CIMI X-Auth-Token
    NONE = "none"
    GARBLED = "garbled"  # a signature or credential that is wrong or malformed


@dataclass(frozen=True, slots=True)
class Probe:
    """One request, before it is signed. For EC2 and the native API ``params`` is the Query
    (sent in the body when ``in_body``), for OCCI and CIMI the query string."""

    api: str
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    in_body: bool = False
    headers: tuple[tuple[str, bytes], ...] = ()
    body: bytes | None = None
    auth: Auth = Auth.SIGNED

    def describe(self, limit: int = 300) -> str:
        """A short line for a report: method, path, auth and a clipped repr of the rest."""
        rest = repr(self.params) + (f" headers={self.headers!r}" if self.headers else "")
        rest += f" body={self.body!r}" if self.body else ""
        clipped = rest if len(rest) <= limit else rest[:limit] + f"…(+{len(rest) - limit} chars)"
        path = self.path if len(self.path) <= 120 else self.path[:120] + "…"
        return f"{self.method} {path} auth={self.auth.value} {clipped}"


URL_LIMIT: Final = 65_536  # httpx's
URL_SIGNATURE: Final = 1_000  # room for the base URL and a signature in the query string


def sendable(probe: Probe) -> bool:
    """Whether httpx sends it: it refuses a URL over 64 KiB, and several long values in a query
    string make one (a hostile ``é`` takes six bytes there)."""
    query = "" if probe.in_body else form(probe.params)
    return len(probe.path) + len(query) + URL_SIGNATURE < URL_LIMIT


# ---------------------------------------------------------------------------------------------
# EC2: real operations of botocore's model, parameters drawn from their input shapes


@functools.cache
def ec2_model() -> Any:
    return botocore.session.get_session().get_service_model("ec2")


@functools.cache
def _shape_values(shape: Shape, depth: int) -> st.SearchStrategy[Any]:
    """Values of a botocore shape, hostile where a string goes; nesting stops at ``depth``."""
    kind = shape.type_name
    if isinstance(shape, StringShape):
        known = st.sampled_from(shape.enum) if shape.enum else st.sampled_from(("default", "i-0"))
        return st.one_of(known, hostile_text)
    if kind in ("integer", "long"):
        return st.one_of(st.integers(-5, 70), st.integers(-(2**70), 2**70))
    if kind in ("float", "double"):
        return st.floats()
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(timezones=st.just(dt.UTC))
    if kind == "blob":
        return st.binary(max_size=64)
    if isinstance(shape, ListShape):
        return (
            st.lists(_shape_values(shape.member, depth - 1), max_size=3) if depth else st.just([])
        )
    if isinstance(shape, StructureShape) and depth:
        members = {name: _shape_values(m, depth - 1) for name, m in shape.members.items()}
        return st.fixed_dictionaries({}, optional=members)
    return st.just({})  # a structure nested too deep, or a map: empty


@functools.cache
def _operation_params(name: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = ec2_model().operation_model(name).input_shape
    return _shape_values(shape, 3) if shape is not None else st.just({})


def _ec2_query(name: str, params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The operation's Query pairs as botocore's own EC2 serializer writes them."""
    operation: OperationModel = ec2_model().operation_model(name)
    body = EC2Serializer().serialize_to_request(params, operation)["body"]
    return tuple((str(k), str(v)) for k, v in body.items())


@st.composite
def _ec2_operation(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    served = sorted(set(EC2_SERVED) & set(ec2_model().operation_names))
    name = draw(st.sampled_from(served) | st.sampled_from(ec2_model().operation_names))
    return _ec2_query(name, draw(_operation_params(name)))


@st.composite
def _ec2_garbage(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    """A Query that no model describes: a hostile action name or parameter names."""
    action = draw(st.sampled_from(sorted(EC2_SERVED)) | hostile_text)
    extra = draw(st.lists(st.tuples(hostile_text, hostile_text), max_size=3))
    return (("Action", action), ("Version", "2016-11-15"), *extra)


def _query_probe(
    api: str, path: str, pairs: tuple[tuple[str, str], ...], in_body: bool, auth: Auth
) -> Probe:
    """A Query API request: a POSTed form, or a GET (as every query-string signature is)."""
    posted = in_body and auth is not Auth.QUERY_SIGNED
    return Probe(api, "POST" if posted else "GET", path, pairs, posted, auth=auth)


ec2_probes: Final = st.builds(
    _query_probe,
    st.just("ec2"),
    st.just("/"),
    st.one_of(_ec2_operation(), _ec2_operation(), _ec2_garbage()),
    st.booleans(),
    st.sampled_from((Auth.SIGNED, Auth.SIGNED, Auth.QUERY_SIGNED, Auth.NONE, Auth.GARBLED)),
).filter(sendable)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The native API: every command of its table, its declared parameters with hostile values

_TYPED: Final[Mapping[ParamType, st.SearchStrategy[str]]] = {
    ParamType.UUID: st.uuids().map(str),
    ParamType.INTEGER: st.integers(-(2**40), 2**40).map(str),
    ParamType.LONG: st.integers(-(2**70), 2**70).map(str),
    ParamType.SHORT: st.integers(-(2**20), 2**20).map(str),
    ParamType.BOOLEAN: st.sampled_from(("true", "false", "TRUE")),
    ParamType.DATE: st.sampled_from(("2026-01-01", "2026-01-01 10:00:00", "9999-12-31")),
}


@st.composite
def _native_query(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    commands = command_table()
    name = draw(st.sampled_from(sorted(commands)))
    command = commands[name]
    pairs = [("command", draw(st.just(command.name) | hostile_text))]
    chosen = st.lists(st.sampled_from(command.params), max_size=6, unique=True)
    for param in draw(chosen) if command.params else ():
        if param.type is ParamType.MAP:
            index = draw(st.sampled_from(("0", "1", "-1", "x", "99999999999")))
            for key in draw(st.lists(st.sampled_from(("key", "value", "name")), max_size=2)):
                pairs.append((f"{param.name}[{index}].{key}", draw(hostile_text)))
        else:
            typed = _TYPED.get(param.type, hostile_text)
            pairs.append((param.name, draw(typed | hostile_text)))
    pairs += draw(st.lists(st.tuples(hostile_text, hostile_text), max_size=2))
    fmt = draw(st.sampled_from(("json", "xml", None)) | hostile_text)
    return tuple(pairs) + ((("response", fmt),) if fmt is not None else ())


native_probes: Final = st.builds(
    _query_probe,
    st.just("native"),
    st.just("/client/api"),
    _native_query(),
    st.booleans(),
    st.sampled_from((Auth.SIGNED, Auth.SIGNED, Auth.SESSION, Auth.SESSION, Auth.NONE,
                     Auth.GARBLED)),
).filter(sendable)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# OCCI: renderings in text/plain, text/occi headers, application/occi+json and uri-lists

INFRA: Final = "http://schemas.ogf.org/occi/infrastructure#"
OCCI_PATHS: Final = (
    "/occi/-/", "/occi/.well-known/org/ogf/occi/-/", "/occi/compute/", "/occi/storage/",
    "/occi/network/", "/occi/link/storagelink/", "/occi/link/networkinterface/",
    "/occi/mixin/os_tpl/", "/occi/mixin/resource_tpl/", f"/occi/compute/{uuid.UUID(int=1)}",
    f"/occi/storage/{uuid.UUID(int=2)}", "/occi/",
)  # fmt: skip
OCCI_MEDIA: Final = (
    "text/plain", "text/occi", "text/uri-list", "text/occi+plain", "application/occi+json",
    "application/json", "*/*", "text/html",
)  # fmt: skip
TOKEN: Final = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")  # what HTTP allows as a header name
OCCI_KINDS: Final = ("compute", "storage", "network", "storagelink", "networkinterface")
OCCI_ATTRIBUTES: Final = (
    "occi.storage.size", "occi.core.id", "occi.compute.cores", "occi.core.summary",
)  # fmt: skip


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def _occi_renderings(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Renderings (name, value) as GFD.185 writes them, with hostile terms and values."""
    kind = draw(st.sampled_from(OCCI_KINDS))
    found = [("Category", f'{kind};scheme="{INFRA}";class="kind"')]
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.integers(0, 4))
        value = draw(hostile_text)
        if choice == 0:
            found.append(("X-OCCI-Attribute", f"occi.core.title={_quoted(value)}"))
        elif choice == 1:
            attribute = draw(st.sampled_from(OCCI_ATTRIBUTES))
            written = draw(st.sampled_from((_quoted(value), value)))
            found.append(("X-OCCI-Attribute", f"{attribute}={written}"))
        elif choice == 2:
            found.append(("Category", f'{value};scheme="{value}";class="mixin"'))
        elif choice == 3:
            found.append(("Link", f'<{value}>;rel="{INFRA}network";category="{value}"'))
        else:
            found.append((value, value))
    return found


def _header_bytes(text: str) -> bytes:
    """A header value as HTTP carries one: no CR, LF or other control byte but tab, and no
    white space at either end (h11 refuses to send it)."""
    return bytes(b for b in wire(text) if b == 9 or b >= 32).strip(b" \t")


@st.composite
def _occi_probe(draw: st.DrawFn) -> Probe:
    method = draw(st.sampled_from(("GET", "GET", "POST", "POST", "PUT", "DELETE")))
    path = draw(st.sampled_from(OCCI_PATHS) | hostile_text.map(lambda t: "/occi/" + quote(wire(t))))
    accept = draw(st.sampled_from(OCCI_MEDIA))
    headers: list[tuple[str, bytes]] = [("Accept", accept.encode())]
    if draw(st.booleans()):
        agent = draw(st.sampled_from(("rOCCI-cli OCCI/1.1", "OCCI/1.2")) | hostile_text)
        headers.append(("User-Agent", _header_bytes(agent)))
    renderings = draw(_occi_renderings())
    content = draw(st.sampled_from(OCCI_MEDIA[:5]))
    body: bytes | None = None
    if content in ("text/plain", "text/occi+plain"):
        body = wire("".join(f"{name}: {value}\n" for name, value in renderings))
    elif content == "text/occi":
        headers += [(n, _header_bytes(v)) for n, v in renderings if TOKEN.fullmatch(n)]
    elif content == "text/uri-list":
        body = wire("\n".join(draw(st.lists(hostile_text, max_size=3))))
    else:
        document = {"kind": f"{INFRA}{renderings[0][1].split(';')[0]}",
                    "attributes": {"occi.core.title": draw(hostile_text)},
                    "mixins": draw(st.lists(hostile_text, max_size=2)),
                    "title": draw(hostile_text), "id": draw(hostile_text)}  # fmt: skip
        body = wire(json.dumps(document)) if draw(st.booleans()) else wire(draw(hostile_text))
    if method in ("POST", "PUT"):
        headers.append(("Content-Type", content.encode()))
    params = (("action", draw(st.sampled_from(("start", "stop", "snapshot")) | hostile_text)),)
    auth = draw(st.sampled_from((Auth.SIGNED, Auth.SIGNED, Auth.SESSION, Auth.NONE, Auth.GARBLED)))
    return Probe("occi", method, path, params if draw(st.booleans()) else (), False,
                 tuple(headers), body if method in ("POST", "PUT") else None, auth)  # fmt: skip


occi_probes: Final = _occi_probe().filter(sendable)


# ---------------------------------------------------------------------------------------------
# CIMI: JSON and XML bodies for its collections, and hostile query parameters

CIMI_NS: Final = "http://schemas.dmtf.org/cimi/1"
CIMI_COLLECTIONS: Final = {
    "machines": "MachineCreate", "machineTemplates": "MachineTemplate",
    "machineConfigs": "MachineConfiguration", "machineImages": "MachineImage",
    "credentials": "CredentialCreate", "volumes": "VolumeCreate",
    "volumeTemplates": "VolumeTemplate", "volumeConfigs": "VolumeConfiguration",
    "volumeImages": "VolumeImage", "networks": "NetworkCreate", "networkPorts": "NetworkPort",
    "addresses": "AddressCreate", "jobs": "Job", "eventLogs": "EventLog",
}  # fmt: skip
CIMI_FILTERS: Final = (
    "name='a'", "state='STARTED' and cpu>=2", "not(name='x')", "created>2026-01-01T00:00:00Z",
    "properties['k']='v'", "name=", "(((", "cpu>=", "name='", "memory<1 or",
)  # fmt: skip
CIMI_QUERY: Final = ("$filter", "$select", "$expand", "$orderby", "$first", "$last", "$format")
CIMI_QUERY_VALUES: Final[Mapping[str, st.SearchStrategy[str]]] = {
    "$filter": st.sampled_from(CIMI_FILTERS),
    "$select": st.sampled_from(("name,state", "*", "name,,")),
    "$expand": st.sampled_from(("*", "volumes/volume", "machineConfig")),
    "$orderby": st.sampled_from(("name:desc", "created,name", "name:sideways")),
    "$first": st.integers(-3, 2**64).map(str),
    "$last": st.integers(-3, 2**64).map(str),
    "$format": st.sampled_from(("json", "xml")),
}


@st.composite
def _cimi_document(draw: st.DrawFn) -> dict[str, Any]:
    properties = draw(st.dictionaries(hostile_text, hostile_text, max_size=2))
    document: dict[str, Any] = {"name": draw(hostile_text), "description": draw(hostile_text)}
    if properties:
        document["properties"] = properties
    extra: dict[str, Any] = draw(st.one_of(
        st.just({}),
        st.just({"volumeConfig": {"capacity": 1048576}}),
        hostile_text.map(lambda t: {"volumeConfig": {"capacity": t}}),
        hostile_text.map(lambda t: {"machineConfig": {"href": t}}),
        hostile_text.map(lambda t: {"publicKey": t}),
        hostile_text.map(lambda t: {"action": t}),
    ))  # fmt: skip
    return {**document, **extra}


def _attribute(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


def _cimi_xml(root: str, document: Mapping[str, Any]) -> bytes:
    """The document in CIMI's XML, values escaped as XML escapes them (control characters
    are left in: XML 1.0 cannot carry them, and the server must say so with a 4xx)."""
    parts = []
    for name, value in document.items():
        if isinstance(value, Mapping) and name == "properties":
            parts += [f'<property key="{_attribute(k)}">{xml_escape(v)}</property>'
                      for k, v in value.items()]  # fmt: skip
        elif isinstance(value, Mapping):
            inner = "".join(
                f"<{k}>{xml_escape(str(v))}</{k}>" if k != "href" else "" for k, v in value.items()
            )
            href = f' href="{_attribute(str(value["href"]))}"' if "href" in value else ""
            parts.append(f"<{name}{href}>{inner}</{name}>")
        else:
            parts.append(f"<{name}>{xml_escape(str(value))}</{name}>")
    return wire(f'<{root} xmlns="{CIMI_NS}">{"".join(parts)}</{root}>')


HOSTILE_DOCUMENTS: Final = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    ']><VolumeTemplate xmlns="http://schemas.dmtf.org/cimi/1"><name>&d;</name></VolumeTemplate>',
    '<?xml version="1.1"?><x>&#1;</x>', "<x><y></x>", "[", '{"name": NaN}', '{"a": "\\ud800"}',
    '"just a string"', "[]", "null", '{"name": {"$ne": 1}}', "\ufeff{}",
    '{"properties": ["not", "a", "map"]}', '{"name": 1e999}',
)  # fmt: skip


@st.composite
def _cimi_probe(draw: st.DrawFn) -> Probe:
    collection = draw(st.sampled_from(sorted(CIMI_COLLECTIONS)))
    path = f"/cimi/{collection}"
    if draw(st.integers(0, 4)) == 0:
        path += "/" + draw(st.uuids().map(str) | hostile_text.map(lambda t: quote(wire(t))))
    method = draw(st.sampled_from(("GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD")))
    params = []
    for name in draw(st.lists(st.sampled_from(CIMI_QUERY), max_size=3, unique=True)):
        params.append((name, draw(CIMI_QUERY_VALUES.get(name, st.nothing()) | hostile_text)))
    accept = draw(st.sampled_from(("application/json", "application/xml", "*/*", "text/html")))
    headers: list[tuple[str, bytes]] = [("Accept", accept.encode())]
    body = None
    if method in ("POST", "PUT"):
        document = draw(_cimi_document())
        kind = draw(st.sampled_from(("application/json", "application/xml", "text/plain")))
        if kind == "application/json":
            body = wire(json.dumps(document))
        else:
            body = _cimi_xml(CIMI_COLLECTIONS[collection], document)
        if draw(st.integers(0, 5)) == 0:
            body = wire(draw(st.sampled_from(HOSTILE_DOCUMENTS) | hostile_text))
        headers.append(("Content-Type", kind.encode()))
    auth = draw(st.sampled_from((Auth.SIGNED, Auth.SIGNED, Auth.SESSION, Auth.NONE, Auth.GARBLED)))
    return Probe("cimi", method, path, tuple(params), False, tuple(headers), body, auth)


cimi_probes: Final = _cimi_probe().filter(sendable)


any_probes: Final = st.one_of(ec2_probes, native_probes, occi_probes, cimi_probes)


# ---------------------------------------------------------------------------------------------
# Sending, and what every answer must be


@dataclass(frozen=True, slots=True)
class Account:
    """An account's keys and password, and a native session key from its ``login``."""

    access_key: str
    secret_key: str
    username: str
    password: str
    session_key: str = ""


@dataclass
class Gateway:
    """A served gateway and the account probes are sent as."""

    url: str
    account: Account
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=120)

    def login(self) -> None:
        """A native session for ``Auth.SESSION`` probes (sessionkey parameter and cookie)."""
        answer = self.http.post("/client/api", data={"command": "login", "response": "json",
                                "username": self.account.username,
                                "password": self.account.password})  # fmt: skip
        answer.raise_for_status()
        key = answer.json()["loginresponse"]["sessionkey"]
        self.account = dataclasses.replace(self.account, session_key=key)
        self.http.cookies.clear()  # a probe sends the cookie only when it says so

    def close(self) -> None:
        self.http.close()

    def reconnect(self) -> None:
        """A new connection pool: after an unhandled exception uvicorn closes the connection,
        which the next request on it would otherwise meet as a reset."""
        self.http.close()
        self.http = httpx.Client(base_url=self.url, timeout=120)

    def send(self, probe: Probe) -> httpx.Response:
        return self.http.send(self.request(probe))

    def request(self, probe: Probe) -> httpx.Request:
        match probe.api:
            case "ec2":
                return self._ec2(probe)
            case "native":
                return self._native(probe)
            case _:
                return self._http(probe)

    def _ec2(self, probe: Probe) -> httpx.Request:
        encoded = form(probe.params)
        url = f"{self.url}/" if probe.in_body else f"{self.url}/?{encoded}"
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        aws = AWSRequest(method=probe.method, url=url, headers=headers,
                         data=encoded.encode() if probe.in_body else b"")  # fmt: skip
        keys = Credentials(self.account.access_key, self.account.secret_key)
        if probe.auth in (Auth.SIGNED, Auth.GARBLED):
            SigV4Auth(keys, "ec2", REGION).add_auth(aws)
        elif probe.auth is Auth.QUERY_SIGNED:
            SigV4QueryAuth(keys, "ec2", REGION).add_auth(aws)
        prepared = aws.prepare()
        sent = dict(prepared.headers)
        if probe.auth is Auth.GARBLED:
            sent["Authorization"] = sent["Authorization"][:-8] + "deadbeef"
        body = prepared.body if isinstance(prepared.body, bytes) else None
        return httpx.Request(probe.method, prepared.url, headers=sent, content=body)

    def _native(self, probe: Probe) -> httpx.Request:
        pairs = list(probe.params)
        cookies = {}
        if probe.auth in (Auth.SIGNED, Auth.GARBLED):
            pairs = signed_native(pairs, self.account.access_key, self.account.secret_key)
            if probe.auth is Auth.GARBLED:
                pairs = [(k, "AAAA" + v if k == "signature" else v) for k, v in pairs]
        elif probe.auth is Auth.SESSION:
            pairs.append(("sessionkey", self.account.session_key))
            cookies = {"sessionkey": self.account.session_key}
        encoded = form(pairs)
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers = {"Cookie": cookie} if cookie else {}
        if probe.in_body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return httpx.Request("POST", f"{self.url}/client/api", headers=headers,
                                 content=encoded.encode())  # fmt: skip
        return httpx.Request("GET", f"{self.url}/client/api?{encoded}", headers=headers)

    def _http(self, probe: Probe) -> httpx.Request:
        headers = [(name.encode(), value) for name, value in probe.headers]
        match probe.auth:
            case Auth.SIGNED:
                basic = f"{self.account.username}:{self.account.password}".encode()
                headers.append((b"Authorization", b"Basic " + base64.b64encode(basic)))
            case Auth.SESSION:
                headers.append((b"X-Auth-Token", self.account.session_key.encode()))
            case Auth.GARBLED:
                headers.append((b"Authorization", b"Basic " + base64.b64encode(b"\xff:\x01")))
            case _:
                pass
        query = form(probe.params)
        url = f"{self.url}{probe.path}" + (f"?{query}" if query else "")
        return httpx.Request(probe.method, url, headers=headers, content=probe.body)


def signed_native(pairs: Sequence[tuple[str, str]], key: str, secret: str) -> list[tuple[str, str]]:
    """CloudStack's HMAC-SHA1 over the sorted, Java-encoded, lowercased pairs (as
    ``tests.contract.native.signed``, with lone surrogates encoded as ``wire`` sends them)."""
    with_key = [*pairs, ("apiKey", key)]
    canonical = "&".join(
        f"{k}={quote(wire(v), safe='*-._')}" for k, v in sorted(with_key, key=lambda kv: kv[0])
    ).lower()
    digest = hmac.new(secret.encode(), wire(canonical), hashlib.sha1).digest()
    return [*with_key, ("signature", base64.b64encode(digest).decode())]


XML_MEDIA: Final = ("application/xml", "text/xml")
TEXT_MEDIA: Final = ("text/plain", "text/occi", "text/occi+plain", "text/uri-list")
_SAFE_XML: Final = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def defects(response: httpx.Response) -> list[str]:
    """What is wrong with an answer: a 5xx, or a body that its Content-Type cannot parse."""
    found = [f"status {response.status_code}"] if response.status_code >= 500 else []
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    body = response.content
    if response.request.method == "HEAD" or not body:
        return found
    try:
        if media in XML_MEDIA or media.endswith("+xml"):
            etree.fromstring(body, _SAFE_XML)
        elif media == "application/json" or media.endswith("+json"):
            json.loads(body.decode("utf-8"))
        elif media in TEXT_MEDIA:
            text = body.decode("utf-8")
            bad = sorted({c for c in text if (c in C0 or c == "\x7f") and c not in "\t\n"})
            if bad:
                found.append(f"{media} body carries control characters {bad!r}")
        else:
            found.append(f"a body of undeclared or unexpected type {media!r}")
    except (etree.XMLSyntaxError, ValueError) as exc:
        found.append(f"unparseable {media}: {exc}")
    return found


class ServerErrors(logging.Handler):
    """Collects what the served gateway logs at ERROR (tracebacks of unexpected exceptions),
    so a failing request can be reported with the traceback it caused."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self._lock_records = threading.Lock()
        self.records: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock_records:
            self.records.append(self.format(record))

    def take(self) -> list[str]:
        with self._lock_records:
            taken, self.records = self.records, []
        return taken

    def take_within(self, seconds: float) -> list[str]:
        """What was logged, waiting up to ``seconds`` for a first line: uvicorn logs an
        exception that escaped the app only after Starlette has sent the plain 500."""
        deadline = time.monotonic() + seconds
        while not self.records and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.take()


LOG_WAIT: Final = 2.0  # seconds a 5xx waits for its traceback in the log
LOGGERS: Final = ("", "uvicorn")  # the root, and uvicorn's, which does not propagate to it


@contextmanager
def server_errors() -> Iterator[ServerErrors]:
    """Listens while the block runs: to the gateway's loggers, which reach the root, and to
    uvicorn's, where an exception that escaped every renderer is logged."""
    handler = ServerErrors()
    for name in LOGGERS:
        logging.getLogger(name).addHandler(handler)
    try:
        yield handler
    finally:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(handler)


@dataclass(frozen=True, slots=True)
class Outcome:
    probe: Probe
    status: int
    problems: tuple[str, ...]
    logged: tuple[str, ...]
    body: str = ""

    def report(self) -> str:
        logged = "\n".join(self.logged)
        return f"{self.probe.describe()}\n→ {self.status}: {'; '.join(self.problems)}\n{logged}"


def exchange(gateway: Gateway, probe: Probe, errors: ServerErrors) -> Outcome:
    """Sends the probe and judges the answer; a connection the server broke is a defect too."""
    errors.take()
    try:
        response = gateway.send(probe)
    except httpx.LocalProtocolError:
        raise  # httpx would not send it: the probe is wrong, not the server
    except httpx.TransportError as exc:
        gateway.reconnect()
        logged = errors.take_within(LOG_WAIT)
        return Outcome(probe, 0, (f"no readable answer: {exc!r}",), tuple(logged))
    problems = tuple(defects(response))
    failed = response.status_code >= 500
    logged = errors.take_within(LOG_WAIT) if failed else errors.take()
    if failed:
        gateway.reconnect()
    body = response.content.decode("utf-8", "replace")
    return Outcome(probe, response.status_code, problems, tuple(logged), body)
