"""Addressing arithmetic and the libvirt network XML built on it: pure, no database, no libvirt."""

from __future__ import annotations

import random
import re
import subprocess
import uuid
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from core.errors import CapacityUnavailable, InvalidArgument
from core.hosts import domain_xml, network_xml
from core.network import addressing


def test_new_mac_is_qemu_lowercase_and_avoids_taken() -> None:
    first = addressing.new_mac((), random.Random(7))
    assert re.fullmatch(r"52:54:00(:[0-9a-f]{2}){3}", first)
    # The same seed would give the same MAC again; taken (in any case) forces another.
    again = addressing.new_mac({first.upper()}, random.Random(7))
    assert again != first
    assert re.fullmatch(r"52:54:00(:[0-9a-f]{2}){3}", again)
    macs: set[str] = set()
    rng = random.Random(1)
    for _ in range(200):
        macs.add(addressing.new_mac(macs, rng))
    assert len(macs) == 200


def test_gateway_and_dhcp_range() -> None:
    net = IPv4Network("10.1.2.0/24")
    assert addressing.gateway_of(net) == "10.1.2.1"
    assert addressing.dhcp_range(net) == ("10.1.2.11", "10.1.2.254")
    assert addressing.dhcp_range(net, reserved_low=0) == ("10.1.2.2", "10.1.2.254")
    assert addressing.dhcp_range(IPv4Network("10.0.0.0/28")) == ("10.0.0.11", "10.0.0.14")
    with pytest.raises(CapacityUnavailable):
        addressing.dhcp_range(IPv4Network("10.0.0.0/28"), reserved_low=14)


def test_allocate_ip_skips_reserved_and_taken_then_fills_up() -> None:
    net = IPv4Network("10.0.0.0/28")
    assert addressing.allocate_ip(net, ()) == "10.0.0.11"
    assert addressing.allocate_ip(net, {"10.0.0.11", "10.0.0.13"}) == "10.0.0.12"
    taken: list[str] = []
    for _ in range(4):
        taken.append(addressing.allocate_ip(net, taken))
    assert taken == ["10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"]
    with pytest.raises(CapacityUnavailable) as caught:
        addressing.allocate_ip(net, taken)
    assert caught.value.resource == "addresses in network 10.0.0.0/28"


@given(
    prefix=st.integers(min_value=24, max_value=28),
    reserved_low=st.integers(min_value=0, max_value=12),
    picks=st.sets(st.integers(min_value=0, max_value=255)),
)
def test_allocate_ip_never_returns_a_forbidden_address(
    prefix: int, reserved_low: int, picks: set[int]
) -> None:
    net = IPv4Network(f"10.9.8.0/{prefix}")
    taken = {str(net.network_address + i) for i in picks if i < net.num_addresses}
    try:
        got = IPv4Address(addressing.allocate_ip(net, taken, reserved_low=reserved_low))
    except CapacityUnavailable:
        first = int(net.network_address) + 1 + max(1, reserved_low)
        free = [
            a for a in range(first, int(net.broadcast_address)) if str(IPv4Address(a)) not in taken
        ]
        assert free == []
        return
    assert got in net
    assert str(got) not in taken
    assert got not in (net.network_address, net.broadcast_address)
    assert str(got) != addressing.gateway_of(net)
    assert int(got) - int(net.network_address) > max(1, reserved_low)
    start, end = addressing.dhcp_range(net, reserved_low=reserved_low)
    assert IPv4Address(start) <= got <= IPv4Address(end)


