"""Networks, NICs and public IP addresses (with static NAT).

Public addresses are model only (README): they are allocated and bound to a VM in the
database, and nothing on the host forwards their traffic yet.
"""

from __future__ import annotations

import uuid
from typing import Final

from core.enums import Settle
from core.views import AddressQuery, AddressView, NetworkQuery
from gateway.native import objects
from gateway.native.jobs import settled
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    LIST_PARAMS,
    TAGS_PARAM,
    Call,
    CommandSet,
    Done,
    Listing,
    Param,
    ParamType,
    Reply,
    Single,
)

commands = CommandSet()
_ZONE: Final = Param("zoneid", ParamType.UUID, "The zone", related="listZones")
_SHARED: Final = {"shared": True, "isolated": False}  # a network's type


def _address(call: Call, target: uuid.UUID) -> AddressView:
    return call.services.networks.get_address(call.caller, str(target))


@commands.command(
    "listNetworks",
    "Lists networks usable by the caller (the zone's shared default and the account's own)",
    (
        *ACCOUNT_LIST_PARAMS,
        TAGS_PARAM,
        _ZONE,
        Param("id", ParamType.UUID, "The network"),
        Param("name", ParamType.STRING, "The name"),
        Param("type", ParamType.STRING, "Shared or Isolated"),
        Param("isdefault", ParamType.BOOLEAN, "Only default networks"),
        Param("canusefordeploy", ParamType.BOOLEAN, "Networks a VM can be deployed in"),
    ),
    response_key="network",
)
def list_networks(call: Call) -> Reply:
    kind = call.args.get("type")
    if kind is not None and kind.lower() not in _SHARED:
        return call.page("network", [])
    one, name, zone = call.args.get("id"), call.args.get("name"), call.args.get("zoneid")
    query = NetworkQuery(
        ids=(str(one),) if one else (),
        names=(name,) if name else (),
        text_contains=call.args.get("keyword") or "",  # in the name or the display text
        zones=(str(zone),) if zone else (),
        shared=_SHARED[kind.lower()] if kind else None,
        is_default=call.args.get("isdefault"),
        tags=call.args.tags(),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.networks.list_networks(call.scope, query)
    domain = objects.domain(call.services)
    return Listing("network", [objects.network(n, domain) for n in page.items], page.total)


@commands.command(
    "createNetwork",
    "Creates an isolated guest network (a CIDR is chosen when none is given)",
    (
        Param("name", ParamType.STRING, "The name", required=True),
        Param("displaytext", ParamType.STRING, "The description"),
        Param("cidr", ParamType.STRING, "IPv4 CIDR, /16 to /28"),
        Param("gateway", ParamType.STRING, "Ignored: the first address is the gateway"),
        Param("netmask", ParamType.STRING, "Netmask, with gateway, when no cidr is given"),
        Param("networkofferingid", ParamType.UUID, "Ignored: one offering exists"),
        _ZONE,
    ),
    response_key="network",
)
def create_network(call: Call) -> Reply:
    domain = objects.domain(call.services)
    created = call.services.networks.create_network(
        call.caller,
        call.args["name"],
        cidr=call.args.get("cidr"),
        description=call.args.get("displaytext") or "",
    )
    return Single("network", objects.network(created, domain))


@commands.command(
    "deleteNetwork",
    "Deletes a network no VM uses",
    (Param("id", ParamType.UUID, "The network", required=True),),
    is_async=True,
)
def delete_network(call: Call) -> Reply:
    ref = str(call.args["id"])
    return settled(call.services.networks.delete_network(call.caller, ref, settle=Settle.AS_JOB))


@commands.command(
    "listNics",
    "Lists the NICs of a VM",
    (
        *LIST_PARAMS,
        Param("virtualmachineid", ParamType.UUID, "The VM", required=True),
        Param("nicid", ParamType.UUID, "The NIC"),
        Param("networkid", ParamType.UUID, "NICs in this network"),
    ),
    response_key="nic",
)
def list_nics(call: Call) -> Reply:
    instance = call.services.compute.get_instance(call.caller, str(call.args["virtualmachineid"]))
    nic, network = call.args.get("nicid"), call.args.get("networkid")
    found = [
        objects.nic(n, instance.id)
        for n in instance.nics
        if (nic is None or n.id == nic) and (network is None or n.network_id == network)
    ]
    return call.page("nic", found)


@commands.command(
    "listPublicIpAddresses",
    "Lists public IP addresses",
    (
        *ACCOUNT_LIST_PARAMS,
        TAGS_PARAM,
        _ZONE,
        Param("id", ParamType.UUID, "The address"),
        Param("ipaddress", ParamType.STRING, "The address itself"),
        Param("allocatedonly", ParamType.BOOLEAN, "Only allocated ones (all listed ones are)"),
        Param("associatednetworkid", ParamType.UUID, "The network of the VM it is bound to"),
        Param("isstaticnat", ParamType.BOOLEAN, "Only those bound to a VM"),
    ),
    response_key="publicipaddress",
)
def list_public_ip_addresses(call: Call) -> Reply:
    one, ip = call.args.get("id"), call.args.get("ipaddress")
    zone, network = call.args.get("zoneid"), call.args.get("associatednetworkid")
    query = AddressQuery(
        ids=(str(one),) if one else (),
        ips=(ip,) if ip else (),
        associated=call.args.get("isstaticnat"),
        networks=(str(network),) if network else (),  # through the VM it is bound to
        zones=(str(zone),) if zone else (),
        tags=call.args.tags(),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.networks.list_addresses(call.scope, query)
    domain = objects.domain(call.services)
    return Listing(
        "publicipaddress", [objects.public_ip(a, domain) for a in page.items], page.total
    )


@commands.command(
    "associateIpAddress",
    "Acquires a public IP address for the account",
    (
        _ZONE,
        Param("networkid", ParamType.UUID, "The network (informative)"),
        Param("account", ParamType.STRING, "For this account (admins)"),
        Param("domainid", ParamType.UUID, "Domain of the account"),
    ),
    is_async=True,
    response_key="ipaddress",
)
def associate_ip_address(call: Call) -> Reply:
    owner = call.scope if call.args.get("account") else call.caller
    return settled(call.services.networks.allocate_address(owner, settle=Settle.AS_JOB), new=True)


@commands.command(
    "disassociateIpAddress",
    "Releases a public IP address",
    (Param("id", ParamType.UUID, "The address", required=True),),
    is_async=True,
)
def disassociate_ip_address(call: Call) -> Reply:
    address = _address(call, call.args["id"])
    networks = call.services.networks
    return settled(networks.release_address(call.caller, str(address.id), settle=Settle.AS_JOB))


@commands.command(
    "enableStaticNat",
    "Binds a public IP address to a VM",
    (
        Param("ipaddressid", ParamType.UUID, "The address", required=True),
        Param("virtualmachineid", ParamType.UUID, "The VM", required=True),
    ),
)
def enable_static_nat(call: Call) -> Reply:
    address = _address(call, call.args["ipaddressid"])
    machine = str(call.args["virtualmachineid"])
    call.services.networks.associate_address(call.caller, str(address.id), machine)
    return Done()


@commands.command(
    "disableStaticNat",
    "Unbinds a public IP address from its VM",
    (Param("ipaddressid", ParamType.UUID, "The address", required=True),),
    is_async=True,
)
def disable_static_nat(call: Call) -> Reply:
    address = _address(call, call.args["ipaddressid"])
    networks = call.services.networks
    return settled(
        networks.disassociate_address(call.caller, str(address.id), settle=Settle.AS_JOB)
    )


@commands.command(
    "listPortForwardingRules",
    "Lists port forwarding rules; there are none (no NAT here)",
    ACCOUNT_LIST_PARAMS,
    response_key="portforwardingrule",
)
def list_port_forwarding_rules(call: Call) -> Reply:
    return call.page("portforwardingrule", [])


@commands.command(
    "listIpForwardingRules",
    "Lists IP forwarding rules; there are none (static NAT is model only)",
    ACCOUNT_LIST_PARAMS,
    response_key="ipforwardingrule",
)
def list_ip_forwarding_rules(call: Call) -> Reply:
    return call.page("ipforwardingrule", [])
