"""Security-group rules: one canonical form per rule, clear refusals, duplicates and limits.

Rules are sent as EC2 sends them, through its translation into core (``-1`` for all protocols,
for any ICMP type or code and, twice, for every port), so the tables pin both that translation
and core's canonical form, which holds ``None`` for "any"."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import Conflict, InvalidArgument, QuotaExceeded
from core.network.rules import (
    Direction,
    Protocol,
    RuleSpec,
    check_new_rules,
    describe,
    normalize_rule,
    parse_protocol,
)
from translations.rules import core_ports, core_protocol, wire_ports

IN = Direction.INGRESS
OUT = Direction.EGRESS
GROUP = uuid.UUID("6f1c3f0e-9a55-4c1e-8b8e-2f3b2b7c9d10")
NET = "10.0.0.0/8"


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        pytest.param("tcp", Protocol.TCP, id="tcp"),
        pytest.param("TCP", Protocol.TCP, id="TCP"),
        pytest.param("Udp", Protocol.UDP, id="Udp"),
        pytest.param("icmp", Protocol.ICMP, id="icmp"),
        pytest.param("ALL", Protocol.ALL, id="ALL"),
        pytest.param("6", Protocol.TCP, id="iana-6"),
        pytest.param("17", Protocol.UDP, id="iana-17"),
        pytest.param("1", Protocol.ICMP, id="iana-1"),
    ],
)
def test_parse_protocol(value: str, expect: Protocol) -> None:
    assert parse_protocol(value) is expect


@pytest.mark.parametrize("value", ["", "sctp", "47", "0", " tcp", "tcp ", "-1", "-2", "ipv6"])
def test_parse_protocol_refuses(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_protocol(value)
    assert caught.value.field == "protocol"


@pytest.mark.parametrize(("text", "expect"), [("-1", "all"), ("tcp", "tcp"), ("6", "6")])
def test_ec2_protocol_minus_one_is_all(text: str, expect: str) -> None:
    assert core_protocol(text) == expect


def _sent(
    direction: Direction,
    protocol: str,
    low: int | None,
    high: int | None,
    cidr: str | None,
    group: uuid.UUID | None,
) -> RuleSpec:
    """A rule as EC2 sends it, translated into core's values and normalized there."""
    protocol = core_protocol(protocol)
    return normalize_rule(direction, protocol, *core_ports(protocol, low, high), cidr, group)