@pytest.mark.parametrize(
    "value",
    ["10.0.0.0/16", "10.0.0.0/28", "172.31.16.0/20", "192.168.1.0/24"],
)
def test_parse_cidr_accepts(value: str) -> None:
    assert addressing.parse_cidr(value) == IPv4Network(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("10.0.0.1/24", "host bits"),
        ("10.0.0.0/15", "between /16 and /28"),
        ("10.0.0.0/29", "between /16 and /28"),
        ("10.0.0.0", "not a CIDR block"),
        ("fd00::/64", "not an IPv4"),
        ("garbage", "not a CIDR block"),
        ("10.0.0.0/x", "not a CIDR block"),
        ("10.0.0.300/24", "not a CIDR block"),
        ("", "not a CIDR block"),
    ],
)
def test_parse_cidr_rejects(value: str, why: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        addressing.parse_cidr(value, field="SubnetCidr")
    assert caught.value.field == "SubnetCidr"
    assert why in caught.value.why


def test_free_subnet_skips_used_and_avoided_then_runs_out() -> None:
    supernet = IPv4Network("10.0.0.0/22")
    assert addressing.free_subnet(supernet, 24, ()) == IPv4Network("10.0.0.0/24")
    used = [IPv4Network("10.0.0.0/24")]
    avoid = [IPv4Network("10.0.1.128/25")]  # partly overlapping blocks the whole /24
    assert addressing.free_subnet(supernet, 24, used, avoid) == IPv4Network("10.0.2.0/24")
    # A blocker bigger than the candidate is skipped in one step, and outsiders are ignored.
    wide = [IPv4Network("10.0.0.0/23"), IPv4Network("192.168.0.0/16")]
    assert addressing.free_subnet(supernet, 26, wide) == IPv4Network("10.0.2.0/26")
    full = [IPv4Network("10.0.0.0/23"), IPv4Network("10.0.2.0/24")]
    assert addressing.free_subnet(supernet, 24, full) == IPv4Network("10.0.3.0/24")
    with pytest.raises(CapacityUnavailable) as caught:  # one host address blocks the last /24
        addressing.free_subnet(supernet, 24, full, [IPv4Network("10.0.3.7/32")])
    assert caught.value.resource == "subnets in 10.0.0.0/22"


def test_allocate_public_ip_uses_the_whole_pool() -> None:
    pool = IPv4Network("203.0.113.0/29")
    assert addressing.allocate_public_ip(pool, ()) == "203.0.113.1"
    taken = ["203.0.113.1", "203.0.113.3"]
    assert addressing.allocate_public_ip(pool, taken) == "203.0.113.2"
    taken = [str(a) for a in pool.hosts()]
    with pytest.raises(CapacityUnavailable) as caught:
        addressing.allocate_public_ip(pool, taken)
    assert caught.value.resource == "public addresses"
    assert addressing.allocate_public_ip(IPv4Network("198.51.100.7/32"), ()) == "198.51.100.7"


def test_host_networks_include_loopback() -> None:
    found = addressing.host_networks()
    assert IPv4Network("127.0.0.0/8") in found
    assert all(isinstance(net, IPv4Network) for net in found)


def _validate(tmp_path: Path, xml: str, schema: str) -> None:
    file = tmp_path / f"{schema}.xml"
    file.write_text(xml)
    done = subprocess.run(["virt-xml-validate", str(file), schema], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _attrs(element: etree._Element) -> dict[str, str]:
    return {str(key): str(value) for key, value in element.items()}


def test_network_and_bridge_names() -> None:
    net = uuid.UUID("6f1c3f0e-9a55-4c1e-8b8e-2f3b2b7c9d10")
    assert network_xml.network_name(net) == f"cloudgate-{net}"
    assert network_xml.bridge_name(net) == "cgbr6f1c3f0e9a"
    assert len(network_xml.bridge_name(uuid.uuid4())) <= 15


def test_isolated_network_xml_is_valid_isolated_and_ours(tmp_path: Path) -> None:
    net = uuid.uuid4()
    hosts = [("52:54:00:00:00:0b", "10.0.0.11"), ("52:54:00:00:00:0c", "10.0.0.12")]
    xml = network_xml.isolated_network(
        net, IPv4Network("10.0.0.0/24"), hosts, installation="inst-1"
    )
    _validate(tmp_path, xml, "network")
    root = etree.fromstring(xml.encode())
    assert root.findtext("name") == f"cloudgate-{net}"
    assert root.findtext("uuid") == str(net)
    assert root.find("forward") is None
    bridge = root.find("bridge")
    assert bridge is not None
    assert _attrs(bridge) == {"name": network_xml.bridge_name(net), "stp": "off", "delay": "0"}
    assert len(bridge.attrib["name"]) <= 15
    ip = root.find("ip")
    assert ip is not None
    assert _attrs(ip) == {"address": "10.0.0.1", "netmask": "255.255.255.0"}
    dhcp_range = root.find("ip/dhcp/range")
    assert dhcp_range is not None
    assert _attrs(dhcp_range) == {"start": "10.0.0.11", "end": "10.0.0.254"}
    assert [(h.get("mac"), h.get("ip")) for h in root.iterfind("ip/dhcp/host")] == hosts
    metadata = root.find("metadata")
    assert metadata is not None
    assert domain_xml.installation_of(etree.tostring(metadata[0], encoding="unicode")) == "inst-1"


def test_isolated_network_without_hosts_is_valid(tmp_path: Path) -> None:
    xml = network_xml.isolated_network(
        uuid.uuid4(), IPv4Network("172.16.5.0/28"), installation="inst-2"
    )
    _validate(tmp_path, xml, "network")
    assert "<host " not in xml
    assert '<range start="172.16.5.11" end="172.16.5.14"/>' in xml


def test_dhcp_host_element() -> None:
    assert (
        network_xml.dhcp_host("52:54:00:ab:cd:ef", "10.0.0.42")
        == '<host mac="52:54:00:ab:cd:ef" ip="10.0.0.42"/>'
    )
