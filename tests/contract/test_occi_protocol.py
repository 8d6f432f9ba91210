"""OCCI over plain HTTP: the query interface, the 1.1 and 1.2 renderings and negotiation, ids a
client chooses, PUT, filters, updates and actions, and that what OCCI does is what the native
API reports (the same instance, the same event types)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView, SnapshotQuery
from tests.contract.conftest import ServedCloud
from tests.contract.native import signed
from tests.contract.occi import (
    COMPUTE_KIND,
    OS_TPL,
    RESOURCE_TPL,
    OcciUser,
    until,
)

INFRA = "http://schemas.ogf.org/occi/infrastructure#"


@pytest.fixture
def user(served_cloud: ServedCloud, image: ImageView) -> Iterator[OcciUser]:
    made = OcciUser(served_cloud.url, served_cloud.account("occi-http"))
    yield made
    served_cloud.terminate_all(made.account)


@pytest.fixture
def flavor_id(services: Services) -> str:
    return str(min(services.catalog.list_flavors(), key=lambda f: f.memory_mib).id)


def _caller(services: Services, user: OcciUser) -> Caller:
    return services.identity.caller_for(user.account.account.name)


def _state(services: Services, user: OcciUser, location: str) -> InstanceState:
    return services.compute.get_instance(_caller(services, user), location.rsplit("/", 1)[1]).state


def test_the_query_interface_is_served_twice_alike_with_the_occi_headers(user: OcciUser) -> None:
    with user.http() as http:
        main = http.get("/occi/-/")
        well_known = http.get("/occi/.well-known/org/ogf/occi/-/")
    assert main.status_code == 200
    assert main.text == well_known.text
    assert main.headers["server"] == "Cloudgate OCCI/1.1"
    assert "json" not in main.headers["accept"]
    lines = main.text.splitlines()
    assert all(line.startswith("Category: ") for line in lines)
    for term, scheme in [
        ("entity", "http://schemas.ogf.org/occi/core#"),
        ("resource", "http://schemas.ogf.org/occi/core#"),
        ("link", "http://schemas.ogf.org/occi/core#"),
        ("compute", INFRA),
        ("storage", INFRA),
        ("network", INFRA),
        ("networkinterface", INFRA),
        ("storagelink", INFRA),
    ]:
        assert any(
            line.startswith(f'Category: {term};scheme="{scheme}";class="kind"') for line in lines
        )


def test_a_category_filter_narrows_the_query_interface(user: OcciUser) -> None:
    with user.http() as http:
        answer = http.get(
            "/occi/-/", headers={"Category": f'compute;scheme="{INFRA}";class="kind"'}
        )
    [line] = answer.text.splitlines()
    assert line.startswith(f'Category: compute;scheme="{INFRA}";class="kind";title=')
    assert 'location="/occi/compute/"' in line


def test_text_occi_carries_the_same_renderings_in_headers(user: OcciUser) -> None:
    with user.http() as http:
        plain = http.get("/occi/-/").text.splitlines()
        headers = http.get("/occi/-/", headers={"Accept": "text/occi"})
    assert headers.text == "OK"
    assert headers.headers["content-type"].startswith("text/occi")
    assert headers.headers["category"].split(",") == [p.removeprefix("Category: ") for p in plain]


def test_occi_1_2_renderings(user: OcciUser, image: ImageView, flavor_id: str) -> None:
    with user.http() as http:
        model = http.get("/occi/-/", headers={"Accept": "application/occi+json"})
        plain_1_2 = http.get("/occi/-/", headers={"Accept": "text/occi+plain"})
        created = http.post(
            "/occi/compute/",
            json={
                "kind": f"{INFRA}compute",
                "mixins": [f"{OS_TPL}image-{image.id}", f"{RESOURCE_TPL}flavor-{flavor_id}"],
                "attributes": {"occi.core.title": "from-json"},
            },
            headers={"Content-Type": "application/occi+json", "Accept": "application/occi+json"},
        )
        rendered = http.get(created.headers["location"], headers={"Accept": "application/json"})
    assert model.headers["server"] == "Cloudgate OCCI/1.2"
    found = model.json()
    assert {k["term"] for k in found["kinds"]} >= {"compute", "storage", "network"}
    compute = next(k for k in found["kinds"] if k["term"] == "compute")
    assert compute["parent"] == "http://schemas.ogf.org/occi/core#resource"
    assert compute["attributes"]["occi.compute.state"]["mutable"] is False
    assert any(m["term"] == f"image-{image.id}" for m in found["mixins"])
    assert plain_1_2.headers["content-type"].startswith("text/occi+plain")
    assert plain_1_2.headers["server"] == "Cloudgate OCCI/1.2"
    assert created.status_code == 201
    body = rendered.json()
    assert body["kind"] == f"{INFRA}compute"
    assert body["title"] == "from-json"
    assert body["id"] == created.headers["location"].rsplit("/", 1)[1]
    assert f"{OS_TPL}image-{image.id}" in body["mixins"]
    [interface] = [k for k in body["links"] if k["kind"] == f"{INFRA}networkinterface"]
    assert interface["source"]["location"] == created.headers["location"]
    assert interface["target"]["kind"] == f"{INFRA}network"


def test_the_id_a_client_chooses_names_the_compute(
    user: OcciUser, services: Services, image: ImageView, flavor_id: str
) -> None:
    chosen = uuid.uuid4()
    body = (
        f"{COMPUTE_KIND}\n"
        f'Category: image-{image.id};scheme="{OS_TPL}";class="mixin"\n'
        f'Category: flavor-{flavor_id};scheme="{RESOURCE_TPL}";class="mixin"\n'
        f'X-OCCI-Attribute: occi.core.id="urn:uuid:{chosen}"\n'
    )
    with user.http() as http:
        created = http.post("/occi/compute/", content=body, headers={"Content-Type": "text/plain"})
        again = http.post("/occi/compute/", content=body, headers={"Content-Type": "text/plain"})
    assert created.headers["location"] == f"/occi/compute/{chosen}"
    assert created.text == f"X-OCCI-Location: /occi/compute/{chosen}"
    assert services.compute.get_instance(_caller(services, user), str(chosen)).id == chosen
    assert again.status_code == 409


def test_put_creates_at_its_location_then_updates(
    user: OcciUser, services: Services, image: ImageView, flavor_id: str
) -> None:
    location = f"/occi/compute/{uuid.uuid4()}"
    body = (
        f"{COMPUTE_KIND}\n"
        f'Category: image-{image.id};scheme="{OS_TPL}";class="mixin"\n'
        f'Category: flavor-{flavor_id};scheme="{RESOURCE_TPL}";class="mixin"\n'
        'X-OCCI-Attribute: occi.core.title="put-made"\n'
    )
    with user.http() as http:
        created = http.put(location, content=body, headers={"Content-Type": "text/plain"})
        renamed = http.put(
            location,
            content=f'{COMPUTE_KIND}\nX-OCCI-Attribute: occi.core.title="put-renamed"\n',
            headers={"Content-Type": "text/plain"},
        )
    assert (created.status_code, created.headers["location"]) == (201, location)
    assert renamed.status_code == 200
    assert 'X-OCCI-Attribute: occi.core.title="put-renamed"' in renamed.text
    instance = services.compute.get_instance(_caller(services, user), location.rsplit("/", 1)[1])
    assert instance.name == "put-renamed"


def test_collections_filter_by_attribute_category_and_mixin(
    user: OcciUser, image: ImageView, flavor_id: str
) -> None:
    first = user.create_compute(str(image.id), flavor_id, "alpha")
    second = user.create_compute(str(image.id), flavor_id, "beta")
    os_tpl = f'image-{image.id};scheme="{OS_TPL}";class="mixin"'
    with user.http() as http:
        by_title = http.get(
            "/occi/compute/",
            headers={"Accept": "text/uri-list", "X-OCCI-Attribute": 'occi.core.title="beta"'},
        )
        by_mixin = http.get("/occi/compute/", headers={"Category": os_tpl})
        in_mixin = http.get(f"/occi/mixin/os_tpl/image-{image.id}/")
        everything = http.get("/occi/", headers={"Accept": "text/uri-list"})
    assert by_title.text.split() == [second]
    assert by_title.headers["content-type"].startswith("text/uri-list")
    assert {f"X-OCCI-Location: {first}", f"X-OCCI-Location: {second}"} <= set(
        by_mixin.text.splitlines()
    )
    assert {first, second} <= {
        line.removeprefix("X-OCCI-Location: ") for line in in_mixin.text.splitlines()
    }
    assert {first, second} <= set(everything.text.split())


def _native(served_cloud: ServedCloud, user: OcciUser, **params: str) -> dict[str, object]:
    query = signed({**params, "response": "json"}, user.account.access_key, user.account.secret_key)
    answer = httpx.get(f"{served_cloud.url}/client/api", params=query, timeout=30)
    return dict(answer.json())


def test_what_occi_does_the_native_api_sees(
    user: OcciUser,
    services: Services,
    image: ImageView,
    flavor_id: str,
    served_cloud: ServedCloud,
) -> None:
    location = user.create_compute(str(image.id), flavor_id, "seen-natively")
    id_ = location.rsplit("/", 1)[1]
    until(lambda: _state(services, user, location) is InstanceState.RUNNING)
    action = f'Category: stop;scheme="{INFRA.removesuffix("#")}/compute/action#";class="action"'
    with user.http() as http:
        renamed = http.post(
            location,
            content='X-OCCI-Attribute: occi.core.title="renamed"\n',
            headers={"Content-Type": "text/plain"},
        )
        stopped = http.post(
            "/occi/compute/?action=stop", content=action, headers={"Content-Type": "text/plain"}
        )
    assert renamed.status_code == 200
    assert stopped.status_code == 200
    until(lambda: _state(services, user, location) is InstanceState.STOPPED)
    listed = _native(served_cloud, user, command="listVirtualMachines", id=id_)
    [vm] = listed["listvirtualmachinesresponse"]["virtualmachine"]  # type: ignore[index]
    assert (vm["id"], vm["name"], vm["state"], vm["templateid"]) == (
        id_,
        "renamed",
        "Stopped",
        str(image.id),
    )
    events = _native(served_cloud, user, command="listEvents")
    types = {e["type"] for e in events["listeventsresponse"]["event"]}  # type: ignore[index]
    assert {"VM.CREATE", "VM.UPDATE", "VM.STOP"} <= types


def test_storage_and_network_life_cycles(user: OcciUser, services: Services) -> None:
    storage_kind = f'Category: storage;scheme="{INFRA}";class="kind"'
    network_kind = f'Category: network;scheme="{INFRA}";class="kind"'
    ipnetwork = 'Category: ipnetwork;scheme="http://schemas.ogf.org/occi/infrastructure/network#";class="mixin"'
    storage_action = "http://schemas.ogf.org/occi/infrastructure/storage/action#"
    network_action = "http://schemas.ogf.org/occi/infrastructure/network/action#"
    with user.http() as http:
        storage = http.post(
            "/occi/storage/",
            content=f'{storage_kind}\nX-OCCI-Attribute: occi.core.title="data"\n'
            "X-OCCI-Attribute: occi.storage.size=1\n",
            headers={"Content-Type": "text/plain"},
        ).headers["location"]
        volume = storage.rsplit("/", 1)[1]
        caller = _caller(services, user)
        until(lambda: services.storage.get_volume(caller, volume).state.value == "available")
        grown = http.post(
            f"{storage}?action=resize",
            content=f'Category: resize;scheme="{storage_action}";class="action"\n'
            "X-OCCI-Attribute: method=2\n".replace("method", "occi.storage.size"),
            headers={"Content-Type": "text/plain"},
        )
        snapshot = http.post(
            f"{storage}?action=snapshot",
            content=f'Category: snapshot;scheme="{storage_action}";class="action"\n',
            headers={"Content-Type": "text/plain"},
        )
        network = http.post(
            "/occi/network/",
            content=f'{network_kind}\n{ipnetwork}\nX-OCCI-Attribute: occi.core.title="lab"\n'
            'X-OCCI-Attribute: occi.network.address="10.77.3.0/24"\n',
            headers={"Content-Type": "text/plain"},
        )
        shown = http.get(network.headers["location"]).text
        up = http.post(
            f"{network.headers['location']}?action=up",
            content=f'Category: up;scheme="{network_action}";class="action"\n',
            headers={"Content-Type": "text/plain"},
        )
        down = http.post(
            f"{network.headers['location']}?action=down",
            content=f'Category: down;scheme="{network_action}";class="action"\n',
            headers={"Content-Type": "text/plain"},
        )
        deleted = http.delete(network.headers["location"])
        gone = http.get(network.headers["location"])
    assert grown.status_code == 200, grown.text
    until(lambda: services.storage.get_volume(caller, volume).size_gib == 2)
    assert snapshot.status_code == 200, snapshot.text
    assert [
        s.volume_id for s in services.storage.list_snapshots(caller, SnapshotQuery()).items
    ] == [uuid.UUID(volume)]
    assert network.status_code == 201
    assert 'X-OCCI-Attribute: occi.network.address="10.77.3.0/24"' in shown
    assert 'X-OCCI-Attribute: occi.network.state="active"' in shown
    assert (up.status_code, down.status_code) == (200, 400)
    assert deleted.status_code == 200
    assert gone.status_code == 404


def test_json_collections_render_every_member(
    user: OcciUser, image: ImageView, flavor_id: str
) -> None:
    location = user.create_compute(str(image.id), flavor_id, "in-json")
    with user.http() as http:
        answer = http.get("/occi/compute/", headers={"Accept": "application/occi+json"})
    members = json.loads(answer.text)["resources"]
    assert [m["location"] for m in members] == [location]


def test_a_collection_delete_removes_all_or_nothing(
    user: OcciUser, services: Services, image: ImageView, flavor_id: str
) -> None:
    """Storage: a compute's root disk is listed and cannot go, so nothing goes. Networks: the
    caller's own go, the zone's shared one (listed to every account) stays."""
    storage_kind = f'Category: storage;scheme="{INFRA}";class="kind"'
    network_kind = f'Category: network;scheme="{INFRA}";class="kind"'
    caller = _caller(services, user)
    user.create_compute(str(image.id), flavor_id, "has-a-root-disk")
    with user.http() as http:
        data = http.post(
            "/occi/storage/",
            content=f"{storage_kind}\nX-OCCI-Attribute: occi.storage.size=1\n",
            headers={"Content-Type": "text/plain"},
        ).headers["location"]
        own = http.post(
            "/occi/network/",
            content=f'{network_kind}\nX-OCCI-Attribute: occi.core.title="own"\n',
            headers={"Content-Type": "text/plain"},
        ).headers["location"]
        listed = http.get("/occi/network/", headers={"Accept": "text/uri-list"}).text.split()
        refused = http.delete("/occi/storage/")
        still = http.get(data)
        networks_deleted = http.delete("/occi/network/")
        left = http.get("/occi/network/", headers={"Accept": "text/uri-list"}).text.split()
    assert refused.status_code == 409
    assert "root disk" in refused.text
    assert still.status_code == 200
    assert networks_deleted.status_code == 200
    assert own in listed
    assert left == [n for n in listed if n != own] and left
    until(
        lambda: (
            services.storage.get_volume(caller, data.rsplit("/", 1)[1]).state.value == "available"
        )
    )
    with user.http() as http:
        assert http.delete(data).status_code == 200