# (protocol, from_port, to_port, cidr, source_group) -> (protocol, from_port, to_port, cidr)
Args = tuple[str, int | None, int | None, str | None, uuid.UUID | None]
Canon = tuple[Protocol, int | None, int | None, str | None]


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        pytest.param(("tcp", 22, 22, NET, None), (Protocol.TCP, 22, 22, NET), id="tcp-22"),
        pytest.param(("tcp", 0, 0, NET, None), (Protocol.TCP, 0, 0, NET), id="tcp-port-0"),
        pytest.param(
            ("udp", 65535, 65535, NET, None), (Protocol.UDP, 65535, 65535, NET), id="udp-65535"
        ),
        pytest.param(("6", 0, 65535, NET, None), (Protocol.TCP, 0, 65535, NET), id="tcp-full"),
        pytest.param(("tcp", -1, -1, NET, None), (Protocol.TCP, 0, 65535, NET), id="tcp-minus-one"),
        pytest.param(("udp", -1, -1, NET, None), (Protocol.UDP, 0, 65535, NET), id="udp-minus-one"),
        pytest.param(("17", 53, 53, NET, None), (Protocol.UDP, 53, 53, NET), id="udp-by-number"),
        pytest.param(("TCP", 80, 443, NET, None), (Protocol.TCP, 80, 443, NET), id="tcp-upper"),
        pytest.param(("icmp", -1, -1, NET, None), (Protocol.ICMP, None, None, NET), id="icmp-any"),
        pytest.param(
            ("icmp", None, None, NET, None), (Protocol.ICMP, None, None, NET), id="icmp-none"
        ),
        pytest.param(("icmp", 8, -1, NET, None), (Protocol.ICMP, 8, None, NET), id="icmp-echo"),
        pytest.param(("icmp", 3, 4, NET, None), (Protocol.ICMP, 3, 4, NET), id="icmp-type-code"),
        pytest.param(("1", 0, 0, NET, None), (Protocol.ICMP, 0, 0, NET), id="icmp-0-0"),
        pytest.param(
            ("icmp", 255, 255, NET, None), (Protocol.ICMP, 255, 255, NET), id="icmp-255-255"
        ),
        pytest.param(("all", None, None, NET, None), (Protocol.ALL, None, None, NET), id="all"),
        pytest.param(
            ("-1", -1, -1, NET, None), (Protocol.ALL, None, None, NET), id="all-minus-one"
        ),
        pytest.param(("all", -1, None, NET, None), (Protocol.ALL, None, None, NET), id="all-mixed"),
        pytest.param(
            ("tcp", 22, 22, "10.1.2.3/24", None),
            (Protocol.TCP, 22, 22, "10.1.2.0/24"),
            id="cidr-host-bits",
        ),
        pytest.param(
            ("tcp", 22, 22, "0.0.0.0/0", None), (Protocol.TCP, 22, 22, "0.0.0.0/0"), id="cidr-world"
        ),
        pytest.param(
            ("tcp", 22, 22, "192.0.2.7/32", None),
            (Protocol.TCP, 22, 22, "192.0.2.7/32"),
            id="cidr-32",
        ),
        pytest.param(
            ("tcp", 22, 22, "1.2.3.4/0", None),
            (Protocol.TCP, 22, 22, "0.0.0.0/0"),
            id="cidr-slash-0",
        ),
        pytest.param(("tcp", 22, 22, None, GROUP), (Protocol.TCP, 22, 22, None), id="source-group"),
    ],
)
def test_normalize_accepts(args: Args, expect: Canon) -> None:
    protocol, low, high, cidr, group = args
    rule = _sent(IN, protocol, low, high, cidr, group)
    assert (rule.protocol, rule.from_port, rule.to_port, rule.cidr) == expect
    assert rule.source_group == group
    assert rule.direction is IN


