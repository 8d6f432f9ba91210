"""Security groups and their rules, ingress and egress, each rule with its ``sgr-`` id.

Rules arrive as ``IpPermissions.N`` (boto3, awscli, boto 2 for VPC groups) or in the classic flat
form boto 2 and older scripts send (``IpProtocol``, ``FromPort``, ``ToPort``, ``CidrIp``,
``SourceSecurityGroupName``); both become the same core rule requests. A group is named by
``GroupId`` or, in the classic calls, by ``GroupName``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Final

from core import Direction, Protocol
from core.errors import NotFound
from core.views import Page, RuleRequest, RuleView, SecurityGroupQuery, SecurityGroupView
from gateway.ec2 import filters, listing, paging
from gateway.ec2.actions.vpcs import default_vpc, require_vpc
from gateway.ec2.call import Call, owner_id, ref, tag_list, tag_specs
from gateway.ec2.errors import Ec2Error, missing, not_found
from translations.ec2 import PROTOCOLS, SECURITY_GROUP, SECURITY_GROUP_RULE, VPC
from translations.rules import core_ports, core_protocol, wire_ports

_FILTERS: Final = {
    "group-id": filters.path("GroupId"),
    "group-name": filters.path("GroupName"),
    "description": filters.path("Description"),
    "owner-id": filters.path("OwnerId"),
    "vpc-id": filters.path("VpcId"),
    "ip-permission.protocol": filters.path("IpPermissions.IpProtocol"),
    "ip-permission.from-port": filters.path("IpPermissions.FromPort"),
    "ip-permission.to-port": filters.path("IpPermissions.ToPort"),
    "ip-permission.cidr": filters.path("IpPermissions.IpRanges.CidrIp"),
    "ip-permission.group-id": filters.path("IpPermissions.UserIdGroupPairs.GroupId"),
    "ip-permission.group-name": filters.path("IpPermissions.UserIdGroupPairs.GroupName"),
    "ip-permission.user-id": filters.path("IpPermissions.UserIdGroupPairs.UserId"),
    "egress.ip-permission.protocol": filters.path("IpPermissionsEgress.IpProtocol"),
    "egress.ip-permission.from-port": filters.path("IpPermissionsEgress.FromPort"),
    "egress.ip-permission.to-port": filters.path("IpPermissionsEgress.ToPort"),
    "egress.ip-permission.cidr": filters.path("IpPermissionsEgress.IpRanges.CidrIp"),
    "egress.ip-permission.group-id": filters.path("IpPermissionsEgress.UserIdGroupPairs.GroupId"),
    "egress.ip-permission.group-name": filters.path(
        "IpPermissionsEgress.UserIdGroupPairs.GroupName"
    ),
}
# Filters core applies in SQL; the rest match the rendered item (``_FILTERS``): a group
# belongs to no VPC here (each is shown in the default one), core's query has no field for
# descriptions (free text, matched with wildcards, which stay on the page anyway), and the
# ``ip-permission`` filters match EC2's own grouping of rules into permissions (by protocol
# and port range, ``-1`` for all protocols).
_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "group-id": filters.as_refs(SECURITY_GROUP, "ids"),
    "group-name": filters.as_values("names"),
    "owner-id": filters.as_uuids("accounts"),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}
_IDS: Final = ("GroupIds", "groupIds")


def _protocol(rule: RuleView) -> str:
    return PROTOCOLS[Protocol(rule.protocol)]


def _permissions(group: SecurityGroupView, rules: Iterable[RuleView]) -> list[dict[str, Any]]:
    """EC2 groups rules by protocol and port range, with every peer of that range inside."""
    grouped: dict[tuple[str, int | None, int | None], dict[str, Any]] = {}
    for rule in rules:
        key = (_protocol(rule), *wire_ports(rule.protocol, rule.from_port, rule.to_port))
        permission = grouped.setdefault(
            key,
            {
                "IpProtocol": key[0],
                "FromPort": key[1],
                "ToPort": key[2],
                "IpRanges": [],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
                "UserIdGroupPairs": [],
            },
        )
        if rule.cidr is not None:
            permission["IpRanges"].append({"CidrIp": rule.cidr})
        else:
            permission["UserIdGroupPairs"].append(
                {
                    "GroupId": SECURITY_GROUP.render(rule.source_group_ref or ""),
                    "GroupName": rule.source_group_name,
                    "UserId": owner_id(group.account_id),
                }
            )
    return list(grouped.values())


def group_item(group: SecurityGroupView, vpc: str | None) -> dict[str, Any]:
    return {
        "GroupId": SECURITY_GROUP.render(group.ref),
        "GroupName": group.name,
        "Description": group.description,
        "OwnerId": owner_id(group.account_id),
        "VpcId": vpc,
        "IpPermissions": _permissions(group, (r for r in group.rules if r.direction == "ingress")),
        "IpPermissionsEgress": _permissions(
            group, (r for r in group.rules if r.direction == "egress")
        ),
        "Tags": tag_list(group.tags),
    }


def _default_vpc(call: Call) -> str | None:
    """Groups here are not tied to a VPC; EC2 shows each in the default one."""
    return default_vpc(call)


def _named(pair: Mapping[str, Any]) -> str:
    """A group named by ``GroupId`` or, classically, by ``GroupName``, as core takes it: a
    ref, or a name core looks up in the caller's account."""
    if pair.get("GroupId"):
        return ref(SECURITY_GROUP, pair["GroupId"])
    name = pair.get("GroupName")
    if not name:
        raise missing("GroupId")
    return str(name)


