"""From rows to what a host enforces: NIC specs and security-group filters.

A source-group rule lets in the addresses of the group's members, so a group's filter changes
when members come and go, not only when its rules do: ``groups_citing`` finds the groups whose
filters must be rebuilt when an instance of ``groups`` starts or ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Final

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from core.db.models import (
    Instance,
    InstanceSecurityGroup,
    Network,
    Nic,
    SecurityGroup,
    SecurityGroupRule,
)
from core.enums import Protocol
from core.hosts.driver import GroupFilter, NetworkSpec, NicSpec
from core.network.rules import Direction, RuleSpec
from core.states import InstanceState

_PREVIOUS_ANY: Final = -1  # see stored_ports


def stored_ports(rule: SecurityGroupRule) -> tuple[int | None, int | None]:
    """A rule's ports as core means them. The previous release stored an ICMP rule's "any"
    type or code as -1, and a replica of it may still write one while replicas upgrade
    (migration 0011 moved the rows it found to NULL): read -1 there as "any" too."""
    low, high = rule.from_port, rule.to_port
    if rule.protocol == Protocol.ICMP.value:
        low = None if low == _PREVIOUS_ANY else low
        high = None if high == _PREVIOUS_ANY else high
    return low, high


def rule_spec(rule: SecurityGroupRule) -> RuleSpec:
    return RuleSpec(
        Direction(rule.direction),
        Protocol(rule.protocol),
        *stored_ports(rule),
        rule.cidr,
        rule.source_group_id,
    )


def member_addresses(
    session: Session, group_id: uuid.UUID, leaving: uuid.UUID | None = None
) -> tuple[str, ...]:
    """Reserved addresses of the group's live instances (DHCP hands out exactly these),
    without the instance that is ``leaving``."""
    return tuple(
        session.scalars(
            select(Nic.ip)
            .join(InstanceSecurityGroup, InstanceSecurityGroup.instance_id == Nic.instance_id)
            .join(Instance, Instance.id == Nic.instance_id)
            .where(
                InstanceSecurityGroup.group_id == group_id,
                Instance.state != InstanceState.TERMINATED,
                Instance.id != leaving if leaving is not None else true(),
                Nic.released.is_(False),
            )
            .order_by(Nic.ip)
        )
    )


def group_filter(
    session: Session, group: SecurityGroup, leaving: uuid.UUID | None = None
) -> GroupFilter:
    rules = []
    for rule in group.rules:
        members = (
            member_addresses(session, rule.source_group_id, leaving)
            if rule.source_group_id is not None
            else ()
        )
        rules.append((rule_spec(rule), members))
    return GroupFilter(group.id, tuple(rules))


def groups_of(session: Session, instance_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(InstanceSecurityGroup.group_id)
            .where(InstanceSecurityGroup.instance_id == instance_id)
            .order_by(InstanceSecurityGroup.group_id)
        )
    )


def groups_citing(session: Session, groups: Collection[uuid.UUID]) -> list[SecurityGroup]:
    """The groups themselves, and every group with a rule naming one of them as source."""
    citing = select(SecurityGroupRule.group_id).where(
        SecurityGroupRule.source_group_id.in_(list(groups))
    )
    return list(
        session.scalars(
            select(SecurityGroup)
            .where(SecurityGroup.id.in_(list(groups)) | SecurityGroup.id.in_(citing))
            .order_by(SecurityGroup.created_at)
        )
    )


def network_spec(network: Network, nics: Collection[Nic] = ()) -> NetworkSpec:
    return NetworkSpec(network.id, network.cidr, tuple((n.mac, n.ip) for n in nics))


def nic_specs(session: Session, instance_id: uuid.UUID) -> tuple[NicSpec, ...]:
    nics = session.scalars(
        select(Nic).where(Nic.instance_id == instance_id).order_by(Nic.device_index)
    ).all()
    groups = tuple(groups_of(session, instance_id))
    return tuple(
        NicSpec(nic.id, nic.mac, nic.ip, network_spec(nic.network, [nic]), groups) for nic in nics
    )


def filters_around(
    session: Session, instance_id: uuid.UUID, *, leaving: bool = False
) -> list[GroupFilter]:
    """The filters of the instance's groups and of every group citing them, as they must be
    once the instance has started (or, ``leaving``, once it is gone)."""
    return [
        group_filter(session, group, instance_id if leaving else None)
        for group in groups_citing(session, groups_of(session, instance_id))
    ]
