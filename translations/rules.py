"""Security-group rules as EC2 and CloudStack write them: both say "any" with ``-1`` (ports,
ICMP type or code, and protocol).

Core holds neutral values: ``None`` for any ICMP type or code and for the ports of a rule for
all protocols, and ``0..65535`` for a tcp or udp rule on every port (what EC2 shows for a rule
asked for as ``-1..-1``). Both front ends translate through here, in and out.
"""

from __future__ import annotations

from typing import Final

from core.enums import Protocol

ANY: Final = -1
EVERY_PORT: Final = (0, 65535)


def core_protocol(text: str) -> str:
    """Core's word for a rule's protocol as a caller sent it: ``-1`` is all protocols in both
    APIs; names and numbers pass on for core to judge."""
    return Protocol.ALL.value if text == str(ANY) else text


def core_ports(protocol: str, low: int | None, high: int | None) -> tuple[int | None, int | None]:
    """Core's ports for ports a caller sent with a rule for ``protocol`` (a name or number);
    other values pass on for core to judge (a lone ``-1`` on a tcp rule is out of range)."""
    if Protocol.named(protocol) in (Protocol.ICMP, Protocol.ALL):
        return (None if low == ANY else low), (None if high == ANY else high)
    if (low, high) == (ANY, ANY):
        return EVERY_PORT
    return low, high


def wire_ports(protocol: str, low: int | None, high: int | None) -> tuple[int | None, int | None]:
    """A rule's ports as both APIs show them: an ICMP rule's any type or code is ``-1``."""
    if Protocol.named(protocol) is Protocol.ICMP:
        return (ANY if low is None else low), (ANY if high is None else high)
    return low, high
