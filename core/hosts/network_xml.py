"""libvirt XML for our private networks, built with lxml (never by string formatting).

Each private network is an isolated libvirt network (no ``<forward>``): a bridge with the
gateway address and dnsmasq for DHCP, and nothing routed off the host. Guests get static
DHCP host entries because dnsmasq answers those at once, whereas a dynamic lease waits for
dnsmasq's ping check. The network carries the same metadata element as our domains, so the
reconciler can tell our networks from others' with ``domain_xml.installation_of``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from ipaddress import IPv4Network

from lxml import etree
from lxml.builder import E

from core.hosts.domain_xml import metadata_element
from core.network.addressing import dhcp_range, gateway_of


def network_name(network: uuid.UUID) -> str:
    """The libvirt network name; the libvirt uuid is the core uuid as well."""
    return f"cloudgate-{network}"


def bridge_name(network: uuid.UUID) -> str:
    """A bridge name unique per network and within Linux's 15-character limit (IFNAMSIZ)."""
    return f"cgbr{network.hex[:10]}"


def _host(mac: str, ip: str) -> etree._Element:
    host: etree._Element = E.host(mac=mac, ip=ip)
    return host


def dhcp_host(mac: str, ip: str) -> str:
    """One static lease, as ``virNetwork.update`` wants it for ``SECTION_IP_DHCP_HOST``."""
    return etree.tostring(_host(mac, ip), encoding="unicode")


def isolated_network(
    network: uuid.UUID,
    cidr: IPv4Network,
    hosts: Sequence[tuple[str, str]] = (),
    *,
    installation: str,
) -> str:
    """An isolated network on ``cidr`` with dnsmasq serving ``hosts`` ((mac, ip) pairs)."""
    start, end = dhcp_range(cidr)
    xml = E.network(
        E.name(network_name(network)),
        E.uuid(str(network)),
        E.metadata(etree.fromstring(metadata_element(installation))),
        E.bridge(name=bridge_name(network), stp="off", delay="0"),
        E.ip(
            E.dhcp(E.range(start=start, end=end), *(_host(mac, ip) for mac, ip in hosts)),
            address=gateway_of(cidr),
            netmask=str(cidr.netmask),
        ),
    )
    return etree.tostring(xml, encoding="unicode")


def dhcp_hosts(network_xml: str) -> set[tuple[str, str]]:
    """The (mac, ip) reservations of a network definition, MACs in lower case."""
    root = etree.fromstring(network_xml.encode())
    return {
        (str(host.get("mac")).lower(), str(host.get("ip")))
        for host in root.iterfind("ip/dhcp/host")
        if host.get("mac") and host.get("ip")
    }
