"""Hostile input through every API of a served gateway: no answer is a 5xx, and every body parses
in the media type it declares (XML with lxml, JSON with json, OCCI's text as lines without
control characters). Requests are drawn by ``tests.hostile`` and signed properly, so they reach
the parsers and renderers behind authentication; some are unsigned or garbled on purpose.

Text stored through one API is read back through all four: a control character that one API
accepts must never make another API's listing fail.

Hypothesis runs derandomized (a fixed seed from each test's name): the examples are the same on
every run, so CI does not turn red on a new draw, and a failure is the one reported here. About
350 examples in all keep the module within a minute on two cores.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract.conftest import ServedCloud
from tests.hostile import (
    CONTROL,
    METACHARACTERS,
    SURROGATES,
    Account,
    Auth,
    Gateway,
    Outcome,
    Probe,
    ServerErrors,
    cimi_probes,
    ec2_probes,
    exchange,
    native_probes,
    occi_probes,
    server_errors,
)

FUZZ: Final = settings(
    max_examples=75,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STORED: Final = settings(FUZZ, max_examples=30)
INFRA: Final = "http://schemas.ogf.org/occi/infrastructure#"

# Short text for fields that are stored: names and descriptions have length limits, and the
# point here is the characters, not the length.
stored_text: Final = st.lists(
    st.sampled_from((*CONTROL, *SURROGATES, *METACHARACTERS[:12])) | st.text(max_size=3),
    min_size=1,
    max_size=5,
).map("".join)


def _gateway(cloud: ServedCloud, name: str, *, admin: bool = False) -> Gateway:
    made = cloud.account(name, admin=admin)
    account = Account(made.access_key, made.secret_key, made.username, made.password)
    gateway = Gateway(cloud.url, account)
    gateway.login()
    return gateway


@pytest.fixture(scope="module")
def errors() -> Iterator[ServerErrors]:
    """The served gateway's ERROR log lines, attached to each failing request's report."""
    with server_errors() as found:
        yield found


@pytest.fixture(scope="module")
def gateway(served_cloud: ServedCloud) -> Iterator[Gateway]:
    with closing(_gateway(served_cloud, "fuzz")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def admin(served_cloud: ServedCloud) -> Iterator[Gateway]:
    with closing(_gateway(served_cloud, "fuzz-admin", admin=True)) as gateway:
        yield gateway


def _sound(gateway: Gateway, errors: ServerErrors, probe: Probe) -> Outcome:
    outcome = exchange(gateway, probe, errors)
    assert not outcome.problems, outcome.report()
    return outcome


@FUZZ
@given(probe=ec2_probes)
def test_ec2_query(gateway: Gateway, errors: ServerErrors, probe: Probe) -> None:
    _sound(gateway, errors, probe)


@FUZZ
@given(probe=native_probes)
def test_native_commands(gateway: Gateway, errors: ServerErrors, probe: Probe) -> None:
    _sound(gateway, errors, probe)


@FUZZ
@given(probe=occi_probes)
def test_occi_renderings(gateway: Gateway, errors: ServerErrors, probe: Probe) -> None:
    _sound(gateway, errors, probe)


@FUZZ
@given(probe=cimi_probes)
def test_cimi_documents_and_queries(gateway: Gateway, errors: ServerErrors, probe: Probe) -> None:
    _sound(gateway, errors, probe)


# ---------------------------------------------------------------------------------------------
# Stored through one API, listed through all four

_serial = itertools.count(1)
Writer = Callable[[Gateway, str], Probe]


def _ec2(action: str, *pairs: tuple[str, str]) -> Probe:
    return Probe("ec2", "POST", "/", (("Action", action), ("Version", "2016-11-15"), *pairs), True)


def _native(command: str, *pairs: tuple[str, str], fmt: str = "json") -> Probe:
    return Probe("native", "GET", "/client/api", (("command", command), *pairs, ("response", fmt)))


def _http(api: str, method: str, path: str, media: str, body: str | None = None) -> Probe:
    header = "Content-Type" if body is not None else "Accept"
    encoded = body.encode("utf-8", "surrogatepass") if body is not None else None
    return Probe(api, method, path, headers=((header, media.encode()),), body=encoded)


def _ec2_group_description(_: Gateway, text: str) -> Probe:
    return _ec2("CreateSecurityGroup", ("GroupName", f"fuzz-{next(_serial)}"),
                ("GroupDescription", text))  # fmt: skip


def _ec2_tag_value(gateway: Gateway, text: str) -> Probe:
    return _ec2("CreateTags", ("ResourceId.1", _default_group(gateway, "groupId")),
                ("Tag.1.Key", f"k{next(_serial)}"), ("Tag.1.Value", text))  # fmt: skip


def _ec2_tag_key(gateway: Gateway, text: str) -> Probe:
    return _ec2("CreateTags", ("ResourceId.1", _default_group(gateway, "groupId")),
                ("Tag.1.Key", text), ("Tag.1.Value", "v"))  # fmt: skip


def _ec2_key_name(_: Gateway, text: str) -> Probe:
    return _ec2("CreateKeyPair", ("KeyName", f"{text}{next(_serial)}"))


def _native_group_description(_: Gateway, text: str) -> Probe:
    return _native("createSecurityGroup", ("name", f"fuzz-{next(_serial)}"), ("description", text))


def _native_tag_value(gateway: Gateway, text: str) -> Probe:
    return _native("createTags", ("resourceids", _default_group(gateway, "id")),
                   ("resourcetype", "SecurityGroup"), ("tags[0].key", f"k{next(_serial)}"),
                   ("tags[0].value", text))  # fmt: skip


def _occi_storage_title(_: Gateway, text: str) -> Probe:
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        f'Category: storage;scheme="{INFRA}";class="kind"\n'
        f"X-OCCI-Attribute: occi.storage.size=1\n"
        f'X-OCCI-Attribute: occi.core.title="{quoted}"\n'
    )
    return _http("occi", "POST", "/occi/storage/", "text/plain", body)


def _cimi_volume_template(_: Gateway, text: str) -> Probe:
    document = (
        '{"name": %s, "description": %s, "properties": {"k": %s},'
        ' "volumeConfig": {"capacity": 1048576}}'
    )
    quoted = _json_string(text)
    return _http("cimi", "POST", "/cimi/volumeTemplates", "application/json",
                 document % (quoted, quoted, quoted))  # fmt: skip


def _json_string(text: str) -> str:
    """A JSON string literal that carries lone surrogates as ``\\uXXXX`` escapes."""
    return '"' + "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in text) + '"'


WRITERS: Final[tuple[Writer, ...]] = (
    _ec2_group_description, _ec2_tag_value, _ec2_tag_key, _ec2_key_name,
    _native_group_description, _native_tag_value, _occi_storage_title, _cimi_volume_template,
)  # fmt: skip

_default_groups: dict[tuple[str, str], str] = {}


def _default_group(gateway: Gateway, field: str) -> str:
    """The account's default security group's EC2 ``groupId`` or native ``id``."""
    key = (gateway.account.username, field)
    if key not in _default_groups:
        if field == "groupId":
            answer = gateway.send(_ec2("DescribeSecurityGroups", ("GroupName.1", "default")))
            assert answer.status_code == 200, answer.text
            start = answer.text.index("<groupId>") + len("<groupId>")
            _default_groups[key] = answer.text[start : answer.text.index("<", start)]
        else:
            answer = gateway.send(_native("listSecurityGroups", ("securitygroupname", "default")))
            assert answer.status_code == 200, answer.text
            _default_groups[key] = answer.json()["listsecuritygroupsresponse"]["securitygroup"][0][
                "id"
            ]
    return _default_groups[key]


LISTINGS: Final = (
    *(_ec2(a) for a in ("DescribeSecurityGroups", "DescribeTags", "DescribeKeyPairs",
                         "DescribeVolumes")),
    *(_native(c, fmt=f) for c in ("listSecurityGroups", "listTags", "listSSHKeyPairs",
                                  "listVolumes", "listEvents") for f in ("json", "xml")),
    *(_http("occi", "GET", "/occi/storage/", m) for m in ("application/occi+json", "text/plain",
                                                          "text/occi", "text/uri-list")),
    *(_http("cimi", "GET", f"/cimi/{c}", m) for c in ("volumeTemplates", "volumes", "credentials",
                                                      "jobs") for m in ("application/json",
                                                                        "application/xml")),
)  # fmt: skip
ADMIN_LISTINGS: Final = tuple(
    _native(c, ("listall", "true"), fmt=f)
    for c in ("listSecurityGroups", "listTags", "listSSHKeyPairs", "listVolumes")
    for f in ("json", "xml")
)


def _occi_entities(gateway: Gateway, errors: ServerErrors) -> list[Probe]:
    """Each of the account's storages read alone (its title shows only there), newest last."""
    listed = _sound(gateway, errors, _http("occi", "GET", "/occi/storage/", "text/uri-list"))
    locations = [line for line in listed.body.splitlines() if line.strip()][-3:]
    return [
        _http("occi", "GET", uuid_path, media)
        for uuid_path in (location[location.index("/occi/") :] for location in locations)
        for media in ("text/plain", "text/occi", "application/occi+json")
    ]


