"""VPCs, subnets and network interfaces on core VPCs, networks and NICs.

A VPC is a core VPC (an address space); a subnet is a core network inside it; an interface is
an instance's NIC. Each zone has a shared default VPC spanning the network supernet, and its
default network is the zone's default subnet; networks made through other APIs without a VPC
belong to the default VPC too. Instances run in one subnet, through one interface.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Final

from core.enums import NetworkState
from core.errors import InvalidArgument
from core.views import (
    InterfaceQuery,
    InterfaceView,
    NetworkQuery,
    NetworkView,
    VpcQuery,
    VpcView,
)
from gateway.ec2 import filters, listing
from gateway.ec2.actions.instances import instance_item
from gateway.ec2.call import Call, in_our_zone, owner_id, refuse, tag_list, tag_specs
from gateway.ec2.errors import Ec2Error, unsupported
from translations.ec2 import INSTANCE, NETWORK_INTERFACE, SUBNET, VPC

_VPC_FILTERS: Final = {
    "vpc-id": filters.path("VpcId"),
    "cidr": filters.path("CidrBlock"),
    "cidr-block-association.cidr-block": filters.path("CidrBlockAssociationSet.CidrBlock"),
    "state": filters.path("State"),
    "is-default": filters.path("IsDefault"),
    "owner-id": filters.path("OwnerId"),
    "dhcp-options-id": filters.path("DhcpOptionsId"),
}
_SUBNET_FILTERS: Final = {
    "subnet-id": filters.path("SubnetId"),
    "vpc-id": filters.path("VpcId"),
    "cidr-block": filters.path("CidrBlock"),
    "cidr": filters.path("CidrBlock"),
    "availability-zone": filters.path("AvailabilityZone"),
    "state": filters.path("State"),
    "default-for-az": filters.path("DefaultForAz"),
    "owner-id": filters.path("OwnerId"),
    "available-ip-address-count": filters.path("AvailableIpAddressCount"),
    "map-public-ip-on-launch": filters.path("MapPublicIpOnLaunch"),
}
_INTERFACE_FILTERS: Final = {
    "network-interface-id": filters.path("NetworkInterfaceId"),
    "subnet-id": filters.path("SubnetId"),
    "vpc-id": filters.path("VpcId"),
    "availability-zone": filters.path("AvailabilityZone"),
    "private-ip-address": filters.path("PrivateIpAddress"),
    "addresses.private-ip-address": filters.path("PrivateIpAddresses.PrivateIpAddress"),
    "private-dns-name": filters.path("PrivateDnsName"),
    "mac-address": filters.path("MacAddress"),
    "status": filters.path("Status"),
    "owner-id": filters.path("OwnerId"),
    "group-id": filters.path("Groups.GroupId"),
    "group-name": filters.path("Groups.GroupName"),
    "attachment.instance-id": filters.path("Attachment.InstanceId"),
    "attachment.device-index": filters.path("Attachment.DeviceIndex"),
    "attachment.status": filters.path("Attachment.Status"),
    "interface-type": filters.path("InterfaceType"),
}
# Filters core applies in SQL; the rest match the rendered item (``_INTERFACE_FILTERS``).
_INTERFACE_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "network-interface-id": filters.as_refs(NETWORK_INTERFACE, "ids"),
    "attachment.instance-id": filters.as_refs(INSTANCE, "instances"),
    "subnet-id": filters.as_refs(SUBNET, "networks"),
    "mac-address": filters.as_values("macs"),
    "owner-id": filters.as_uuids("accounts"),
}
_STATES: Final = {NetworkState.AVAILABLE: "available", NetworkState.DELETING: "pending"}
# Filters core applies in SQL; the rest match the rendered item (``_VPC_FILTERS``).
_VPC_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "vpc-id": filters.as_refs(VPC, "ids"),
    "cidr": filters.as_values("cidrs"),
    "cidr-block-association.cidr-block": filters.as_values("cidrs"),
    "state": filters.as_states(_STATES),
    "is-default": filters.as_flag("is_default"),
    "owner-id": filters.as_uuids("accounts"),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}
# Filters core applies in SQL; the rest match the rendered item (``_SUBNET_FILTERS``).
_SUBNET_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "subnet-id": filters.as_refs(SUBNET, "ids"),
    "vpc-id": filters.as_refs(VPC, "vpcs"),
    "cidr-block": filters.as_values("cidrs"),
    "cidr": filters.as_values("cidrs"),
    "availability-zone": filters.as_values("zones"),
    "state": filters.as_states(_STATES),
    "default-for-az": filters.as_flag("is_default"),
    "owner-id": filters.as_uuids("accounts"),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}
_VPC_IDS: Final = ("VpcIds", "vpcIds")
_SUBNET_IDS: Final = ("SubnetIds", "subnetIds")


def _vpc_item(vpc: VpcView) -> dict[str, Any]:
    return {
        "VpcId": VPC.render(vpc.ref),
        "CidrBlock": vpc.cidr,
        "State": _STATES.get(vpc.state, "available"),
        "IsDefault": vpc.is_default,
        "OwnerId": owner_id(vpc.account_id),
        "InstanceTenancy": "default",
        "DhcpOptionsId": "default",
        "CidrBlockAssociationSet": [
            {
                "AssociationId": f"vpc-cidr-assoc-{vpc.ref}",
                "CidrBlock": vpc.cidr,
                "CidrBlockState": {"State": "associated"},
            }
        ],
        "Tags": tag_list(vpc.tags),
    }


def _subnet_item(network: NetworkView) -> dict[str, Any]:
    block = ipaddress.IPv4Network(network.cidr)
    usable = max(0, block.num_addresses - 3)  # network, gateway and broadcast addresses
    return {
        "SubnetId": SUBNET.render(network.ref),
        "VpcId": VPC.render(network.vpc_ref) if network.vpc_ref else None,
        "CidrBlock": network.cidr,
        "AvailabilityZone": network.zone_name,
        "AvailableIpAddressCount": max(0, usable - network.addresses_in_use),
        "State": _STATES.get(network.state, "available"),
        "DefaultForAz": network.is_default,
        "MapPublicIpOnLaunch": False,
        "AssignIpv6AddressOnCreation": False,
        "Ipv6CidrBlockAssociationSet": [],
        "OwnerId": owner_id(network.account_id),
        "Tags": tag_list(network.tags),
    }


def require_vpc(call: Call, ref: str) -> None:
    """The VPC a call names exists and is the caller's (or the zone's default one)."""
    found = call.services.networks.list_vpcs(call.caller, VpcQuery(ids=(ref,))).items
    listing.require_all(VPC, [ref], found)


def default_vpc(call: Call) -> str | None:
    """``vpc-…`` of the zone's default VPC, where EC2 shows what has no VPC of its own."""
    found = call.services.networks.list_vpcs(call.caller, VpcQuery(is_default=True)).items
    return VPC.render(found[0].ref) if found else None


