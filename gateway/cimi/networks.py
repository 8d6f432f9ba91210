"""Networks and Addresses: networks of the caller's account (made and deleted here) and the
zone's shared one, public addresses with the Machine they are bound to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from starlette.responses import Response

from core.enums import NetworkState, ResourceKind
from core.views import AddressQuery, InterfaceQuery, NetworkQuery
from gateway.cimi import editing, resources, wire
from gateway.cimi import filter as cimi_filter
from gateway.cimi.kit import (
    DATED,
    CimiError,
    Context,
    Document,
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

PORT_ATTRIBUTES: Mapping[str, cimi_filter.Attribute] = {
    "created": cimi_filter.DateTimeAttribute("created_at"),
    "state": cimi_filter.StringAttribute("instance_state", resources.port_states),
}
ADDRESS_ATTRIBUTES: Mapping[str, cimi_filter.Attribute] = {
    "name": cimi_filter.StringAttribute("ip"),  # an address is named by itself
    "ip": cimi_filter.StringAttribute("ip"),
    "created": cimi_filter.DateTimeAttribute("created_at"),
}


def networks(ctx: Context, rest: list[str]) -> Response:
    service = ctx.services.networks
    if not rest:

        def read(selection: Selection) -> Listed:
            query = NetworkQuery(**selection, states=(NetworkState.AVAILABLE,))
            page = service.list_networks(ctx.caller, query)
            return [resources.network(ctx.urls, n) for n in page.items], page.total

        return members(ctx, "Network", read, DATED, lambda: _create_network(ctx))
    network_id = str(uuid_of(rest[0]))
    allowed(ctx, "GET", "PUT", "DELETE")

    def show() -> Document:
        return resources.network(ctx.urls, service.get_network(ctx.caller, network_id))

    if ctx.request.method == "GET":
        return one(ctx, show())
    if ctx.request.method == "PUT":
        current = service.get_network(ctx.caller, network_id)
        network = editing.Editable.of(ResourceKind.NETWORK, network_id, current)
        return editing.put(ctx, "Network", network, show)
    done = service.delete_network(ctx.caller, network_id)
    return accepted(ctx, ctx.urls.of("networks", network_id), done.job_id, created=False)


def _create_network(ctx: Context) -> Response:
    """A private network of the account (core picks a free /24). Core makes it at once, so the
    answer is 201 with the Network; a template by reference is not offered (none are stored)."""
    body = wire.read(ctx.request, "NetworkCreate")
    template = body.get("networkTemplate")
    if not isinstance(template, Mapping) or template.get("href"):
        raise CimiError(400, "a NetworkCreate needs a networkTemplate by value")
    config = template.get("networkConfig") or {}
    if config.get("href") and href_id(ctx, config, "networkConfigs", "networkConfig") != (
        resources.PRIVATE_NETWORK
    ):
        raise CimiError(400, "networkConfig: this cloud has one, the private configuration")
    if config.get("networkType") not in (None, "PRIVATE"):
        raise CimiError(400, "networkType: this cloud makes PRIVATE networks")
    made = ctx.services.networks.create_network(
        ctx.caller,
        body.get("name") or "network",
        description=body.get("description") or "",
        network_tags=body.get("properties"),
    )
    document = resources.network(ctx.urls, made)
    return wire.respond(ctx.request, document, 201, {"Location": document["id"]})


def network_ports(ctx: Context, rest: list[str]) -> Response:
    """The machines' network interfaces, as ports of their networks (read only: a port comes
    and goes with its machine)."""
    compute = ctx.services.compute
    if rest:
        allowed(ctx, "GET")
        found = compute.list_interfaces(ctx.caller, InterfaceQuery(ids=[str(uuid_of(rest[0]))]))
        if not found.items:
            raise CimiError(404, f"no network port {rest[0]}")
        return one(ctx, resources.network_port(ctx.urls, found.items[0]))

    def read(selection: Selection) -> Listed:
        page = compute.list_interfaces(ctx.caller, InterfaceQuery(**selection))
        return [resources.network_port(ctx.urls, i) for i in page.items], page.total

    return members(ctx, "NetworkPort", read, PORT_ATTRIBUTES)


def addresses(ctx: Context, rest: list[str]) -> Response:
    """Public addresses: allocated by an AddressCreate (core picks the address), released by
    DELETE."""
    service = ctx.services.networks
    if rest:
        address_id = str(uuid_of(rest[0]))
        allowed(ctx, "GET", "PUT", "DELETE")
        if ctx.request.method == "DELETE":
            done = service.release_address(ctx.caller, address_id)
            return accepted(ctx, ctx.urls.of("addresses", address_id), done.job_id, created=False)

        def show() -> Document:
            return resources.address(ctx.urls, service.get_address(ctx.caller, address_id))

        if ctx.request.method == "GET":
            return one(ctx, show())
        current = service.get_address(ctx.caller, address_id)
        address = editing.Editable(
            ResourceKind.ADDRESS, address_id, {"name": current.ip}, properties=current.tags
        )
        return editing.put(ctx, "Address", address, show)

    def read(selection: Selection) -> Listed:
        page = service.list_addresses(ctx.caller, AddressQuery(**selection))
        return [resources.address(ctx.urls, a) for a in page.items], page.total

    return members(ctx, "Address", read, ADDRESS_ATTRIBUTES, lambda: _allocate(ctx))


def _allocate(ctx: Context) -> Response:
    body = wire.read(ctx.request, "AddressCreate")
    template = body.get("addressTemplate") or {}
    if template.get("href") or template.get("ip"):
        raise CimiError(400, "the cloud picks a public address: give no ip and no template href")
    done = ctx.services.networks.allocate_address(ctx.caller, body.get("properties"))
    return accepted(ctx, ctx.urls.of("addresses", done.item.id), done.job_id, created=True)


def _since(ctx: Context) -> dt.datetime:
    defaults = ctx.services.networks.list_networks(ctx.caller, NetworkQuery(is_default=True))
    return min((n.created_at for n in defaults.items), default=dt.datetime.now(dt.UTC))


def network_configs(ctx: Context, rest: list[str]) -> Response:
    """The one kind of network this cloud makes: a private, isolated one."""
    allowed(ctx, "GET")
    if rest:
        if uuid_of(rest[0]) != resources.PRIVATE_NETWORK:
            raise CimiError(404, f"no network configuration {rest[0]}")
        return one(ctx, resources.network_configuration(ctx.urls, _since(ctx)))

    def read(selection: Selection) -> Listed:
        shown = [resources.network_configuration(ctx.urls, _since(ctx))]
        return list(window(shown, selection)), 1

    return members(ctx, "NetworkConfiguration", read, {})