@STORED
@given(writer=st.sampled_from(WRITERS), text=stored_text)
def test_text_stored_through_one_api_never_breaks_a_listing_of_another(
    gateway: Gateway, admin: Gateway, errors: ServerErrors, writer: Writer, text: str
) -> None:
    _sound(gateway, errors, writer(gateway, text))  # refused or stored; either way, sound
    reads = [(gateway, p) for p in (*LISTINGS, *_occi_entities(gateway, errors))]
    reads += [(admin, p) for p in ADMIN_LISTINGS]
    broken = [o.report() for g, p in reads if (o := exchange(g, p, errors)).problems]
    assert not broken, f"after {writer.__name__}({text!r}):\n" + "\n".join(broken)


def test_the_probes_reach_past_authentication(gateway: Gateway, errors: ServerErrors) -> None:
    """The harness signs as each API expects: a plain call with each kind of credential
    succeeds, so the hostile ones are judged by the parsers, not refused at the door."""
    probes = [
        _ec2("DescribeRegions"),
        Probe("ec2", "GET", "/", (("Action", "DescribeRegions"), ("Version", "2016-11-15")),
              auth=Auth.QUERY_SIGNED),
        _native("listZones"),
        Probe("native", "POST", "/client/api", (("command", "listZones"),), True,
              auth=Auth.SESSION),
        _http("occi", "GET", "/occi/compute/", "text/plain"),
        Probe("cimi", "GET", "/cimi/machines", headers=(("Accept", b"application/xml"),),
              auth=Auth.SESSION),
    ]  # fmt: skip
    for probe in probes:
        assert _sound(gateway, errors, probe).status == 200, probe.describe()