def describe_vpcs(call: Call) -> Mapping[str, Any]:
    shown, token = listing.describe(
        call,
        VPC,
        _VPC_IDS,
        lambda fields: call.services.networks.list_vpcs(call.caller, VpcQuery(**fields)),
        _vpc_item,
        _VPC_FILTERS,
        _VPC_QUERY_FIELDS,
    )
    return {"Vpcs": shown, "NextToken": token}


def create_vpc(call: Call) -> Mapping[str, Any]:
    refuse(call, "AmazonProvidedIpv6CidrBlock", "Ipv6Pool", "Ipv4IpamPoolId", "Ipv6IpamPoolId")
    if call.args.get("InstanceTenancy", "default") != "default":
        raise unsupported("Dedicated tenancy")
    if not call.args.get("CidrBlock"):
        raise Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock")
    wanted = tag_specs(call, "vpc")["vpc"]
    vpc = call.services.networks.create_vpc(call.caller, call.args["CidrBlock"], wanted)
    return {"Vpc": _vpc_item(vpc)}


def delete_vpc(call: Call) -> Mapping[str, Any]:
    ref = call.ref(VPC, "VpcId")
    require_vpc(call, ref)
    call.services.networks.delete_vpc(call.caller, ref)
    return {}


def describe_subnets(call: Call) -> Mapping[str, Any]:
    shown, token = listing.describe(
        call,
        SUBNET,
        _SUBNET_IDS,
        lambda fields: call.services.networks.list_networks(call.caller, NetworkQuery(**fields)),
        _subnet_item,
        _SUBNET_FILTERS,
        _SUBNET_QUERY_FIELDS,
    )
    return {"Subnets": shown, "NextToken": token}


def create_subnet(call: Call) -> Mapping[str, Any]:
    vpc = call.ref(VPC, "VpcId")
    in_our_zone(call, call.args.get("AvailabilityZone"))
    if call.args.get("Ipv6CidrBlock") or call.args.get("Ipv6Native"):
        raise unsupported("IPv6 subnets")
    if not call.args.get("CidrBlock"):
        raise Ec2Error("MissingParameter", "The request must contain the parameter CidrBlock")
    require_vpc(call, vpc)
    wanted = tag_specs(call, "subnet")["subnet"]
    try:
        network = call.services.networks.create_network(
            call.caller,
            wanted.get("Name") or call.args["CidrBlock"],
            cidr=call.args["CidrBlock"],
            network_tags=wanted,
            vpc=vpc,
        )
    except InvalidArgument as exc:
        if exc.field != "cidr":
            raise
        raise Ec2Error(
            "InvalidSubnet.Range", f"The CIDR '{call.args['CidrBlock']}' is invalid: {exc.why}"
        ) from None
    return {"Subnet": _subnet_item(network)}


def delete_subnet(call: Call) -> Mapping[str, Any]:
    ref = call.ref(SUBNET, "SubnetId")
    call.services.networks.get_network(call.caller, ref)
    call.services.networks.delete_network(call.caller, ref)
    return {}


def _interface_item(view: InterfaceView) -> dict[str, Any]:
    """The interface as its instance's description shows it, with what only an interface
    listing adds: the attachment's instance, the zone."""
    instance = view.instance
    rendered = NETWORK_INTERFACE.render(view.ref)
    [interface] = [
        i
        for i in instance_item(instance)["NetworkInterfaces"]
        if i["NetworkInterfaceId"] == rendered
    ]
    attachment = {
        **interface["Attachment"],
        "InstanceId": INSTANCE.render(instance.ref),
        "InstanceOwnerId": owner_id(instance.account_id),
    }
    return {
        **{k: v for k, v in interface.items() if k != "Attachment"},
        "Attachment": attachment,
        "AvailabilityZone": instance.zone_name,
        "Description": "",
        "RequesterManaged": False,
        "TagSet": [],
    }


def describe_network_interfaces(call: Call) -> Mapping[str, Any]:
    shown, token = listing.describe(
        call,
        NETWORK_INTERFACE,
        ("NetworkInterfaceIds", "networkInterfaceIds"),
        lambda fields: call.services.compute.list_interfaces(call.caller, InterfaceQuery(**fields)),
        _interface_item,
        _INTERFACE_FILTERS,
        _INTERFACE_QUERY_FIELDS,
        tags="TagSet",
        core_tags=False,
    )
    return {"NetworkInterfaces": shown, "NextToken": token}
