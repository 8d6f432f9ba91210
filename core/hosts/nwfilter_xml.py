"""libvirt nwfilter XML for security groups, built with lxml (never by string formatting).

Two layers, so a rule change touches one filter and never a guest's domain XML:

* one filter per security group (``cloudgate-sg-<group>``) holding only that group's accept
  rules, each matching ``state NEW``;
* one filter per NIC (``cloudgate-nic-<nic>``), named in the domain's ``<filterref>``, holding
  libvirt's ``clean-traffic`` (anti-spoofing) for the NIC's address, the base rules (DHCP,
  accept ESTABLISHED/RELATED both ways, a final drop) and one ``<filterref>`` per group the
  NIC belongs to.

libvirt sorts all rules reached from the NIC filter by priority, so group rules (500) sit between
the base accepts (100, 200) and the drop (1000). When a group's rules change, the caller redefines
that group's filter in place (``nwfilterDefineXML`` with the same ``<uuid>``, which libvirt
requires for a redefinition) and libvirt re-applies it to every running guest that references it.

Directions are the guest's point of view: ``in`` is traffic entering the guest, ``out`` is
traffic leaving it. So an ingress rule matches ``direction='in'`` on the source address, and an
egress rule ``direction='out'`` on the destination address; both match destination ports.
Facts above were checked on libvirt 9.0 with the iptables/ebtables backend and bridged guests.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
from typing import Final

from lxml import etree
from lxml.builder import E

from core.enums import Protocol
from core.network.rules import Direction, RuleSpec

GROUP_RULE_PRIORITY: Final = 500
CLEAN_TRAFFIC: Final = "clean-traffic"  # libvirt's, from libvirt-daemon-config-nwfilter
_EVERYWHERE: Final = "0.0.0.0/0"
_ELEMENTS: Final = {
    Protocol.TCP: "tcp",
    Protocol.UDP: "udp",
    Protocol.ICMP: "icmp",
    Protocol.ALL: "all",
}


def group_filter_name(group: uuid.UUID) -> str:
    return f"cloudgate-sg-{group}"


def nic_filter_name(nic: uuid.UUID) -> str:
    return f"cloudgate-nic-{nic}"


def group_filter(group: uuid.UUID, rules: Sequence[tuple[RuleSpec, Sequence[str]]]) -> str:
    """The group's accept rules; each rule comes with its source group's member addresses.

    A CIDR rule becomes one libvirt rule. A source-group rule becomes one libvirt rule per
    member address (as /32), and none while the source group has no running members; the caller
    redefines this filter when that membership changes.
    """
    xml_rules = [_accept(rule, peer) for rule, members in rules for peer in _peers(rule, members)]
    xml = E.filter(E.uuid(str(group)), *xml_rules, name=group_filter_name(group), chain="root")
    return etree.tostring(xml, encoding="unicode")


def nic_filter(nic: uuid.UUID, ip: str, groups: Sequence[uuid.UUID]) -> str:
    """libvirt's ``clean-traffic`` for the NIC's own ``ip``, base rules, then the groups'
    filters, in the given order.

    ``clean-traffic`` (libvirt's standard filter, at the Ethernet layer) drops what the guest
    sends from any MAC but its NIC's or any IP address but ``ip`` (DHCP's 0.0.0.0 aside), and
    ARP claiming another's: without it a guest could take a member's address and pass the
    source-group rules that name that member. ``ip`` is the one DHCP holds for the NIC.

    There is deliberately no blanket "accept new outgoing traffic": egress is whatever the
    groups' egress rules allow, and everything else reaches the final drop.
    """
    xml = E.filter(
        E.uuid(str(nic)),
        E.filterref(E.parameter(name="IP", value=ip), filter=CLEAN_TRAFFIC),
        # DHCP must work before the guest has an address the group rules could name.
        E.rule(
            E.udp(dstportstart="67", dstportend="67"),
            action="accept",
            direction="out",
            priority="100",
        ),
        E.rule(
            E.udp(srcportstart="67", dstportstart="68"),
            action="accept",
            direction="in",
            priority="100",
        ),
        # Replies to anything a rule let through, in either direction.
        E.rule(
            E.all(state="ESTABLISHED,RELATED"), action="accept", direction="inout", priority="200"
        ),
        *(E.filterref(filter=group_filter_name(group)) for group in groups),
        E.rule(E.all(), action="drop", direction="inout", priority="1000"),
        name=nic_filter_name(nic),
        chain="root",
    )
    return etree.tostring(xml, encoding="unicode")


def _peers(rule: RuleSpec, members: Sequence[str]) -> list[ipaddress.IPv4Network]:
    if rule.source_group is None:
        assert rule.cidr is not None, "normalize_rule sets exactly one of cidr and source_group"
        return [ipaddress.IPv4Network(rule.cidr)]
    return [ipaddress.IPv4Network(f"{ipaddress.IPv4Address(member)}/32") for member in members]


def _accept(rule: RuleSpec, peer: ipaddress.IPv4Network) -> etree._Element:
    match: dict[str, str] = {}
    if str(peer) != _EVERYWHERE:
        side = "src" if rule.direction is Direction.INGRESS else "dst"
        match[f"{side}ipaddr"] = str(peer.network_address)
        match[f"{side}ipmask"] = str(peer.prefixlen)
    if rule.protocol in (Protocol.TCP, Protocol.UDP):
        match["dstportstart"] = str(rule.from_port)
        match["dstportend"] = str(rule.to_port)
    elif rule.protocol is Protocol.ICMP:
        if rule.from_port is not None:
            match["type"] = str(rule.from_port)
        if rule.to_port is not None:
            match["code"] = str(rule.to_port)
    match["state"] = "NEW"
    element: etree._Element = E.rule(
        E(_ELEMENTS[rule.protocol], **match),
        action="accept",
        direction="in" if rule.direction is Direction.INGRESS else "out",
        priority=str(GROUP_RULE_PRIORITY),
    )
    return element
