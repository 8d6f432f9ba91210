"""Listings (instances, volumes) cost a fixed number of SQL statements, filtered and paged in SQL.

Statements are counted with a SQLAlchemy event listener on the engine: a listing that read
related rows per instance would issue more statements at 200 instances than at 10.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import ADMIN_ACCOUNT, bootstrap
from core.enums import ResourceKind
from core.errors import InvalidArgument
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, InstanceQuery, InterfaceQuery, VolumeQuery
from tests.unit.conftest import make_settings
from tests.unit.helpers import counted


@pytest.fixture
def roomy(tmp_path: Path) -> Iterator[Services]:
    """A cloud whose one test-driver host takes hundreds of instances."""
    settings = dataclasses.replace(
        make_settings(tmp_path),
        cpu_overcommit=1000.0,
        memory_overcommit=1000.0,
        disk_overcommit=1000.0,
        max_instances_per_request=100,
    )
    built = Services(settings)
    bootstrap(built)
    disk = tmp_path / "base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    built.images.register(built.identity.caller_for(ADMIN_ACCOUNT), disk, name="tiny", public=True)
    yield built
    built.close()


def populate(services: Services, owner: Caller, count: int, *, start_index: int = 0) -> list[str]:
    """``count`` instances with what a listing shows beside each: a NIC on the default
    network, a root volume, the default group, tags, and for some a public address."""
    refs: list[str] = []
    while len(refs) < count:
        batch = min(100, count - len(refs))
        reservation = services.compute.launch(
            owner,
            LaunchRequest(
                image="tiny", flavor="t1.micro", count=batch, tags={"role": "web", "n": "1"}
            ),
        )
        refs.extend(i.ref for i in reservation.instances)
    for ref in refs[start_index::7]:
        address = services.networks.allocate_address(owner).item
        services.networks.associate_address(owner, address.ref, ref)
    return refs


def statements_to_list(services: Services, caller: Caller, query: InstanceQuery) -> int:
    with counted(services) as statements:
        page = services.compute.list_instances(caller, query)
    assert page.items, "the listing must show something for its count to mean anything"
    assert all(i.nics and i.groups and i.volumes for i in page.items)
    return len(statements)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(InstanceQuery(), id="all"),
        pytest.param(InstanceQuery(limit=5), id="first-page-of-5"),
        pytest.param(
            InstanceQuery(tags={"role": ["web"]}, states=[InstanceState.PENDING]), id="filtered"
        ),
    ],
)
def test_statements_do_not_grow_with_the_instances(roomy: Services, query: InstanceQuery) -> None:
    admin = roomy.identity.caller_for(ADMIN_ACCOUNT)
    populate(roomy, admin, 10)
    at_10 = statements_to_list(roomy, admin, query)
    populate(roomy, admin, 190)
    at_200 = statements_to_list(roomy, admin, query)
    assert at_200 == at_10
    assert at_10 <= 12


def test_interface_listings_are_windowed_and_filtered_in_sql(roomy: Services) -> None:
    admin = roomy.identity.caller_for(ADMIN_ACCOUNT)

    def statements(query: InterfaceQuery) -> int:
        with counted(roomy) as seen:
            page = roomy.compute.list_interfaces(admin, query)
        assert page.items and all(i.nic.ref == i.ref for i in page.items)
        return len(seen)

    refs = populate(roomy, admin, 10)
    network = roomy.compute.get_instance(admin, refs[0]).nics[0].network_ref
    queries = [InterfaceQuery(), InterfaceQuery(limit=5), InterfaceQuery(networks=[network])]
    at_10 = [statements(q) for q in queries]
    populate(roomy, admin, 190)
    assert [statements(q) for q in queries] == at_10
    assert max(at_10) <= 12

    one = roomy.compute.get_instance(admin, refs[3])
    [nic] = one.nics
    by_instance = roomy.compute.list_interfaces(admin, InterfaceQuery(instances=[one.ref]))
    assert [(i.ref, i.instance.ref) for i in by_instance.items] == [(nic.ref, one.ref)]
    by_mac = roomy.compute.list_interfaces(admin, InterfaceQuery(macs=[nic.mac], ids=[nic.ref]))
    assert [i.ref for i in by_mac.items] == [nic.ref]
    roomy.compute.terminate_instances(admin, [one.ref])
    roomy.workers.run_pending()
    gone = roomy.compute.list_interfaces(admin, InterfaceQuery(instances=[one.ref]))
    assert gone.items == [] and gone.total == 0


def test_a_listing_shows_each_instance_with_its_related_resources(roomy: Services) -> None:
    admin = roomy.identity.caller_for(ADMIN_ACCOUNT)
    refs = populate(roomy, admin, 8)
    listed = {i.ref: i for i in roomy.compute.list_instances(admin, InstanceQuery()).items}
    assert set(listed) == set(refs)
    for index, ref in enumerate(refs):
        view = listed[ref]
        assert [g.name for g in view.groups] == ["default"]
        assert [(v.device, v.volume_type.value) for v in view.volumes] == [("vda", "root")]
        [nic] = view.nics
        assert (nic.network_name, nic.vpc_ref is not None) == ("default", True)
        assert view.tags == {"role": "web", "n": "1"}
        assert view.account_name == ADMIN_ACCOUNT
        assert (view.address is not None) == (index % 7 == 0)
        assert view == roomy.compute.get_instance(admin, ref)


def test_cursor_pages_walk_every_instance_once(roomy: Services) -> None:
    admin = roomy.identity.caller_for(ADMIN_ACCOUNT)
    refs = populate(roomy, admin, 23)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = roomy.compute.list_instances(admin, InstanceQuery(limit=5, after=cursor))
        seen.extend(i.ref for i in page.items)
        pages += 1
        assert page.total == 23
        cursor = page.next_cursor
        if cursor is None:
            break
    assert (sorted(seen), len(seen), pages) == (sorted(refs), 23, 5)
    last = roomy.compute.list_instances(admin, InstanceQuery(limit=3, offset=20))
    assert (len(last.items), last.next_cursor) == (3, None)


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="not-base64"),
        pytest.param("Zm9vfGJhcg==", id="foo|bar"),
        pytest.param(
            "MjAyNi0wMS0wMVQwMDowMDowMHwwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA==",
            id="naive-time",
        ),
    ],
)
def test_a_bad_cursor_is_invalid_argument(roomy: Services, cursor: str) -> None:
    admin = roomy.identity.caller_for(ADMIN_ACCOUNT)
    populate(roomy, admin, 1)
    with pytest.raises(InvalidArgument):
        roomy.compute.list_instances(admin, InstanceQuery(after=cursor))


def test_query_fields_select_in_sql(roomy: Services) -> None:
    admin = roomy.identity.caller_for(ADMIN_ACCOUNT)
    roomy.identity.create_account("bob")
    bob = roomy.identity.caller_for("bob")
    mine = populate(roomy, admin, 3)
    [theirs] = populate(roomy, bob, 1)
    roomy.compute.update_instance(admin, mine[0], name="Web-Front")
    roomy.tags.create_tags(admin, ResourceKind.INSTANCE, [mine[1]], {"tier": "db"})

    def refs(caller: Caller = admin, **fields: Any) -> set[str]:
        return {i.ref for i in roomy.compute.list_instances(caller, InstanceQuery(**fields)).items}

    assert refs(name_contains="web-fr") == {mine[0]}
    assert refs(tag_keys=["tier"]) == {mine[1]}
    assert refs(tag_values=["db"]) == {mine[1]}
    assert refs(flavors=["t1.micro"]) == {*mine, theirs}  # an admin sees every account's
    assert refs(flavors=["t1.micro"], accounts=[admin.account_id]) == set(mine)
    assert refs(flavors=["m1.large"]) == set()
    assert refs(images=["tiny"]) == set()  # images are named by ref or id, not by name
    assert refs(networks=["not-a-network"]) == set()
    assert refs(bob) == {theirs}


def test_volume_listings_are_windowed_and_filtered_in_sql(roomy: Services) -> None:
    admin = roomy.identity.caller_for(ADMIN_ACCOUNT)

    def make(count: int, start: int) -> list[str]:
        return [
            roomy.storage.create_volume(
                admin, size_gib=1, name=f"data-{n}", volume_tags={"n": str(n % 3)}
            ).item.ref
            for n in range(start, start + count)
        ]

    def statements(query: VolumeQuery) -> int:
        with counted(roomy) as seen:
            assert roomy.storage.list_volumes(admin, query).items
        return len(seen)

    made = make(5, 0)
    few = [statements(VolumeQuery(limit=2)), statements(VolumeQuery(tags={"n": ["1"]}))]
    made += make(40, 5)
    assert [statements(VolumeQuery(limit=2)), statements(VolumeQuery(tags={"n": ["1"]}))] == few

    seen, cursor = [], None
    while True:
        page = roomy.storage.list_volumes(admin, VolumeQuery(limit=7, after=cursor))
        seen.extend(v.ref for v in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert (seen, page.total) == (made, 45)

    def refs(**fields: Any) -> list[str]:
        return [v.ref for v in roomy.storage.list_volumes(admin, VolumeQuery(**fields)).items]

    assert refs(names=["data-7"]) == [made[7]]
    assert refs(name_contains="DATA-4") == [made[4], *made[40:45]]
    assert refs(tag_values=["2"]) == made[2::3]
    assert refs(zones=["no-such-zone"]) == []
