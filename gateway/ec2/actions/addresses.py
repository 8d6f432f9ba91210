"""Elastic IPs on core public addresses: allocate, associate, disassociate, release, describe.

An address holds at most one association, so its association id is ``eipassoc-`` plus the
address's own ref. Addresses are named by ``AllocationId`` or, classically, by ``PublicIp``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from core.views import AddressQuery, AddressView
from gateway.ec2 import filters
from gateway.ec2.call import Call, owner_id, ref, refuse, tag_list, tag_specs
from gateway.ec2.errors import Ec2Error, missing
from translations.ec2 import ALLOCATION, ASSOCIATION, INSTANCE, NETWORK_INTERFACE, ref_of

_FILTERS: Final = {
    "allocation-id": filters.path("AllocationId"),
    "association-id": filters.path("AssociationId"),
    "domain": filters.path("Domain"),
    "instance-id": filters.path("InstanceId"),
    "network-interface-id": filters.path("NetworkInterfaceId"),
    "network-interface-owner-id": filters.path("NetworkInterfaceOwnerId"),
    "private-ip-address": filters.path("PrivateIpAddress"),
    "public-ip": filters.path("PublicIp"),
    "network-border-group": filters.path("NetworkBorderGroup"),
}
# Filters core applies in SQL; the rest match the rendered item (``_FILTERS``).
_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "allocation-id": filters.as_refs(ALLOCATION, "ids"),
    "association-id": lambda values: {  # an address's association is named by its own ref
        "ids": tuple(ref_of(ASSOCIATION, v) or "" for v in values),
        "associated": True,
    },
    "instance-id": filters.as_refs(INSTANCE, "instances"),
    "public-ip": filters.as_values("ips"),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}


def _item(call: Call, address: AddressView) -> dict[str, Any]:
    associated = address.instance_ref is not None
    nic = address.nic_ref if associated else None
    return {
        "PublicIp": address.ip,
        "AllocationId": ALLOCATION.render(address.ref),
        "AssociationId": ASSOCIATION.render(address.ref) if associated else None,
        "Domain": "vpc",
        "InstanceId": INSTANCE.render(address.instance_ref or "") if associated else None,
        "NetworkInterfaceId": NETWORK_INTERFACE.render(nic) if nic else None,
        "NetworkInterfaceOwnerId": owner_id(address.account_id) if nic else None,
        "PrivateIpAddress": address.private_ip,
        "NetworkBorderGroup": call.services.settings.region,
        "PublicIpv4Pool": "amazon",
        "Tags": tag_list(address.tags),
    }


def _address_ref(call: Call, id_member: str) -> str:
    """The address a call names by its allocation (or association) id, else by public IP."""
    if call.args.get(id_member):
        kind = ALLOCATION if id_member == "AllocationId" else ASSOCIATION
        return ref(kind, call.args[id_member])
    if ip := call.args.get("PublicIp"):
        found = call.services.networks.list_addresses(call.caller, AddressQuery(ips=(ip,))).items
        if not found:
            raise Ec2Error("InvalidAddress.NotFound", f"Address '{ip}' not found.")
        return found[0].ref
    raise missing(id_member)


def allocate_address(call: Call) -> Mapping[str, Any]:
    if call.args.get("Domain", "vpc") not in ("vpc", "standard"):
        raise Ec2Error("InvalidParameterValue", f"Invalid domain: {call.args['Domain']}")
    refuse(call, "Address", "PublicIpv4Pool", "CustomerOwnedIpv4Pool", "IpamPoolId")
    wanted = tag_specs(call, "elastic-ip")["elastic-ip"]
    address = call.services.networks.allocate_address(call.caller, wanted).item
    return {
        "PublicIp": address.ip,
        "AllocationId": ALLOCATION.render(address.ref),
        "Domain": "vpc",
        "NetworkBorderGroup": call.services.settings.region,
        "PublicIpv4Pool": "amazon",
    }


def associate_address(call: Call) -> Mapping[str, Any]:
    address_ref = _address_ref(call, "AllocationId")
    if not call.args.get("InstanceId"):
        if call.args.get("NetworkInterfaceId"):
            raise Ec2Error("Unsupported", "Associating with a network interface is not supported.")
        raise missing("InstanceId")
    instance = call.ref(INSTANCE, "InstanceId")
    address = call.services.networks.get_address(call.caller, address_ref)
    call.services.compute.get_instance(call.caller, instance)
    if address.instance_ref not in (None, instance) and not call.args.get("AllowReassociation"):
        raise Ec2Error(
            "Resource.AlreadyAssociated",
            f"resource {ALLOCATION.render(address_ref)} is already associated with associate-id"
            f" {ASSOCIATION.render(address_ref)}",
        )
    call.services.networks.associate_address(call.caller, address_ref, instance)
    return {"AssociationId": ASSOCIATION.render(address_ref)}


def disassociate_address(call: Call) -> Mapping[str, Any]:
    address_ref = _address_ref(call, "AssociationId")
    address = call.services.networks.get_address(call.caller, address_ref)
    if address.instance_ref is None:
        raise Ec2Error(
            "InvalidAssociationID.NotFound",
            f"The association ID '{ASSOCIATION.render(address_ref)}' does not exist",
        )
    call.services.networks.disassociate_address(call.caller, address_ref)
    return {}


def release_address(call: Call) -> Mapping[str, Any]:
    address_ref = _address_ref(call, "AllocationId")
    call.services.networks.get_address(call.caller, address_ref)
    call.services.networks.release_address(call.caller, address_ref)
    return {}


def _named(call: Call, wanted_ids: list[str], wanted_ips: list[str]) -> list[AddressView]:
    """The addresses named by allocation id or public IP, read by those; every one must exist."""
    query = AddressQuery(ids=(*wanted_ids, *wanted_ips))
    addresses = call.services.networks.list_addresses(call.caller, query).items
    if absent := [r for r in wanted_ids if r not in {a.ref for a in addresses}]:
        raise Ec2Error(
            "InvalidAllocationID.NotFound",
            f"The allocation ID '{ALLOCATION.render(absent[0])}' does not exist",
        )
    if absent_ips := [ip for ip in wanted_ips if ip not in {a.ip for a in addresses}]:
        raise Ec2Error("InvalidAddress.NotFound", f"Address '{absent_ips[0]}' not found.")
    return list(addresses)


def describe_addresses(call: Call) -> Mapping[str, Any]:
    """Every match at once: EC2 does not page this call."""
    wanted_ids = call.refs(ALLOCATION, "AllocationIds")
    wanted_ips = list(call.args.get("PublicIps") or ())
    wanted = call.args.get("Filters")
    if wanted_ids or wanted_ips:
        named = _named(call, wanted_ids, wanted_ips)
        return {"Addresses": filters.select([_item(call, a) for a in named], wanted, _FILTERS)}
    fields, rest = filters.split(wanted, _QUERY_FIELDS)
    listed = call.services.networks.list_addresses(call.caller, AddressQuery(**fields)).items
    return {"Addresses": filters.select([_item(call, a) for a in listed], rest, _FILTERS)}
