"""Core's names for the arguments it refuses (``InvalidArgument.field``) in each API's words, for
the error messages that name them. Only data.

Core names an argument in snake case after what it is (``size``, ``group_name``); an API shows
its own parameter (EC2 ``Size``, CloudStack ``size``). A field without a row, or without a name
in an API's column (that API never sends it), is shown under core's own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class FieldNames:
    ec2: str
    native: str | None = None


FIELDS: Final[Mapping[str, FieldNames]] = MappingProxyType(
    {
        # storage, instances, tags
        "size": FieldNames("Size", "size"),
        "client_token": FieldNames("ClientToken"),
        "device": FieldNames("Device", "deviceid"),
        "instances": FieldNames("InstanceId"),
        "resource_type": FieldNames("ResourceType", "resourcetype"),
        "resource_ids": FieldNames("ResourceId", "resourceids"),
        "tag_key": FieldNames("Tag.Key", "tags"),
        "tag_value": FieldNames("Tag.Value", "tags"),
        # key pairs
        "key_name": FieldNames("KeyName", "name"),
        "public_key": FieldNames("PublicKeyMaterial", "publickey"),
        # security groups and their rules
        "group_name": FieldNames("GroupName", "name"),
        "group_description": FieldNames("GroupDescription", "description"),
        "rules": FieldNames("IpPermissions"),
        "protocol": FieldNames("IpProtocol", "protocol"),
        "from_port": FieldNames("FromPort", "startport"),
        "to_port": FieldNames("ToPort", "endport"),
        "icmp_type": FieldNames("FromPort", "icmptype"),
        "icmp_code": FieldNames("ToPort", "icmpcode"),
        "peer_cidr": FieldNames("CidrIp", "cidrlist"),
        "source_group": FieldNames("SourceGroup", "usersecuritygrouplist"),
        # networks and VPCs
        "cidr_block": FieldNames("CidrBlock", "cidr"),
    }
)


def ec2_field(field: str) -> str:
    names = FIELDS.get(field)
    return field if names is None else names.ec2


def native_field(field: str) -> str:
    names = FIELDS.get(field)
    return field if names is None or names.native is None else names.native