def _group_ref(call: Call) -> str:
    """The ref of the group a call names."""
    return call.services.security_groups.get_group(call.caller, _named(call.args)).ref


def _requests(call: Call) -> list[RuleRequest]:
    """Every rule the call names, from ``IpPermissions`` and the flat classic members."""
    args = call.args
    permissions: list[Mapping[str, Any]] = list(args.get("IpPermissions") or ())
    if args.get("IpProtocol") or args.get("CidrIp") or args.get("SourceSecurityGroupName"):
        flat: dict[str, Any] = {
            "IpProtocol": args.get("IpProtocol", "-1"),
            "FromPort": args.get("FromPort"),
            "ToPort": args.get("ToPort"),
        }
        if args.get("CidrIp"):
            flat["IpRanges"] = [{"CidrIp": args["CidrIp"]}]
        if args.get("SourceSecurityGroupName"):
            flat["UserIdGroupPairs"] = [{"GroupName": args["SourceSecurityGroupName"]}]
        permissions.append(flat)
    requests = []
    for permission in permissions:
        text = str(permission.get("IpProtocol", ""))
        if not text:
            raise missing("IpPermissions.N.IpProtocol")
        protocol = core_protocol(text)
        low, high = core_ports(protocol, permission.get("FromPort"), permission.get("ToPort"))
        if permission.get("Ipv6Ranges") or permission.get("PrefixListIds"):
            raise Ec2Error("Unsupported", "IPv6 ranges and prefix lists are not supported.")
        peers = [
            RuleRequest(protocol, low, high, cidr=r.get("CidrIp"))
            for r in permission.get("IpRanges") or ()
        ]
        peers += [
            RuleRequest(protocol, low, high, source_group=_named(pair))
            for pair in permission.get("UserIdGroupPairs") or ()
        ]
        if not peers:
            raise Ec2Error(
                "InvalidParameterValue",
                "A rule needs at least one IpRanges or UserIdGroupPairs entry.",
            )
        requests.extend(peers)
    return requests


def _rule_item(group: SecurityGroupView, rule: RuleView) -> dict[str, Any]:
    low, high = wire_ports(rule.protocol, rule.from_port, rule.to_port)
    return {
        "SecurityGroupRuleId": SECURITY_GROUP_RULE.render(rule.ref),
        "GroupId": SECURITY_GROUP.render(group.ref),
        "GroupOwnerId": owner_id(group.account_id),
        "IsEgress": rule.direction == "egress",
        "IpProtocol": _protocol(rule),
        "FromPort": low,
        "ToPort": high,
        "CidrIpv4": rule.cidr,
        "ReferencedGroupInfo": {
            "GroupId": SECURITY_GROUP.render(rule.source_group_ref or ""),
            "UserId": owner_id(group.account_id),
        }
        if rule.cidr is None
        else None,
        "Tags": [],
    }


def create_security_group(call: Call) -> Mapping[str, Any]:
    if call.args.get("VpcId"):
        vpc = call.ref(VPC, "VpcId")
        require_vpc(call, vpc)
    wanted = tag_specs(call, "security-group")["security-group"]
    group = call.services.security_groups.create_group(
        call.caller, call.args["GroupName"], call.args["Description"], wanted
    )
    return {"GroupId": SECURITY_GROUP.render(group.ref), "Tags": tag_list(group.tags)}


