"""MAC and IPv4 arithmetic for guest networks: pure functions, except ``host_networks``.

Allocation is "lowest free address" so that results are deterministic and easy to read in
tests and logs; callers pass the addresses already taken (read from the database), and this
module never remembers anything between calls.

Every private network keeps its low end for infrastructure: the gateway (the first host
address, where libvirt puts the bridge and dnsmasq) and, with it, the first ``reserved_low``
host addresses. The DHCP range and ``allocate_ip`` start just above that block and use the
same arithmetic, so a static lease always lies inside the range dnsmasq serves.
"""

from __future__ import annotations

import ipaddress
import json
import random
import subprocess
from collections.abc import Collection, Iterable
from ipaddress import IPv4Network
from typing import Final

from core.errors import CapacityUnavailable, InvalidArgument

QEMU_MAC_PREFIX: Final = "52:54:00"
"""QEMU's locally administered OUI; libvirt uses it too, so tools recognise our NICs."""
MIN_PREFIX: Final = 16
MAX_PREFIX: Final = 28
"""EC2 accepts VPC and subnet blocks from /16 to /28; we enforce the same bounds."""
_MAC_SUFFIXES: Final = 1 << 24


def new_mac(taken: Collection[str], rng: random.Random | None = None) -> str:
    """A random MAC ``52:54:00:xx:xx:xx`` (lowercase) that is not in ``taken``.

    Random rather than sequential so that MACs of deleted NICs are unlikely to be reused
    soon (stale ARP and lease entries); ``rng`` makes it reproducible in tests.
    """
    chooser = rng if rng is not None else random.Random()
    used = {mac.lower() for mac in taken if mac.lower().startswith(QEMU_MAC_PREFIX + ":")}
    if len(used) >= _MAC_SUFFIXES:
        raise CapacityUnavailable("MAC addresses")
    while True:
        suffix = chooser.getrandbits(24)
        mac = f"{QEMU_MAC_PREFIX}:{suffix >> 16:02x}:{(suffix >> 8) & 0xFF:02x}:{suffix & 0xFF:02x}"
        if mac not in used:
            return mac


def gateway_of(network: IPv4Network) -> str:
    """The first host address: libvirt gives it to the bridge, and guests route through it."""
    return str(network.network_address + 1)


def _first_and_last(network: IPv4Network, reserved_low: int) -> tuple[int, int]:
    """Integer bounds of the allocatable block: after the gateway and the reserved low hosts.

    The gateway is the first of the ``reserved_low`` hosts, and is skipped even when
    ``reserved_low`` is 0. The result may be empty (first > last) in a small network.
    """
    first = int(network.network_address) + 1 + max(1, reserved_low)
    last = int(network.broadcast_address) - 1
    return first, last


def dhcp_range(network: IPv4Network, *, reserved_low: int = 10) -> tuple[str, str]:
    """First and last address dnsmasq may hand out; the same block ``allocate_ip`` uses."""
    first, last = _first_and_last(network, reserved_low)
    if first > last:
        raise CapacityUnavailable(f"addresses in network {network}")
    return str(ipaddress.IPv4Address(first)), str(ipaddress.IPv4Address(last))


def _lowest_free(first: int, last: int, taken: Iterable[str]) -> str | None:
    used = set(taken)
    for value in range(first, last + 1):
        address = str(ipaddress.IPv4Address(value))
        if address not in used:
            return address
    return None


def allocate_ip(network: IPv4Network, taken: Collection[str], *, reserved_low: int = 10) -> str:
    """The lowest free host address above the gateway and the reserved low block."""
    first, last = _first_and_last(network, reserved_low)
    found = _lowest_free(first, last, taken)
    if found is None:
        raise CapacityUnavailable(f"addresses in network {network}")
    return found


def allocate_public_ip(pool: IPv4Network, taken: Collection[str]) -> str:
    """The lowest free host address of the public pool; nothing is reserved in it.

    The pool is a range of addresses we own, not a routed subnet with a gateway of ours.
    """
    first, last = int(pool.network_address), int(pool.broadcast_address)
    if pool.prefixlen < 31:  # in a /31 or /32 every address is a host (RFC 3021)
        first, last = first + 1, last - 1
    found = _lowest_free(first, last, taken)
    if found is None:
        raise CapacityUnavailable("public addresses")
    return found


def parse_cidr(value: str, *, field: str = "cidr_block") -> IPv4Network:
    """A caller's CIDR block, checked as EC2 checks VPC and subnet blocks.

    Host bits set is an error (not silently masked), so that what we store is what was sent.
    """
    address, slash, prefix = value.partition("/")
    if not slash or not prefix.isdecimal() or not address:
        raise InvalidArgument(field, f"{value!r} is not a CIDR block such as 10.0.0.0/16")
    try:
        parsed = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise InvalidArgument(field, f"{value!r} is not a CIDR block such as 10.0.0.0/16") from None
    if not isinstance(parsed, IPv4Network):
        raise InvalidArgument(field, f"{value!r} is not an IPv4 CIDR block")
    if parsed.network_address != ipaddress.IPv4Address(address):
        raise InvalidArgument(field, f"{value!r} has host bits set; the block is {parsed}")
    if not MIN_PREFIX <= parsed.prefixlen <= MAX_PREFIX:
        raise InvalidArgument(
            field,
            f"{value!r}: the prefix length must be between /{MIN_PREFIX} and /{MAX_PREFIX}",
        )
    return parsed


def free_subnet(
    supernet: IPv4Network,
    prefix: int,
    used: Collection[IPv4Network],
    avoid: Collection[IPv4Network] = (),
) -> IPv4Network:
    """The first ``/prefix`` inside ``supernet`` that overlaps nothing in ``used`` or ``avoid``.

    ``avoid`` is for networks that are not ours but would still clash, typically
    ``host_networks()``. Blocked candidates are skipped past the blocker in one step, so a
    large supernet with few blockers costs few iterations.
    """
    if not supernet.prefixlen <= prefix <= 32:
        raise ValueError(f"a /{prefix} does not fit in {supernet}")
    blockers = [net for net in (*used, *avoid) if net.overlaps(supernet)]
    size = 1 << (32 - prefix)
    candidate = int(supernet.network_address)
    end = int(supernet.broadcast_address)
    while candidate + size - 1 <= end:
        subnet = IPv4Network((candidate, prefix))
        hits = [int(net.broadcast_address) for net in blockers if net.overlaps(subnet)]
        if not hits:
            return subnet
        past = max(hits) + 1
        candidate = -(-past // size) * size  # round up to the next /prefix boundary
    raise CapacityUnavailable(f"subnets in {supernet}")


def host_networks() -> list[IPv4Network]:
    """The IPv4 networks on this machine's interfaces now (``ip -j -4 addr``).

    libvirt refuses to start a network that overlaps one of them ("Network is already in use
    by interface ..."), so callers pass these as ``avoid`` to ``free_subnet``.
    """
    done = subprocess.run(
        ["ip", "-j", "-4", "addr"], capture_output=True, text=True, check=True, timeout=10
    )
    found: list[IPv4Network] = []
    for interface in json.loads(done.stdout):
        # iproute2 prints ``{}`` for interfaces its -4 filter removed, hence the .get calls.
        for info in interface.get("addr_info", ()):
            if info.get("family") == "inet":
                net = IPv4Network(f"{info['local']}/{info['prefixlen']}", strict=False)
                if net not in found:
                    found.append(net)
    return found
