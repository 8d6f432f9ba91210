"""Networks, NICs, security groups, public addresses and tags through core services."""

from __future__ import annotations

import ipaddress

import libvirt
import pytest
from sqlalchemy import select

from core.db.models import SecurityGroup
from core.enums import EventState, EventType, ResourceKind
from core.errors import Conflict, InvalidArgument, InvalidState, NotFound, QuotaExceeded
from core.hosts import network_xml
from core.network.rules import Direction
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.views import (
    AddressQuery,
    Caller,
    ImageQuery,
    ImageView,
    NetworkQuery,
    RuleRequest,
    SecurityGroupQuery,
    TagQuery,
)
from tests.unit.helpers import behind_cores_back, row_counts


def launch(services: Services, caller: Caller, **kwargs: object) -> str:
    request = LaunchRequest("tiny-linux", "t1.micro", **kwargs)  # type: ignore[arg-type]
    [instance] = services.compute.launch(caller, request).instances
    services.workers.run_pending()
    return instance.ref


def test_instance_gets_a_nic_with_a_reservation_on_the_default_network(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = launch(services, admin)
    instance = services.compute.get_instance(admin, ref)
    [nic] = instance.nics
    default = services.networks.get_network(admin, "default")
    assert (nic.network_id, nic.network_name, default.is_default) == (default.id, "default", True)
    assert nic.ip is None  # the test driver has no DHCP server, and no address is invented
    assert instance.private_ip is None
    assert instance.security_groups == ["default"]
    net = behind_cores_back(services).networkLookupByUUIDString(str(default.id))
    [(mac, ip)] = network_xml.dhcp_hosts(net.XMLDesc(0))
    assert mac == nic.mac
    assert ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(default.cidr)

    services.compute.terminate_instances(admin, [ref])
    services.workers.run_pending()
    assert network_xml.dhcp_hosts(net.XMLDesc(0)) == set()


def test_network_in_use_cannot_be_deleted(
    services: Services, admin: Caller, image: ImageView
) -> None:
    network = services.networks.create_network(admin, "blue", cidr="10.254.200.0/24")
    assert (network.cidr, network.gateway) == ("10.254.200.0/24", "10.254.200.1")
    ref = launch(services, admin, network="blue")
    with pytest.raises(Conflict):
        services.networks.delete_network(admin, network.ref)
    with pytest.raises(InvalidState):
        services.networks.delete_network(admin, "default")
    services.compute.terminate_instances(admin, [ref])
    services.workers.run_pending()
    services.networks.delete_network(admin, network.ref)
    services.workers.run_pending()
    with pytest.raises(NotFound):
        services.networks.get_network(admin, network.ref)
    with pytest.raises(libvirt.libvirtError):
        behind_cores_back(services).networkLookupByUUIDString(str(network.id))
    assert [n.name for n in services.networks.list_networks(admin, NetworkQuery()).items] == [
        "default"
    ]
    assert (EventType.NETWORK_DELETE, EventState.COMPLETED) in {
        (e.type, e.state) for e in services.events.list_events(admin).items
    }


@pytest.mark.parametrize(
    ("cidr", "error"),
    [
        ("10.254.200.1/24", InvalidArgument),  # host bits
        ("10.0.0.0/8", InvalidArgument),  # too big
        ("10.254.0.0/16", Conflict),  # overlaps the default network
        ("127.0.0.0/24", Conflict),  # overlaps the host's loopback
    ],
)
def test_bad_network_is_refused(
    services: Services, admin: Caller, cidr: str, error: type[Exception]
) -> None:
    services.networks.get_network(admin, "default")
    with pytest.raises(error):
        services.networks.create_network(admin, "x", cidr=cidr)


def test_security_groups_per_account_with_rules_and_events(
    services: Services, admin: Caller, alice: Caller
) -> None:
    with services.db.transaction() as session:  # made with the account, before any use
        assert (
            session.scalar(
                select(SecurityGroup.name).where(SecurityGroup.account_id == alice.account_id)
            )
            == "default"
        )
    [default] = services.security_groups.list_groups(alice, SecurityGroupQuery()).items
    assert default.name == "default"
    assert {(r.direction, r.protocol, r.cidr, r.source_group_name) for r in default.rules} == {
        ("egress", "all", "0.0.0.0/0", None),
        ("ingress", "all", None, "default"),
    }
    web = services.security_groups.create_group(alice, "web", "listeners")
    with pytest.raises(Conflict):
        services.security_groups.create_group(alice, "web")
    services.security_groups.create_group(admin, "web")  # names are per account

    ssh = RuleRequest("tcp", 22, 22, cidr="10.0.0.0/8")
    accepted = services.security_groups.authorize(alice, "web", Direction.INGRESS, [ssh])
    assert accepted.job_id is not None
    with pytest.raises(Conflict):
        services.security_groups.authorize(alice, "web", Direction.INGRESS, [ssh])
    services.security_groups.authorize(alice, "web", Direction.EGRESS, [ssh])  # other direction
    services.workers.run_pending()
    with pytest.raises(NotFound):
        services.security_groups.revoke(
            alice, web.ref, Direction.INGRESS, [RuleRequest("udp", 53, 53, cidr="0.0.0.0/0")]
        )
    services.security_groups.revoke(alice, web.ref, Direction.INGRESS, [ssh])
    services.workers.run_pending()
    rules = services.security_groups.get_group(alice, "web").rules
    assert [(r.direction, r.from_port) for r in rules] == [("egress", None), ("egress", 22)]
    completed = {
        e.type for e in services.events.list_events(alice).items if e.state is EventState.COMPLETED
    }
    assert {
        EventType.SG_CREATE,
        EventType.SG_AUTH_INGRESS,
        EventType.SG_AUTH_EGRESS,
        EventType.SG_REVOKE_INGRESS,
    } <= completed
    with pytest.raises(NotFound):
        services.security_groups.get_group(admin, "nope")


def test_group_in_use_or_cited_cannot_be_deleted(
    services: Services, admin: Caller, image: ImageView
) -> None:
    services.security_groups.create_group(admin, "app")
    services.security_groups.create_group(admin, "db")
    services.security_groups.authorize(
        admin, "db", Direction.INGRESS, [RuleRequest("tcp", 5432, 5432, source_group="app")]
    )
    ref = launch(services, admin, security_groups=("app",))
    assert services.compute.get_instance(admin, ref).security_groups == ["app"]
    with pytest.raises(Conflict):
        services.security_groups.delete_group(admin, "app")  # used, and cited by db
    with pytest.raises(InvalidState):
        services.security_groups.delete_group(admin, "default")
    services.compute.terminate_instances(admin, [ref])
    services.workers.run_pending()
    with pytest.raises(Conflict):
        services.security_groups.delete_group(admin, "app")  # still cited by db
    services.security_groups.delete_group(admin, "db")
    services.security_groups.delete_group(admin, "app")
    services.workers.run_pending()
    listed = services.security_groups.list_groups(admin, SecurityGroupQuery()).items
    assert [g.name for g in listed] == ["default"]


def test_bad_rules_change_nothing(services: Services, admin: Caller) -> None:
    services.security_groups.create_group(admin, "web")
    before = row_counts(services)
    for bad in (
        RuleRequest("tcp", 80, 79, cidr="0.0.0.0/0"),
        RuleRequest("tcp", 80, 80),
        RuleRequest("gre", cidr="0.0.0.0/0"),
        RuleRequest("tcp", 80, 80, source_group="no-such-group"),
    ):
        with pytest.raises((InvalidArgument, NotFound)):
            services.security_groups.authorize(
                admin, "web", Direction.INGRESS, [RuleRequest("udp", 1, 1, cidr="0.0.0.0/0"), bad]
            )
    assert row_counts(services) == before
    assert len(services.security_groups.get_group(admin, "web").rules) == 1


def test_public_addresses_are_allocated_associated_and_released(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    first = services.networks.allocate_address(admin).item
    second = services.networks.allocate_address(admin).item
    assert (first.ip, second.ip) == ("198.51.100.1", "198.51.100.2")
    ref = launch(services, admin)
    with pytest.raises(NotFound):
        services.networks.associate_address(alice, first.ip, ref)
    bound = services.networks.associate_address(admin, first.ip, ref)
    assert bound.instance_ref == ref
    with pytest.raises(Conflict):
        services.networks.associate_address(admin, second.ref, ref)
    with pytest.raises(Conflict):
        services.networks.release_address(admin, first.ref)
    assert services.networks.disassociate_address(admin, first.ref).item.instance_id is None
    services.networks.release_address(admin, first.ref)
    listed = services.networks.list_addresses(admin, AddressQuery()).items
    assert [a.ip for a in listed] == ["198.51.100.2"]
    assert services.networks.allocate_address(admin).item.ip == "198.51.100.1"  # back in the pool


def test_tags_on_every_kind_filter_and_limits(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    ref = launch(services, admin)
    volume = services.storage.create_volume(admin, size_gib=1).item
    group = services.security_groups.create_group(admin, "tagged")
    network = services.networks.get_network(admin, "default")
    address = services.networks.allocate_address(admin).item
    for kind, target in (
        (ResourceKind.INSTANCE, ref),
        (ResourceKind.VOLUME, volume.ref),
        (ResourceKind.SECURITY_GROUP, group.ref),
        (ResourceKind.NETWORK, network.ref),
        (ResourceKind.ADDRESS, address.ref),
        (ResourceKind.IMAGE, image.ref),
    ):
        services.tags.create_tags(admin, kind, [target], {"env": "prod"})
    listed = services.tags.list_tags(admin, TagQuery(keys=["env"])).items
    assert len(listed) == 6 and {t.value for t in listed} == {"prod"}
    assert [
        g.name
        for g in services.security_groups.list_groups(
            admin, SecurityGroupQuery(tags={"env": []})
        ).items
    ] == ["tagged"]
    assert services.networks.list_networks(admin, NetworkQuery(tags={"env": ["prod"]})).items
    assert not services.networks.list_addresses(admin, AddressQuery(tags={"env": ["dev"]})).items
    assert [
        i.ref for i in services.images.list_images(admin, ImageQuery(tags={"env": ["prod"]})).items
    ] == [image.ref]

    services.tags.create_tags(admin, ResourceKind.VOLUME, [volume.ref], {"env": "dev"})
    assert services.storage.get_volume(admin, volume.ref).tags == {"env": "dev"}  # overwritten
    with pytest.raises(QuotaExceeded):
        services.tags.create_tags(
            admin, ResourceKind.VOLUME, [volume.ref], {f"k{i}": "v" for i in range(50)}
        )
    with pytest.raises(NotFound):
        services.tags.create_tags(alice, ResourceKind.VOLUME, [volume.ref], {"a": "b"})
    services.tags.delete_tags(admin, ResourceKind.VOLUME, [volume.ref], {"env": "prod"})
    assert services.storage.get_volume(admin, volume.ref).tags == {"env": "dev"}  # value differs
    services.tags.delete_tags(admin, ResourceKind.VOLUME, [volume.ref], {"env": None})
    assert services.storage.get_volume(admin, volume.ref).tags == {}
    with pytest.raises(InvalidArgument):
        services.tags.create_tags(admin, ResourceKind.HOST, ["x"], {"a": "b"})
