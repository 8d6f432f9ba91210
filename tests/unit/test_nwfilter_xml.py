"""What the driver hands libvirt for security groups: valid nwfilter XML with the right matches."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from core.hosts import nwfilter_xml
from core.network.rules import Direction, RuleSpec, normalize_rule

GROUP = uuid.UUID("6f1c3f0e-9a55-4c1e-8b8e-2f3b2b7c9d10")
PEERS = uuid.UUID("0b7e2a4c-3d1f-4e5a-9c8b-7a6d5e4f3a2b")
NIC = uuid.UUID("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")


def _validate(tmp_path: Path, xml: str) -> None:
    file = tmp_path / f"nwfilter-{uuid.uuid4()}.xml"
    file.write_text(xml)
    done = subprocess.run(
        ["virt-xml-validate", str(file), "nwfilter"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _group(tmp_path: Path, rules: Sequence[tuple[RuleSpec, Sequence[str]]]) -> etree._Element:
    xml = nwfilter_xml.group_filter(GROUP, rules)
    _validate(tmp_path, xml)
    root = etree.fromstring(xml)
    assert root.tag == "filter"
    assert root.get("name") == f"cloudgate-sg-{GROUP}"
    assert root.get("chain") == "root"
    assert root.findtext("uuid") == str(GROUP)
    return root


def _matches(root: etree._Element) -> list[tuple[dict[str, str], str, dict[str, str]]]:
    """Each rule as (rule attributes, protocol element, protocol attributes)."""
    return [
        (_attrs(rule), str(match.tag), _attrs(match))
        for rule in root.iter("rule")
        for match in rule
    ]


def _attrs(element: etree._Element) -> dict[str, str]:
    return {str(key): str(value) for key, value in element.attrib.items()}


def _rule(
    direction: Direction, protocol: str, low: int | None, high: int | None, peer: str | None
) -> RuleSpec:
    return normalize_rule(direction, protocol, low, high, peer, None if peer else PEERS)


ACCEPT_IN = {"action": "accept", "direction": "in", "priority": "500"}
ACCEPT_OUT = {"action": "accept", "direction": "out", "priority": "500"}


def test_names() -> None:
    assert nwfilter_xml.group_filter_name(GROUP) == f"cloudgate-sg-{GROUP}"
    assert nwfilter_xml.nic_filter_name(NIC) == f"cloudgate-nic-{NIC}"


def test_tcp_ingress_from_cidr(tmp_path: Path) -> None:
    root = _group(tmp_path, [(_rule(Direction.INGRESS, "tcp", 22, 22, "10.0.0.0/8"), ["10.9.9.9"])])
    assert _matches(root) == [
        (
            ACCEPT_IN,
            "tcp",
            {
                "srcipaddr": "10.0.0.0",
                "srcipmask": "8",
                "dstportstart": "22",
                "dstportend": "22",
                "state": "NEW",
            },
        )
    ]


def test_udp_egress_matches_destination(tmp_path: Path) -> None:
    root = _group(tmp_path, [(_rule(Direction.EGRESS, "udp", 53, 54, "192.0.2.0/24"), [])])
    assert _matches(root) == [
        (
            ACCEPT_OUT,
            "udp",
            {
                "dstipaddr": "192.0.2.0",
                "dstipmask": "24",
                "dstportstart": "53",
                "dstportend": "54",
                "state": "NEW",
            },
        )
    ]


def test_world_cidr_has_no_address_match(tmp_path: Path) -> None:
    root = _group(
        tmp_path,
        [
            (_rule(Direction.INGRESS, "tcp", 0, 65535, "0.0.0.0/0"), []),
            (_rule(Direction.EGRESS, "all", None, None, "0.0.0.0/0"), []),
        ],
    )
    assert _matches(root) == [
        (ACCEPT_IN, "tcp", {"dstportstart": "0", "dstportend": "65535", "state": "NEW"}),
        (ACCEPT_OUT, "all", {"state": "NEW"}),
    ]


def test_icmp_type_and_code_only_when_given(tmp_path: Path) -> None:
    root = _group(
        tmp_path,
        [
            (_rule(Direction.INGRESS, "icmp", None, None, "0.0.0.0/0"), []),
            (_rule(Direction.INGRESS, "icmp", 8, None, "0.0.0.0/0"), []),
            (_rule(Direction.INGRESS, "icmp", 3, 4, "0.0.0.0/0"), []),
            (_rule(Direction.INGRESS, "icmp", 0, 0, "0.0.0.0/0"), []),
        ],
    )
    assert [match for _, _, match in _matches(root)] == [
        {"state": "NEW"},
        {"type": "8", "state": "NEW"},
        {"type": "3", "code": "4", "state": "NEW"},
        {"type": "0", "code": "0", "state": "NEW"},
    ]


def test_source_group_expands_to_one_rule_per_member(tmp_path: Path) -> None:
    ssh = _rule(Direction.INGRESS, "tcp", 22, 22, None)
    out = _rule(Direction.EGRESS, "all", None, None, None)
    root = _group(tmp_path, [(ssh, ["10.0.0.5", "10.0.0.7"]), (out, ["10.0.0.5"])])
    ports = {"dstportstart": "22", "dstportend": "22", "state": "NEW"}
    assert _matches(root) == [
        (ACCEPT_IN, "tcp", {"srcipaddr": "10.0.0.5", "srcipmask": "32", **ports}),
        (ACCEPT_IN, "tcp", {"srcipaddr": "10.0.0.7", "srcipmask": "32", **ports}),
        (ACCEPT_OUT, "all", {"dstipaddr": "10.0.0.5", "dstipmask": "32", "state": "NEW"}),
    ]


def test_source_group_without_members_yields_no_rule(tmp_path: Path) -> None:
    ssh = _rule(Direction.INGRESS, "tcp", 22, 22, None)
    web = _rule(Direction.INGRESS, "tcp", 80, 80, "0.0.0.0/0")
    root = _group(tmp_path, [(ssh, []), (web, [])])
    assert [match["dstportstart"] for _, _, match in _matches(root)] == ["80"]


def test_empty_group_filter_is_valid(tmp_path: Path) -> None:
    root = _group(tmp_path, [])
    assert _matches(root) == []


def test_nic_filter_has_base_rules_and_groups_in_order(tmp_path: Path) -> None:
    groups = [GROUP, PEERS, uuid.UUID(int=7)]
    xml = nwfilter_xml.nic_filter(NIC, "10.254.3.7", groups)
    _validate(tmp_path, xml)
    root = etree.fromstring(xml)
    assert root.get("name") == f"cloudgate-nic-{NIC}"
    assert root.get("chain") == "root"
    assert root.findtext("uuid") == str(NIC)
    assert [child.get("filter") for child in root.iter("filterref")] == [
        "clean-traffic",
        *(f"cloudgate-sg-{group}" for group in groups),
    ]
    [own] = root.find("filterref").iter("parameter")
    assert (own.get("name"), own.get("value")) == ("IP", "10.254.3.7")
    assert _matches(root) == [
        (
            {"action": "accept", "direction": "out", "priority": "100"},
            "udp",
            {"dstportstart": "67", "dstportend": "67"},
        ),
        (
            {"action": "accept", "direction": "in", "priority": "100"},
            "udp",
            {"srcportstart": "67", "dstportstart": "68"},
        ),
        (
            {"action": "accept", "direction": "inout", "priority": "200"},
            "all",
            {"state": "ESTABLISHED,RELATED"},
        ),
        ({"action": "drop", "direction": "inout", "priority": "1000"}, "all", {}),
    ]
    # No blanket accept of new outgoing traffic: egress is up to the groups.
    assert not [a for a, _, m in _matches(root) if a["action"] == "accept" and "NEW" in m.values()]


def test_nic_filter_without_groups_is_valid(tmp_path: Path) -> None:
    xml = nwfilter_xml.nic_filter(NIC, "10.254.3.7", [])
    _validate(tmp_path, xml)
    assert [f.get("filter") for f in etree.fromstring(xml).iter("filterref")] == ["clean-traffic"]
