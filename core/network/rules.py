"""Security-group rules as core values: parsed, validated and normalized before they are stored.

Normalizing here (protocol numbers, ``10.1.2.3/24`` to ``10.1.2.0/24``) means two spellings of
one rule compare equal, so duplicate detection is plain equality and every front end gets the
same answer. Core's "any" ICMP type or code is ``None``; the ``-1`` EC2 and CloudStack write for
it, and EC2's ``-1`` for all protocols, are translated in the front ends (``translations``). The
field names in ``InvalidArgument`` are the core's wire-neutral names; ``translations`` maps them
to each API's parameter names.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from core.enums import Protocol
from core.errors import Conflict, InvalidArgument, QuotaExceeded

PORT_MIN: Final = 0
PORT_MAX: Final = 65535
ICMP_MAX: Final = 255

_CIDR: Final = re.compile(r"[0-9.]+/[0-9]{1,2}")
"""Address, slash, prefix length: no bare addresses, no dotted netmasks, no whitespace."""


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One normalized rule; only ``normalize_rule`` should build it, so equality means sameness.

    Ports by protocol: tcp/udp hold ``0 <= from_port <= to_port <= 65535``; icmp holds the ICMP
    type in ``from_port`` and the code in ``to_port``, ``None`` meaning any; all holds ``None``.
    Exactly one of ``cidr`` (normalized IPv4 network) and ``source_group`` is set.
    """

    direction: Direction
    protocol: Protocol
    from_port: int | None
    to_port: int | None
    cidr: str | None
    source_group: uuid.UUID | None


def parse_protocol(value: str) -> Protocol:
    """Names in any case, and the IANA numbers clients also send."""
    found = Protocol.named(value)
    if found is None:
        raise InvalidArgument("protocol", f"{value!r} is not tcp, udp, icmp or all")
    return found


def normalize_rule(
    direction: Direction,
    protocol: str,
    from_port: int | None,
    to_port: int | None,
    cidr: str | None,
    source_group: uuid.UUID | None,
) -> RuleSpec:
    """Validate one rule as a caller sent it and return its single canonical form.

    An icmp rule without a type or code means any type or code.
    """
    proto = parse_protocol(protocol)
    low: int | None
    high: int | None
    if proto in (Protocol.TCP, Protocol.UDP):
        low, high = _port_range(proto, from_port, to_port)
    elif proto is Protocol.ICMP:
        low, high = _icmp_type_code(from_port, to_port)
    else:
        low, high = _no_ports(from_port, to_port)
    peer = _cidr(cidr, source_group)
    # Direction(...) so a plain "ingress" from a caller still yields the member, which `is` needs.
    return RuleSpec(Direction(direction), proto, low, high, peer, source_group)


def _port_range(proto: Protocol, low: int | None, high: int | None) -> tuple[int, int]:
    if low is None:
        raise InvalidArgument("from_port", f"a {proto} rule needs both a first and a last port")
    if high is None:
        raise InvalidArgument("to_port", f"a {proto} rule needs both a first and a last port")
    for field, port in (("from_port", low), ("to_port", high)):
        if not PORT_MIN <= port <= PORT_MAX:
            raise InvalidArgument(field, f"port {port} is outside {PORT_MIN}..{PORT_MAX}")
    if low > high:
        raise InvalidArgument(
            "from_port", f"invalid range: the first port {low} is greater than the last {high}"
        )
    return low, high


def _icmp_type_code(icmp_type: int | None, code: int | None) -> tuple[int | None, int | None]:
    for field, what, value in (("icmp_type", "type", icmp_type), ("icmp_code", "code", code)):
        if value is not None and not 0 <= value <= ICMP_MAX:
            raise InvalidArgument(field, f"ICMP {what} {value} is outside 0..{ICMP_MAX}")
    if icmp_type is None and code is not None:
        raise InvalidArgument("icmp_code", f"ICMP code {code} needs a specific ICMP type")
    return icmp_type, code


def _no_ports(low: int | None, high: int | None) -> tuple[None, None]:
    for field, port in (("from_port", low), ("to_port", high)):
        if port is not None:
            raise InvalidArgument(field, f"protocol all covers every port; got {port}")
    return None, None


def _cidr(cidr: str | None, source_group: uuid.UUID | None) -> str | None:
    """The normalized network, or ``None`` when the rule names a source group instead."""
    if cidr is None and source_group is None:
        raise InvalidArgument("peer_cidr", "a rule needs a CIDR or a source group")
    if cidr is not None and source_group is not None:
        raise InvalidArgument("source_group", "give a CIDR or a source group, not both")
    if cidr is None:
        return None
    if not _CIDR.fullmatch(cidr):
        raise InvalidArgument("peer_cidr", f"{cidr!r} is not an IPv4 CIDR such as 10.0.0.0/8")
    try:
        return str(ipaddress.IPv4Network(cidr, strict=False))
    except ValueError as error:
        raise InvalidArgument("peer_cidr", f"{cidr!r} is not an IPv4 CIDR: {error}") from None


def check_new_rules(
    existing: Sequence[RuleSpec], new: Sequence[RuleSpec], *, group_ref: str, limit: int = 60
) -> None:
    """Refuse duplicates (against the group and within the request), then the per-direction limit.

    Duplicates are checked first: they are the more specific complaint, and a request that only
    repeats rules would not have added any.
    """
    seen = set(existing)
    for rule in new:
        if rule in seen:
            raise Conflict(
                "security-group-rule", group_ref, f"the rule already exists: {describe(rule)}"
            )
        seen.add(rule)
    for direction in Direction:
        count = sum(r.direction is direction for r in existing) + sum(
            r.direction is direction for r in new
        )
        if count > limit:
            raise QuotaExceeded("rules per security group", limit)


def describe(rule: RuleSpec) -> str:
    """Short text for messages and events, e.g. ``ingress tcp 22-22 from 10.0.0.0/8``."""
    if rule.protocol is Protocol.ICMP:
        kind = "icmp " + _icmp_text(rule.from_port, rule.to_port)
    elif rule.protocol is Protocol.ALL:
        kind = "all"
    else:
        kind = f"{rule.protocol} {rule.from_port}-{rule.to_port}"
    peer = rule.cidr if rule.source_group is None else f"group {rule.source_group}"
    side = "from" if rule.direction is Direction.INGRESS else "to"
    return f"{rule.direction} {kind} {side} {peer}"


def _icmp_text(icmp_type: int | None, code: int | None) -> str:
    if icmp_type is None:
        return "any"
    if code is None:
        return f"type {icmp_type}"
    return f"type {icmp_type} code {code}"
