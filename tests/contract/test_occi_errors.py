"""Bad input through OCCI: every refusal is the right 4xx with a text body, never a 5xx, and
changes nothing (no instance, volume, network or job more than before)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from core.enums import JobStatus
from core.services.container import Services
from core.views import ImageView, InstanceQuery, NetworkQuery, VolumeQuery
from tests.contract.conftest import ServedCloud
from tests.contract.occi import COMPUTE_KIND, OS_TPL, RESOURCE_TPL, OcciUser, until

TEXT = {"Content-Type": "text/plain"}
ACTION = 'Category: {term};scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#";class="action"'


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # "{compute}" stands for a compute of the account, "{theirs}" another account's
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=lambda: dict(TEXT))


def _compute_body(os_tpl: str = "{image}", resource_tpl: str = "{flavor}", extra: str = "") -> str:
    return (
        f"{COMPUTE_KIND}\n"
        f'Category: image-{os_tpl};scheme="{OS_TPL}";class="mixin"\n'
        f'Category: flavor-{resource_tpl};scheme="{RESOURCE_TPL}";class="mixin"\n'
        f"{extra}"
    )


UNKNOWN = uuid.UUID(int=7)
UNFINISHED = (JobStatus.PENDING, JobStatus.RUNNING)
CASES = [
    Case("no scheme", "POST", "/occi/compute/", 400, "Category: compute;class=\"kind\"\n"),
    Case("control characters in the path", "GET", "/occi/%1F%0A%00/", 404, ""),
    Case("term with a space", "POST", "/occi/compute/", 400,
         'Category: com pute;scheme="http://schemas.ogf.org/occi/infrastructure#";class="kind"\n'),
    Case("class unknown", "POST", "/occi/compute/", 400,
         'Category: compute;scheme="http://schemas.ogf.org/occi/infrastructure#";class="thing"\n'),
    Case("not a rendering line", "POST", "/occi/compute/", 400, "Hello: world\n"),
    Case("unterminated quote", "POST", "/occi/compute/", 400,
         _compute_body(extra='X-OCCI-Attribute: occi.core.title="open\n')),
    Case("unquoted attribute text", "POST", "/occi/compute/", 400,
         _compute_body(extra="X-OCCI-Attribute: occi.core.title=two words\n")),
    Case("attribute twice", "POST", "/occi/compute/", 400,
         _compute_body(extra='X-OCCI-Attribute: occi.core.title="a"\n'
                             'X-OCCI-Attribute: occi.core.title="b"\n')),
    Case("unknown attribute", "POST", "/occi/compute/", 400,
         _compute_body(extra='X-OCCI-Attribute: occi.compute.colour="red"\n')),
    Case("state set by the client", "POST", "/occi/compute/", 400,
         _compute_body(extra='X-OCCI-Attribute: occi.compute.state="active"\n')),
    Case("cores unlike the flavor", "POST", "/occi/compute/", 400,
         _compute_body(extra="X-OCCI-Attribute: occi.compute.cores=64\n")),
    Case("id not a UUID", "POST", "/occi/compute/", 400,
         _compute_body(extra='X-OCCI-Attribute: occi.core.id="im-1234"\n')),
    Case("no kind", "POST", "/occi/compute/", 400,
         'X-OCCI-Attribute: occi.core.title="x"\n'),
    Case("two kinds", "POST", "/occi/compute/", 400,
         f"{COMPUTE_KIND}\n{COMPUTE_KIND}\n"),
    Case("two kinds in one text/occi header", "POST", "/occi/compute/", 400, "",
         {"Content-Type": "text/occi",
          "Category": ",".join([COMPUTE_KIND.removeprefix("Category: ")] * 2)}),
    Case("an attribute twice in text/occi headers", "POST", "/occi/compute/", 400, "",
         {"Content-Type": "text/occi",
          "X-OCCI-Attribute": 'occi.core.title="a",occi.core.title="b"'}),
    Case("unknown kind", "POST", "/occi/compute/", 404,
         'Category: robot;scheme="http://example.org/occi#";class="kind"\n'),
    Case("storage kind at the compute location", "POST", "/occi/compute/", 400,
         'Category: storage;scheme="http://schemas.ogf.org/occi/infrastructure#";class="kind"\n'),
    Case("unknown mixin", "POST", "/occi/compute/", 404,
         _compute_body(extra='Category: gold;scheme="http://example.org/occi#";class="mixin"\n')),
    Case("os_tpl of no image", "POST", "/occi/compute/", 404, _compute_body(os_tpl=str(UNKNOWN))),
    Case("os_tpl term not ours", "POST", "/occi/compute/", 404,
         _compute_body(os_tpl="x").replace("image-x", "ubuntu")),
    Case("no resource_tpl", "POST", "/occi/compute/", 400,
         f'{COMPUTE_KIND}\nCategory: image-{{image}};scheme="{OS_TPL}";class="mixin"\n'),
    Case("mixin of another kind", "POST", "/occi/compute/", 400,
         _compute_body(extra='Category: ipnetwork;scheme='
                             '"http://schemas.ogf.org/occi/infrastructure/network#";class="mixin"\n')),
    Case("user data not base64", "POST", "/occi/compute/", 400,
         _compute_body(extra='Category: user_data;scheme="http://schemas.openstack.org/compute/'
                             'instance#";class="mixin"\n'
                             'X-OCCI-Attribute: org.openstack.compute.user_data="%%%"\n')),
    Case("ssh key not a key", "POST", "/occi/compute/", 400,
         _compute_body(extra='Category: public_key;scheme="http://schemas.openstack.org/instance/'
                             'credentials#";class="mixin"\n'
                             'X-OCCI-Attribute: org.openstack.credentials.publickey.data="hi"\n')),
    Case("inline link to storage", "POST", "/occi/compute/", 400,
         _compute_body(extra=f"Link: </occi/storage/{UNKNOWN}>;rel=\"http://schemas.ogf.org/"
                             'occi/infrastructure#storage"\n')),
    Case("inline link to no network", "POST", "/occi/compute/", 404,
         _compute_body(extra=f"Link: </occi/network/{UNKNOWN}>;rel=\"http://schemas.ogf.org/"
                             'occi/infrastructure#network"\n')),
    Case("JSON that is not JSON", "POST", "/occi/compute/", 400, "{kind:",
         {"Content-Type": "application/occi+json"}),
    Case("JSON kind not an identifier", "POST", "/occi/compute/", 400, '{"kind": 7}',
         {"Content-Type": "application/occi+json"}),
    Case("body not UTF-8", "POST", "/occi/compute/", 400, "\udcff",
         {"Content-Type": "text/plain"}),
    Case("Content-Type we cannot read", "POST", "/occi/compute/", 406, "<compute/>",
         {"Content-Type": "application/xml"}),
    Case("Accept we cannot render", "GET", "/occi/compute/", 406, "",
         {"Accept": "application/xml"}),
    Case("uri-list for one entity", "GET", "/occi/compute/{compute}", 400, "",
         {"Accept": "text/uri-list"}),
    Case("a newer OCCI", "GET", "/occi/-/", 501, "", {"User-Agent": "future OCCI/1.3"}),
    Case("storage without size", "POST", "/occi/storage/", 400,
         'Category: storage;scheme="http://schemas.ogf.org/occi/infrastructure#";class="kind"\n'),
    Case("storage of a fraction", "POST", "/occi/storage/", 400,
         'Category: storage;scheme="http://schemas.ogf.org/occi/infrastructure#";class="kind"\n'
         "X-OCCI-Attribute: occi.storage.size=1.5\n"),
    Case("network vlan", "POST", "/occi/network/", 400,
         'Category: network;scheme="http://schemas.ogf.org/occi/infrastructure#";class="kind"\n'
         'X-OCCI-Attribute: occi.core.title="n"\nX-OCCI-Attribute: occi.network.vlan=7\n'),
    Case("unknown action", "POST", "/occi/compute/{compute}?action=fly", 400,
         ACTION.format(term="fly") + "\n"),
    Case("action body unlike the query", "POST", "/occi/compute/{compute}?action=stop", 400,
         ACTION.format(term="start") + "\n"),
    Case("action without ?action", "POST", "/occi/compute/{compute}", 400,
         ACTION.format(term="stop") + "\n"),
    Case("start a running compute", "POST", "/occi/compute/{compute}?action=start", 409,
         ACTION.format(term="start") + "\n"),
    Case("suspend", "POST", "/occi/compute/{compute}?action=suspend", 400,
         ACTION.format(term="suspend") + "\n"),
    Case("os_tpl change", "POST", "/occi/compute/{compute}", 400,
         f'Category: image-{UNKNOWN};scheme="{OS_TPL}";class="mixin"\n'),
    Case("not a UUID location", "GET", "/occi/compute/abc", 404),
    Case("no such compute", "GET", f"/occi/compute/{UNKNOWN}", 404),
    Case("nothing here", "GET", "/occi/robots/", 404),
    Case("PUT on a collection", "PUT", "/occi/compute/", 405),
    Case("user mixin", "POST", "/occi/-/", 403,
         'Category: mine;scheme="http://example.org/my#";class="mixin";location="/occi/mine/"\n'),
    Case("associate with a provider mixin", "POST", "/occi/mixin/os_tpl/", 403,
         "X-OCCI-Location: /occi/compute/{compute}\n"),
    Case("interface added later", "POST", "/occi/link/networkinterface/", 400,
         'Category: networkinterface;scheme="http://schemas.ogf.org/occi/infrastructure#";'
         'class="kind"\n'),
    Case("storagelink without ends", "POST", "/occi/link/storagelink/", 400,
         'Category: storagelink;scheme="http://schemas.ogf.org/occi/infrastructure#";class="kind"\n'),
    Case("another account's compute", "GET", "/occi/compute/{theirs}", 404),
    Case("delete another account's compute", "DELETE", "/occi/compute/{theirs}", 404),
    Case("stop another account's compute", "POST", "/occi/compute/{theirs}?action=stop", 404,
         ACTION.format(term="stop") + "\n"),
    Case("link to another account's compute", "POST", "/occi/link/storagelink/", 404,
         'Category: storagelink;scheme="http://schemas.ogf.org/occi/infrastructure#";class="kind"\n'
         'X-OCCI-Attribute: occi.core.source="/occi/compute/{theirs}"\n'
         f'X-OCCI-Attribute: occi.core.target="/occi/storage/{UNKNOWN}"\n'),
    Case("oversized body", "POST", "/occi/compute/", 413, "X" * (1024 * 1024 + 1)),
    # 12 KiB of filters in one header (uvicorn's h11 takes 16 KiB of headers at most; it closes
    # the connection on more, before the gateway sees the request)
    Case("a header of 300 Category filters", "GET", "/occi/-/", 200, "",
         {"Category": ",".join(f'c{n};scheme="http://e.org/x#";class="kind"' for n in range(300))}),
]  # fmt: skip


@dataclass
class World:
    user: OcciUser
    values: dict[str, str]
    services: Services


@pytest.fixture(scope="module")
def world(served_cloud: ServedCloud) -> Iterator[World]:
    """One account with a running compute and another account with one of its own."""
    image = served_cloud.image()
    services = served_cloud.services
    flavor = min(services.catalog.list_flavors(), key=lambda f: f.memory_mib)
    user = OcciUser(served_cloud.url, served_cloud.account("occi-bad"))
    other = OcciUser(served_cloud.url, served_cloud.account("occi-other"))
    mine = user.create_compute(str(image.id), str(flavor.id), "mine")
    theirs = other.create_compute(str(image.id), str(flavor.id), "theirs")
    caller = services.identity.caller_for(user.account.account.name)
    until(
        lambda: (
            services.compute.get_instance(caller, mine.rsplit("/", 1)[1]).state.value == "running"
        )
    )
    until(lambda: not services.jobs.list_jobs(caller, statuses=UNFINISHED).items)
    values = {
        "compute": mine.rsplit("/", 1)[1],
        "theirs": theirs.rsplit("/", 1)[1],
        "image": str(image.id),
        "flavor": str(flavor.id),
    }
    yield World(user, values, services)


def _rows(world: World) -> tuple[int, ...]:
    """What a refused request must leave as it was: the account's rows of every kind."""
    services = world.services
    caller = services.identity.caller_for(world.user.account.account.name)
    return (
        services.compute.list_instances(caller, InstanceQuery()).total,
        services.storage.list_volumes(caller, VolumeQuery()).total,
        services.networks.list_networks(caller, NetworkQuery()).total,
        services.jobs.list_jobs(caller).total,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_a_text_body_and_changes_nothing(
    world: World, case: Case
) -> None:
    before = _rows(world)
    path = case.path.format(**world.values)
    body = (
        case.body.replace("{image}", world.values["image"])
        .replace("{flavor}", world.values["flavor"])
        .replace("{compute}", world.values["compute"])
        .replace("{theirs}", world.values["theirs"])
    )
    with world.user.http() as http:
        answer = http.request(
            case.method,
            path,
            content=body.encode("utf-8", errors="surrogateescape"),
            headers=case.headers,
        )
    assert answer.status_code == case.status, answer.text
    if case.status >= 400:
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text.strip(), "an error explains itself"
        assert "Traceback" not in answer.text
        line = answer.text.removesuffix("\n")
        assert line.isprintable(), f"one line of printable text: {line!r}"
    assert _rows(world) == before


@pytest.mark.parametrize(
    "auth",
    [None, ("nobody", "x"), "wrong-password", "token"],
    ids=["none", "unknown user", "wrong password", "unknown token"],
)
def test_without_valid_credentials_nothing_is_served(
    world: World, auth: object, image: ImageView
) -> None:
    account = world.user.account
    headers = {"X-Auth-Token": "not-a-session"} if auth == "token" else {}
    basic = (account.username, "not-it") if auth == "wrong-password" else auth
    answer = httpx.get(
        f"{world.user.url}/occi/compute/",
        auth=basic if isinstance(basic, tuple) else None,
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert answer.text.strip()
