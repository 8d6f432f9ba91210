"""Networks and Addresses: networks of the caller's account (made and deleted here) and the
zone's shared one, public addresses with the Machine they are bound to."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from core.enums import NetworkState
from core.views import AddressQuery, InterfaceQuery, NetworkQuery
from gateway.cimi import resources, wire
from gateway.cimi.kit import (
    DATED,
    CimiError,
    Context,
    Listed,
    Selection,
    accepted,
    allowed,
    members,
    one,
    uuid_of,
)


def networks(ctx: Context, rest: list[str]) -> Response:
    service = ctx.services.networks
    if not rest:

        def read(selection: Selection) -> Listed:
            query = NetworkQuery(**selection, states=(NetworkState.AVAILABLE,))
            page = service.list_networks(ctx.caller, query)
            return [resources.network(ctx.urls, n) for n in page.items], page.total

        return members(ctx, "Network", read, DATED, lambda: _create_network(ctx))
    network_id = str(uuid_of(rest[0]))
    allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return one(ctx, resources.network(ctx.urls, service.get_network(ctx.caller, network_id)))
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
        window = InterfaceQuery(offset=selection["offset"], limit=selection["limit"])
        page = compute.list_interfaces(ctx.caller, window)
        return [resources.network_port(ctx.urls, i) for i in page.items], page.total

    return members(ctx, "NetworkPort", read, {})  # core's interface listing takes no ``where``


def addresses(ctx: Context, rest: list[str]) -> Response:
    allowed(ctx, "GET")
    service = ctx.services.networks
    if rest:
        return one(
            ctx, resources.address(ctx.urls, service.get_address(ctx.caller, str(uuid_of(rest[0]))))
        )

    def read(selection: Selection) -> Listed:
        page = service.list_addresses(ctx.caller, AddressQuery(**selection))
        return [resources.address(ctx.urls, a) for a in page.items], page.total

    return members(ctx, "Address", read, {})  # core's address listing takes no ``where`` yet
