"""A Machine's network interfaces, and the public Address bound to each
(MachineNetworkInterfaceAddress). Core binds a public address to a machine and shows it on the
machine's first interface (``AddressView.nic_ref``), so that is the interface that lists it,
takes one (POST of the Address by reference) and lets it go (DELETE)."""

from __future__ import annotations

from starlette.responses import Response

from core.views import AddressView, InstanceView, NicView
from gateway.cimi import representation, resources, wire
from gateway.cimi.kit import (
    CimiError,
    Context,
    Listed,
    Selection,
    accepted,
    allowed,
    href_id,
    members,
    one,
    uuid_of,
    window,
)


def machine_interfaces(ctx: Context, machine: InstanceView, rest: list[str]) -> Response:
    if not rest:
        allowed(ctx, "GET")
        href = ctx.urls.below("machines", machine.id, "networkInterfaces")
        items = resources.network_interfaces(ctx.urls, machine)
        collection = representation.collection("MachineNetworkInterface", href, items)
        return wire.respond(ctx.request, collection)
    wanted = uuid_of(rest[0])
    nic = next((n for n in machine.nics if n.id == wanted), None)
    if nic is None:
        raise CimiError(404, f"machine {machine.id} has no network interface {wanted}")
    if len(rest) == 1:
        allowed(ctx, "GET")
        return one(ctx, resources.network_interface(ctx.urls, machine, nic))
    if rest[1] != "addresses":
        raise CimiError(404, f"no {rest[1]} below a network interface")
    return _addresses(ctx, machine, nic, rest[2:])


def _addresses(ctx: Context, machine: InstanceView, nic: NicView, rest: list[str]) -> Response:
    interface = ctx.urls.below("machines", machine.id, "networkInterfaces", nic.id)
    bound = _bound(ctx, machine, nic)
    if not rest:

        def read(selection: Selection) -> Listed:
            shown = [resources.interface_address(ctx.urls, interface, a) for a in bound]
            return list(window(shown, selection)), len(shown)

        takes_one = not bound and nic.device_index == 0
        create = (lambda: _bind(ctx, machine, interface)) if takes_one else None
        return members(ctx, "MachineNetworkInterfaceAddress", read, {}, create)
    address_id = uuid_of(rest[0])
    address = next((a for a in bound if a.id == address_id), None)
    if address is None:
        raise CimiError(404, f"address {address_id} is not bound to this interface")
    allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return one(ctx, resources.interface_address(ctx.urls, interface, address))
    done = ctx.services.networks.disassociate_address(ctx.caller, str(address.id))
    return accepted(ctx, ctx.urls.of("addresses", address.id), done.job_id, created=False)


def _bound(ctx: Context, machine: InstanceView, nic: NicView) -> list[AddressView]:
    if machine.address is None:
        return []
    address = ctx.services.networks.get_address(ctx.caller, str(machine.address.id))
    return [address] if address.nic_ref == nic.ref else []


def _bind(ctx: Context, machine: InstanceView, interface: str) -> Response:
    """A MachineNetworkInterfaceAddress POSTed to the first interface: the Address it names,
    bound to the machine."""
    body = wire.read(ctx.request, "MachineNetworkInterfaceAddress")
    address_id = href_id(ctx, body.get("address"), "addresses", "address")
    ctx.services.networks.associate_address(ctx.caller, str(address_id), str(machine.id))
    href = f"{interface}/addresses/{address_id}"
    return wire.respond(ctx.request, None, 201, {"Location": href})
