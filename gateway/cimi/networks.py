"""Networks and Addresses, read from core: networks of the caller's account and the zone's
shared one, public addresses with the Machine they are bound to. A network the caller owns can
be deleted; creating networks through CIMI is not offered yet (the schema tables have no
NetworkCreate)."""

from __future__ import annotations

from starlette.responses import Response

from core.enums import NetworkState
from core.predicates import Predicate
from core.views import AddressQuery, NetworkQuery
from gateway.cimi import resources
from gateway.cimi.kit import DATED, Context, Listed, accepted, allowed, members, one, uuid_of


def networks(ctx: Context, rest: list[str]) -> Response:
    service = ctx.services.networks
    if not rest:
        allowed(ctx, "GET")

        def read(where: Predicate, offset: int, limit: int | None) -> Listed:
            query = NetworkQuery(
                offset=offset, limit=limit, where=where, states=(NetworkState.AVAILABLE,)
            )
            page = service.list_networks(ctx.caller, query)
            return [resources.network(ctx.urls, n) for n in page.items], page.total

        return members(ctx, "Network", read, DATED)
    network_id = str(uuid_of(rest[0]))
    allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return one(ctx, resources.network(ctx.urls, service.get_network(ctx.caller, network_id)))
    done = service.delete_network(ctx.caller, network_id)
    return accepted(ctx, ctx.urls.of("networks", network_id), done.job_id, created=False)


def addresses(ctx: Context, rest: list[str]) -> Response:
    allowed(ctx, "GET")
    service = ctx.services.networks
    if rest:
        return one(
            ctx, resources.address(ctx.urls, service.get_address(ctx.caller, str(uuid_of(rest[0]))))
        )

    def read(where: Predicate, offset: int, limit: int | None) -> Listed:
        page = service.list_addresses(
            ctx.caller, AddressQuery(offset=offset, limit=limit, where=where)
        )
        return [resources.address(ctx.urls, a) for a in page.items], page.total

    return members(ctx, "Address", read, DATED)