@pytest.mark.parametrize(
    ("args", "field"),
    [
        pytest.param(("gre", 0, 0, NET, None), "protocol", id="unknown-protocol"),
        pytest.param(("tcp", None, 22, NET, None), "from_port", id="tcp-no-from"),
        pytest.param(("tcp", 22, None, NET, None), "to_port", id="tcp-no-to"),
        pytest.param(("udp", None, None, NET, None), "from_port", id="udp-no-ports"),
        pytest.param(("tcp", 65536, 65536, NET, None), "from_port", id="tcp-from-65536"),
        pytest.param(("tcp", 0, 65536, NET, None), "to_port", id="tcp-to-65536"),
        pytest.param(("udp", -1, 80, NET, None), "from_port", id="udp-half-minus-one-from"),
        pytest.param(("tcp", 80, -1, NET, None), "to_port", id="tcp-half-minus-one-to"),
        pytest.param(("tcp", -2, -2, NET, None), "from_port", id="tcp-minus-two"),
        pytest.param(("tcp", 443, 80, NET, None), "from_port", id="tcp-from-above-to"),
        pytest.param(("udp", 1, 0, NET, None), "from_port", id="udp-from-above-to"),
        pytest.param(("icmp", 256, -1, NET, None), "icmp_type", id="icmp-type-256"),
        pytest.param(("icmp", -2, -1, NET, None), "icmp_type", id="icmp-type-minus-two"),
        pytest.param(("icmp", 8, 256, NET, None), "icmp_code", id="icmp-code-256"),
        pytest.param(("icmp", 8, -2, NET, None), "icmp_code", id="icmp-code-minus-two"),
        pytest.param(("icmp", -1, 0, NET, None), "icmp_code", id="icmp-code-without-type"),
        pytest.param(("icmp", None, 3, NET, None), "icmp_code", id="icmp-code-without-type-none"),
        pytest.param(("all", 0, None, NET, None), "from_port", id="all-from-0"),
        pytest.param(("all", None, 80, NET, None), "to_port", id="all-to-80"),
        pytest.param(("-1", 0, 65535, NET, None), "from_port", id="all-full-range"),
        pytest.param(("tcp", 22, 22, "10.0.0.0", None), "peer_cidr", id="cidr-bare-address"),
        pytest.param(("tcp", 22, 22, "10.0.0.0/33", None), "peer_cidr", id="cidr-prefix-33"),
        pytest.param(("tcp", 22, 22, "::/0", None), "peer_cidr", id="cidr-ipv6"),
        pytest.param(("tcp", 22, 22, "garbage", None), "peer_cidr", id="cidr-garbage"),
        pytest.param(("tcp", 22, 22, "", None), "peer_cidr", id="cidr-empty"),
        pytest.param(("tcp", 22, 22, "10.0.0.0/255.0.0.0", None), "peer_cidr", id="cidr-netmask"),
        pytest.param(("tcp", 22, 22, " 10.0.0.0/8", None), "peer_cidr", id="cidr-space"),
        pytest.param(("tcp", 22, 22, "10.0.0.256/8", None), "peer_cidr", id="cidr-octet-256"),
        pytest.param(("tcp", 22, 22, "010.0.0.0/8", None), "peer_cidr", id="cidr-leading-zero"),
        pytest.param(("tcp", 22, 22, None, None), "peer_cidr", id="neither-cidr-nor-group"),
        pytest.param(("tcp", 22, 22, NET, GROUP), "source_group", id="both-cidr-and-group"),
    ],
)
def test_normalize_refuses(args: Args, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        _sent(IN, *args)
    assert caught.value.field == field
    assert caught.value.why


def test_reversed_range_says_why() -> None:
    with pytest.raises(InvalidArgument, match="invalid range"):
        normalize_rule(IN, "tcp", 443, 80, NET, None)


def test_spellings_of_one_rule_are_equal() -> None:
    a = _sent(IN, "tcp", -1, -1, "10.9.9.9/8", None)
    b = normalize_rule(IN, "6", 0, 65535, "10.0.0.0/8", None)
    assert a == b
    assert hash(a) == hash(b)


ports = st.integers(min_value=0, max_value=65535)


@settings(database=None)
@given(
    direction=st.sampled_from(Direction),
    protocol=st.sampled_from(["tcp", "udp"]),
    a=ports,
    b=ports,
)
def test_valid_port_range_round_trips(direction: Direction, protocol: str, a: int, b: int) -> None:
    low, high = sorted((a, b))
    rule = normalize_rule(direction, protocol, low, high, NET, None)
    assert (rule.from_port, rule.to_port) == (low, high)


@settings(database=None)
@given(
    direction=st.sampled_from(Direction),
    protocol=st.sampled_from(["tcp", "udp", "icmp", "all", "-1", "6", "17", "1", "TCP"]),
    low=st.one_of(st.none(), st.integers(min_value=-2, max_value=65536)),
    high=st.one_of(st.none(), st.integers(min_value=-2, max_value=65536)),
    address=st.integers(min_value=0, max_value=2**32 - 1),
    prefix=st.integers(min_value=0, max_value=32),
    by_group=st.booleans(),
)
def test_normalize_is_idempotent(
    direction: Direction,
    protocol: str,
    low: int | None,
    high: int | None,
    address: int,
    prefix: int,
    by_group: bool,
) -> None:
    """Whatever it accepts, feeding its output back in gives the same rule."""
    cidr = None if by_group else f"{_dotted(address)}/{prefix}"
    group = GROUP if by_group else None
    try:
        rule = _sent(direction, protocol, low, high, cidr, group)
    except InvalidArgument:
        return
    again = normalize_rule(
        rule.direction, rule.protocol, rule.from_port, rule.to_port, rule.cidr, rule.source_group
    )
    assert again == rule


def _dotted(address: int) -> str:
    return ".".join(str(address >> shift & 0xFF) for shift in (24, 16, 8, 0))


def _tcp(port: int, direction: Direction = IN, cidr: str = NET) -> RuleSpec:
    return normalize_rule(direction, "tcp", port, port, cidr, None)


def test_new_rule_twice_in_one_request_conflicts() -> None:
    with pytest.raises(Conflict) as caught:
        check_new_rules([], [_tcp(22), _tcp(80), _tcp(22)], group_ref="sg-1")
    assert caught.value.kind == "security-group-rule"
    assert caught.value.ref == "sg-1"
    assert caught.value.reason == "the rule already exists: ingress tcp 22-22 from 10.0.0.0/8"


def test_existing_rule_conflicts_even_when_spelled_differently() -> None:
    existing = [_sent(IN, "tcp", -1, -1, "10.1.2.3/8", None)]
    with pytest.raises(Conflict, match="already exists"):
        check_new_rules(existing, [normalize_rule(IN, "6", 0, 65535, NET, None)], group_ref="sg-1")


def test_same_rule_in_other_direction_is_not_a_duplicate() -> None:
    check_new_rules([_tcp(22, IN)], [_tcp(22, OUT)], group_ref="sg-1")


def test_same_ports_other_peer_is_not_a_duplicate() -> None:
    by_group = normalize_rule(IN, "tcp", 22, 22, None, GROUP)
    check_new_rules([_tcp(22)], [_tcp(22, cidr="0.0.0.0/0"), by_group], group_ref="sg-1")


def test_limit_counts_each_direction_separately() -> None:
    ingress = [_tcp(port, IN) for port in range(1, 60)]
    egress = [_tcp(port, OUT) for port in range(1, 61)]
    check_new_rules(ingress, [_tcp(60, IN), *egress], group_ref="sg-1")  # 60 each: allowed
    with pytest.raises(QuotaExceeded) as caught:
        check_new_rules(ingress, [_tcp(60, IN), _tcp(61, IN)], group_ref="sg-1")
    assert caught.value.resource == "rules per security group"
    assert caught.value.limit == 60
    with pytest.raises(QuotaExceeded):
        check_new_rules([_tcp(1, IN), _tcp(2, IN)], [_tcp(3, IN)], group_ref="sg-1", limit=2)
    check_new_rules([_tcp(1, IN), _tcp(2, IN)], [_tcp(3, OUT)], group_ref="sg-1", limit=2)


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        pytest.param(_tcp(22), "ingress tcp 22-22 from 10.0.0.0/8", id="tcp"),
        pytest.param(
            normalize_rule(OUT, "udp", 0, 65535, "0.0.0.0/0", None),
            "egress udp 0-65535 to 0.0.0.0/0",
            id="udp-egress",
        ),
        pytest.param(
            normalize_rule(IN, "icmp", None, None, NET, None),
            "ingress icmp any from 10.0.0.0/8",
            id="icmp-any",
        ),
        pytest.param(
            normalize_rule(IN, "icmp", 8, None, NET, None),
            "ingress icmp type 8 from 10.0.0.0/8",
            id="icmp-type",
        ),
        pytest.param(
            normalize_rule(IN, "icmp", 3, 4, NET, None),
            "ingress icmp type 3 code 4 from 10.0.0.0/8",
            id="icmp-type-code",
        ),
        pytest.param(
            normalize_rule(IN, "all", None, None, None, GROUP),
            f"ingress all from group {GROUP}",
            id="all-from-group",
        ),
    ],
)
def test_describe(rule: RuleSpec, text: str) -> None:
    assert describe(rule) == text


@pytest.mark.parametrize(
    ("protocol", "stored", "shown"),
    [
        pytest.param("icmp", (None, None), (-1, -1), id="icmp-any"),
        pytest.param("icmp", (8, None), (8, -1), id="icmp-any-code"),
        pytest.param("icmp", (3, 4), (3, 4), id="icmp-type-code"),
        pytest.param("tcp", (0, 65535), (0, 65535), id="tcp-every-port"),
        pytest.param("all", (None, None), (None, None), id="all"),
    ],
)
def test_ec2_and_cloudstack_show_any_as_minus_one(
    protocol: str, stored: tuple[int | None, int | None], shown: tuple[int | None, int | None]
) -> None:
    assert wire_ports(protocol, *stored) == shown
