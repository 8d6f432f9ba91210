"""Network, VPC and public address listings: filtered and windowed in SQL, in a fixed number of
statements whatever their length, with what every API renders beside each row (a network's
VPC and addresses in use, an address's instance, interface and private address)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import bootstrap
from core.enums import NetworkState
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.views import AddressQuery, Caller, ImageView, NetworkQuery, VpcQuery
from tests.conftest import DatabaseTemplate
from tests.unit.conftest import make_settings
from tests.unit.helpers import counted


@pytest.fixture
def services(db_template: DatabaseTemplate, tmp_path: Path) -> Iterator[Services]:
    """Core with room on its one test-driver host for the instances addresses are bound to."""
    settings = dataclasses.replace(
        make_settings(tmp_path),
        cpu_overcommit=1000.0,
        memory_overcommit=1000.0,
        disk_overcommit=1000.0,
        max_instances_per_request=100,
    )
    built = db_template.services(settings)
    bootstrap(built)
    yield built
    built.close()


def launch(services: Services, caller: Caller, count: int = 1, **kwargs: Any) -> list[str]:
    request = LaunchRequest("tiny-linux", "t1.micro", count=count, **kwargs)
    return [i.ref for i in services.compute.launch(caller, request).instances]


def add_networks(services: Services, admin: Caller, vpc: str, start: int, count: int) -> None:
    """Networks ``start`` … ``start + count - 1``, tagged: even ones in ``vpc`` (10.20/16),
    odd ones in the default VPC."""
    for n in range(start, start + count):
        services.networks.create_network(
            admin,
            f"net-{n}",
            cidr=f"10.20.{n}.0/24" if n % 2 == 0 else None,
            vpc=vpc if n % 2 == 0 else None,
            network_tags={"role": "lab"},
        )


def add_vpcs(services: Services, admin: Caller, start: int, count: int) -> None:
    for n in range(start, start + count):
        services.networks.create_vpc(admin, f"10.{n}.0.0/16", {"role": "lab"})


def add_addresses(services: Services, admin: Caller, count: int) -> None:
    """``count`` tagged addresses, one in five bound to an instance of its own."""
    bound = launch(services, admin, count=-(-count // 5))
    for n in range(count):
        address = services.networks.allocate_address(admin, {"role": "lab"}).item
        if n % 5 == 0:
            services.networks.associate_address(admin, address.ref, bound[n // 5])


WINDOWS: dict[str, dict[str, Any]] = {
    "all": {},
    "first-page-of-5": {"limit": 5},
    "filtered": {"tags": {"role": ["lab"]}, "tag_keys": ["role"]},
}


def network_statements(services: Services, admin: Caller) -> dict[str, int]:
    found = {}
    for name, fields in WINDOWS.items():
        with counted(services) as statements:
            page = services.networks.list_networks(admin, NetworkQuery(**fields))
        assert page.items and all(n.vpc_ref for n in page.items)
        found[name] = len(statements)
    return found


def vpc_statements(services: Services, admin: Caller) -> dict[str, int]:
    found = {}
    for name, fields in WINDOWS.items():
        with counted(services) as statements:
            assert services.networks.list_vpcs(admin, VpcQuery(**fields)).items
        found[name] = len(statements)
    return found


def address_statements(services: Services, admin: Caller) -> dict[str, int]:
    found = {}
    for name, fields in WINDOWS.items():
        with counted(services) as statements:
            page = services.networks.list_addresses(admin, AddressQuery(**fields))
        assert any(a.nic_ref for a in page.items), "some must be bound for the count to mean it"
        found[name] = len(statements)
    return found


def test_network_statements_do_not_grow(services: Services, admin: Caller) -> None:
    vpc = services.networks.create_vpc(admin, "10.20.0.0/16").ref
    add_networks(services, admin, vpc, 0, 10)
    at_10 = network_statements(services, admin)
    add_networks(services, admin, vpc, 10, 190)
    assert network_statements(services, admin) == at_10
    assert max(at_10.values()) <= 10


def test_vpc_statements_do_not_grow(services: Services, admin: Caller) -> None:
    add_vpcs(services, admin, 0, 10)
    at_10 = vpc_statements(services, admin)
    add_vpcs(services, admin, 10, 190)
    assert vpc_statements(services, admin) == at_10
    assert max(at_10.values()) <= 6


def test_address_statements_do_not_grow(
    services: Services, admin: Caller, image: ImageView
) -> None:
    add_addresses(services, admin, 10)
    at_10 = address_statements(services, admin)
    add_addresses(services, admin, 190)
    assert address_statements(services, admin) == at_10
    assert max(at_10.values()) <= 7


def test_network_query_fields(services: Services, admin: Caller, alice: Caller) -> None:
    vpc = services.networks.create_vpc(admin, "10.20.0.0/16")
    inside = services.networks.create_network(
        admin, "Lab-Inside", cidr="10.20.1.0/24", vpc=vpc.ref, description="the lab"
    )
    outside = services.networks.create_network(
        admin, "plain", cidr="10.254.90.0/24", network_tags={"env": "prod"}
    )
    theirs = services.networks.create_network(alice, "theirs", description="Alice's LAB")
    default = services.networks.get_network(admin, "default")
    [default_vpc] = services.networks.list_vpcs(admin, VpcQuery(is_default=True)).items

    def refs(caller: Caller = admin, **fields: Any) -> list[str]:
        query = NetworkQuery(**fields)
        return [n.ref for n in services.networks.list_networks(caller, query).items]

    assert refs() == [default.ref, inside.ref, outside.ref, theirs.ref]
    assert refs(alice) == [default.ref, theirs.ref]  # the shared default network and its own
    assert refs(ids=[inside.ref, str(outside.id), "nonsense"]) == [inside.ref, outside.ref]
    assert refs(names=["plain"]) == [outside.ref]
    assert refs(text_contains="lab") == [inside.ref, theirs.ref]  # name or description
    assert refs(vpcs=[vpc.ref]) == [inside.ref]
    assert refs(vpcs=[str(default_vpc.id)]) == [default.ref, outside.ref, theirs.ref]
    assert refs(cidrs=["10.254.90.0/24"]) == [outside.ref]
    assert refs(shared=True) == refs(is_default=True) == [default.ref]
    assert refs(shared=False, accounts=[alice.account_id]) == [theirs.ref]
    assert refs(zones=["cloudgate-1a"]) == refs() and refs(zones=["elsewhere"]) == []
    assert refs(tags={"env": ["prod"]}) == refs(tag_keys=["env"]) == [outside.ref]
    assert refs(tag_values=["prod", "dev"]) == [outside.ref]
    assert refs(states=[NetworkState.DELETING]) == []
    first = services.networks.list_networks(admin, NetworkQuery(limit=2))
    rest = services.networks.list_networks(admin, NetworkQuery(after=first.next_cursor))
    assert (first.total, [n.ref for n in [*first.items, *rest.items]]) == (4, refs())


def test_a_network_shows_its_vpc(services: Services, admin: Caller) -> None:
    vpc = services.networks.create_vpc(admin, "10.20.0.0/16")
    inside = services.networks.create_network(admin, "in", cidr="10.20.1.0/24", vpc=vpc.ref)
    [default_vpc] = services.networks.list_vpcs(admin, VpcQuery(is_default=True)).items
    listed = {n.name: n for n in services.networks.list_networks(admin, NetworkQuery()).items}
    assert (listed["in"].vpc_ref, listed["default"].vpc_ref) == (vpc.ref, default_vpc.ref)
    assert inside == listed["in"] == services.networks.get_network(admin, inside.ref)


def test_vpc_query_fields(services: Services, admin: Caller, alice: Caller) -> None:
    mine = services.networks.create_vpc(admin, "10.20.0.0/16", {"env": "prod"})
    theirs = services.networks.create_vpc(alice, "10.30.0.0/16")
    [default] = services.networks.list_vpcs(admin, VpcQuery(is_default=True)).items

    def refs(caller: Caller = admin, **fields: Any) -> list[str]:
        return [v.ref for v in services.networks.list_vpcs(caller, VpcQuery(**fields)).items]

    assert refs() == [default.ref, mine.ref, theirs.ref]
    assert refs(alice) == [default.ref, theirs.ref]
    assert refs(ids=[mine.ref, str(theirs.id)]) == [mine.ref, theirs.ref]
    assert refs(is_default=False, accounts=[admin.account_id]) == [mine.ref]
    assert refs(cidrs=["10.30.0.0/16"]) == [theirs.ref]
    assert refs(tags={"env": ["prod"]}) == refs(tag_values=["prod"]) == [mine.ref]
    assert refs(states=[NetworkState.AVAILABLE], zones=["cloudgate-1a"]) == refs()
    services.networks.delete_vpc(admin, mine.ref)
    assert refs(ids=[mine.ref]) == []


def test_address_query_fields(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    network = services.networks.create_network(admin, "lab", cidr="10.20.1.0/24")
    [on_lab] = launch(services, admin, network="lab")
    [elsewhere] = launch(services, admin)
    bound, other, free = (services.networks.allocate_address(admin).item for _ in range(3))
    theirs = services.networks.allocate_address(alice, {"env": "dev"}).item
    services.networks.associate_address(admin, bound.ref, on_lab)
    services.networks.associate_address(admin, other.ref, elsewhere)

    def ips(caller: Caller = admin, **fields: Any) -> list[str]:
        query = AddressQuery(**fields)
        return [a.ip for a in services.networks.list_addresses(caller, query).items]

    assert ips() == [bound.ip, other.ip, free.ip, theirs.ip]
    assert ips(alice) == [theirs.ip]
    assert ips(ids=[bound.ref, str(other.id), free.ip]) == [bound.ip, other.ip, free.ip]
    assert ips(ips=[free.ip, "203.0.113.9"]) == [free.ip]
    assert ips(associated=True) == [bound.ip, other.ip]
    assert ips(associated=False) == [free.ip, theirs.ip]
    assert ips(instances=[on_lab]) == [bound.ip]
    assert ips(networks=[network.ref]) == [bound.ip]
    assert ips(accounts=[alice.account_id]) == ips(tag_keys=["env"]) == [theirs.ip]
    assert ips(tags={"env": ["dev"]}, zones=["cloudgate-1a"]) == [theirs.ip]
    assert ips(zones=["elsewhere"]) == []
    [view] = services.networks.list_addresses(admin, AddressQuery(ids=[bound.ref])).items
    instance = services.compute.get_instance(admin, on_lab)
    assert (view.instance_ref, view.nic_ref) == (on_lab, instance.nics[0].ref)
    assert view == services.networks.get_address(admin, bound.ref)