def _named_groups(call: Call, refs: list[str], names: list[str]) -> list[SecurityGroupView]:
    """The groups ``GroupIds`` and ``GroupNames`` name, read by id (or by name when no ids
    are given); every one must exist."""
    query = SecurityGroupQuery(ids=tuple(refs)) if refs else SecurityGroupQuery(names=tuple(names))
    groups = list(call.services.security_groups.list_groups(call.caller, query).items)
    if refs and (absent := set(refs) - {g.ref for g in groups}):
        raise not_found(SECURITY_GROUP, SECURITY_GROUP.render(sorted(absent)[0]))
    if names:
        if absent_names := set(names) - {g.name for g in groups}:
            raise Ec2Error(
                "InvalidGroup.NotFound",
                f"The security group '{sorted(absent_names)[0]}' does not exist in default VPC",
            )
        groups = [g for g in groups if g.name in names]
    return groups


def describe_security_groups(call: Call) -> Mapping[str, Any]:
    refs = call.refs(SECURITY_GROUP, "GroupIds")
    names = list(call.args.get("GroupNames") or ())
    wanted = call.args.get("Filters")
    vpc = _default_vpc(call)
    if refs or names:
        items = [group_item(g, vpc) for g in _named_groups(call, refs, names)]
        shown, token = paging.page(call.args, filters.select(items, wanted, _FILTERS), _IDS)
        return {"SecurityGroups": shown, "NextToken": token}
    fields, rest = filters.split(wanted, _QUERY_FIELDS)
    query = SecurityGroupQuery(**fields)

    def fetch(limit: int | None, after: str | None) -> Page[SecurityGroupView]:
        window = dataclasses.replace(query, limit=limit, after=after)
        return call.services.security_groups.list_groups(call.caller, window)

    listed, next_token = listing.collect(
        call, fetch, lambda g: group_item(g, vpc), _FILTERS, rest, ids=_IDS
    )
    return {"SecurityGroups": listed, "NextToken": next_token}


def delete_security_group(call: Call) -> Mapping[str, Any]:
    group_ref = _group_ref(call)
    call.services.security_groups.delete_group(call.caller, group_ref)
    return {"Return": True, "GroupId": SECURITY_GROUP.render(group_ref)}


def _authorize(call: Call, direction: Direction) -> Mapping[str, Any]:
    group_ref = _group_ref(call)
    requests = _requests(call)
    service = call.services.security_groups
    before = {r.ref for r in service.get_group(call.caller, group_ref).rules}
    group = service.authorize(call.caller, group_ref, direction, requests).item
    added = [r for r in group.rules if r.ref not in before]
    return {"Return": True, "SecurityGroupRules": [_rule_item(group, r) for r in added]}


def _revoke(call: Call, direction: Direction) -> Mapping[str, Any]:
    group_ref = _group_ref(call)
    service = call.services.security_groups
    group = service.get_group(call.caller, group_ref)
    rule_ids = [
        ref(SECURITY_GROUP_RULE, text) for text in call.args.get("SecurityGroupRuleIds") or ()
    ]
    known = {r.ref for r in group.rules if r.direction == direction.value}
    if absent := [r for r in rule_ids if r not in known]:
        raise Ec2Error(
            "InvalidSecurityGroupRuleId.NotFound",
            f"The security group rule ID '{SECURITY_GROUP_RULE.render(absent[0])}' does not exist",
        )
    requests = _requests(call) if not rule_ids or call.args.get("IpPermissions") else []
    for rule_ref in rule_ids:
        service.revoke_rule(call.caller, rule_ref)
    if requests:
        try:
            service.revoke(call.caller, group_ref, direction, requests)
        except NotFound as exc:
            if exc.kind != "security-group-rule":
                raise
            raise Ec2Error(
                "InvalidPermission.NotFound",
                "The specified rule does not exist in this security group.",
            ) from None
    return {"Return": True}


def authorize_security_group_ingress(call: Call) -> Mapping[str, Any]:
    return _authorize(call, Direction.INGRESS)


def authorize_security_group_egress(call: Call) -> Mapping[str, Any]:
    return _authorize(call, Direction.EGRESS)


def revoke_security_group_ingress(call: Call) -> Mapping[str, Any]:
    return _revoke(call, Direction.INGRESS)


def revoke_security_group_egress(call: Call) -> Mapping[str, Any]:
    return _revoke(call, Direction.EGRESS)
