"""Security groups and their ingress and egress rules (rules are async: filters change on
every host)."""

from __future__ import annotations

import uuid
from typing import Final

from core import Direction, Protocol
from core.views import RuleRequest, SecurityGroupQuery
from gateway.native import objects
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    TAGS_PARAM,
    Call,
    CommandSet,
    Done,
    Listing,
    Param,
    ParamType,
    Reply,
    Single,
    Submitted,
    param_error,
)
from translations.rules import core_ports, core_protocol

commands = CommandSet()

_RULE_PARAMS: Final = (
    Param("securitygroupid", ParamType.UUID, "The group", related="listSecurityGroups"),
    Param("securitygroupname", ParamType.STRING, "The group, by name"),
    Param("protocol", ParamType.STRING, "tcp, udp, icmp, all or a protocol number"),
    Param("startport", ParamType.INTEGER, "First port (tcp, udp)"),
    Param("endport", ParamType.INTEGER, "Last port (tcp, udp)"),
    Param("icmptype", ParamType.INTEGER, "ICMP type, -1 for any"),
    Param("icmpcode", ParamType.INTEGER, "ICMP code, -1 for any"),
    Param("cidrlist", ParamType.LIST, "Source (ingress) or destination (egress) CIDRs"),
    Param("usersecuritygrouplist", ParamType.MAP, "Groups, as account/group pairs"),
    Param("account", ParamType.STRING, "Account of the group (admins)"),
    Param("domainid", ParamType.UUID, "Domain of the account"),
)


def _group_ref(call: Call) -> str:
    by_id, by_name = call.args.get("securitygroupid"), call.args.get("securitygroupname")
    if by_id is None and by_name is None:
        raise param_error("Either securitygroupid or securitygroupname is required")
    return str(by_id) if by_id is not None else str(by_name)


def _rules(call: Call) -> list[RuleRequest]:
    protocol = core_protocol(call.args.get("protocol") or "tcp")
    if Protocol.named(protocol) is Protocol.ICMP:
        low, high = call.args.get("icmptype"), call.args.get("icmpcode")
    else:
        low, high = call.args.get("startport"), call.args.get("endport")
        high = low if high is None else high
    low, high = core_ports(protocol, low, high)
    cidrs = call.args.get("cidrlist") or ()
    groups = [entry.get("group") for entry in call.args.map("usersecuritygrouplist")]
    if any(g is None for g in groups):
        raise param_error("usersecuritygrouplist: every entry needs a group")
    if not cidrs and not groups:
        raise param_error("At least one cidr or at least one security group needs to be specified")
    return [
        *(RuleRequest(protocol, low, high, cidr=cidr) for cidr in cidrs),
        *(RuleRequest(protocol, low, high, source_group=group) for group in groups),
    ]


def _authorize(call: Call, direction: Direction) -> Reply:
    accepted = call.services.security_groups.authorize(
        call.caller, _group_ref(call), direction, _rules(call)
    )
    assert accepted.job_id is not None, "changing rules always queues a job"
    return Submitted(accepted.job_id)


def _revoke(call: Call) -> Reply:
    rule: uuid.UUID = call.args["id"]
    accepted = call.services.security_groups.revoke_rule(call.caller, str(rule))
    assert accepted.job_id is not None, "changing rules always queues a job"
    return Submitted(accepted.job_id)


@commands.command(
    "listSecurityGroups",
    "Lists security groups",
    (
        *ACCOUNT_LIST_PARAMS,
        TAGS_PARAM,
        Param("id", ParamType.UUID, "The group"),
        Param("securitygroupname", ParamType.STRING, "The group's name"),
        Param("virtualmachineid", ParamType.UUID, "Groups of this VM"),
    ),
    response_key="securitygroup",
)
def list_security_groups(call: Call) -> Reply:
    one, name = call.args.get("id"), call.args.get("securitygroupname")
    machine = call.args.get("virtualmachineid")
    query = SecurityGroupQuery(
        ids=(str(one),) if one else (),
        names=(name,) if name else (),
        name_contains=call.args.get("keyword") or "",
        instance=str(machine) if machine else None,
        tags=call.args.tags(),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.security_groups.list_groups(call.scope, query)
    domain = objects.domain(call.services)
    rendered = [objects.security_group(g, domain) for g in page.items]
    return Listing("securitygroup", rendered, page.total)


@commands.command(
    "createSecurityGroup",
    "Creates a security group: all egress, no ingress",
    (
        Param("name", ParamType.STRING, "The name", required=True),
        Param("description", ParamType.STRING, "The description"),
        Param("account", ParamType.STRING, "For this account (admins)"),
        Param("domainid", ParamType.UUID, "Domain of the account"),
    ),
    response_key="securitygroup",
)
def create_security_group(call: Call) -> Reply:
    domain = objects.domain(call.services)
    owner = call.scope if call.args.get("account") else call.caller
    group = call.services.security_groups.create_group(
        owner, call.args["name"], call.args.get("description") or ""
    )
    return Single("securitygroup", objects.security_group(group, domain))


@commands.command(
    "deleteSecurityGroup",
    "Deletes a security group no VM uses",
    (
        Param("id", ParamType.UUID, "The group"),
        Param("name", ParamType.STRING, "The group, by name"),
        Param("account", ParamType.STRING, "Account of the group (admins)"),
        Param("domainid", ParamType.UUID, "Domain of the account"),
    ),
)
def delete_security_group(call: Call) -> Reply:
    by_id, by_name = call.args.get("id"), call.args.get("name")
    if by_id is None and by_name is None:
        raise param_error("Either id or name is required")
    owner = call.scope if call.args.get("account") else call.caller
    call.services.security_groups.delete_group(owner, str(by_id or by_name))
    return Done()


@commands.command(
    "authorizeSecurityGroupIngress",
    "Allows traffic into the group's VMs",
    _RULE_PARAMS,
    is_async=True,
    response_key="securitygroup",
)
def authorize_ingress(call: Call) -> Reply:
    return _authorize(call, Direction.INGRESS)


@commands.command(
    "authorizeSecurityGroupEgress",
    "Allows traffic out of the group's VMs",
    _RULE_PARAMS,
    is_async=True,
    response_key="securitygroup",
)
def authorize_egress(call: Call) -> Reply:
    return _authorize(call, Direction.EGRESS)


_RULE_ID: Final = Param("id", ParamType.UUID, "The rule (ruleid)", required=True)


@commands.command(
    "revokeSecurityGroupIngress",
    "Removes an ingress rule",
    (_RULE_ID,),
    is_async=True,
    envelope="revokesecuritygroupingress",
)
def revoke_ingress(call: Call) -> Reply:
    return _revoke(call)


@commands.command(
    "revokeSecurityGroupEgress",
    "Removes an egress rule",
    (_RULE_ID,),
    is_async=True,
    envelope="revokesecuritygroupegress",
)
def revoke_egress(call: Call) -> Reply:
    return _revoke(call)
