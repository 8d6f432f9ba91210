"""Volumes."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from core.predicates import Predicate
from core.views import VolumeQuery
from gateway.cimi import filter as cimi_filter
from gateway.cimi import resources, wire
from gateway.cimi.kit import (
    NAMED,
    CimiError,
    Context,
    Listed,
    accepted,
    add_operation,
    allowed,
    listed,
    one,
    uuid_of,
)


def volumes(ctx: Context, rest: list[str]) -> Response:
    storage = ctx.services.storage
    if not rest:
        allowed(ctx, "GET", "POST")
        if ctx.request.method == "POST":
            return _create_volume(ctx)

        def read(where: Predicate, offset: int, limit: int | None) -> Listed:
            query = VolumeQuery(offset=offset, limit=limit, where=where)
            page = storage.list_volumes(ctx.caller, query)
            return [resources.volume(ctx.urls, v) for v in page.items], page.total

        attributes = {**NAMED, "created": cimi_filter.DateTimeAttribute("created_at")}
        return listed(ctx, "Volume", "volumes", read, attributes, add_operation(ctx, "volumes"))
    volume_id = uuid_of(rest[0])
    allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return one(ctx, resources.volume(ctx.urls, storage.get_volume(ctx.caller, str(volume_id))))
    done = storage.delete_volume(ctx.caller, str(volume_id))
    return accepted(ctx, ctx.urls.of("volumes", volume_id), done.job_id, created=False)


def _create_volume(ctx: Context) -> Response:
    body = wire.read(ctx.request, "VolumeCreate")
    template = body.get("volumeTemplate")
    config = template.get("volumeConfig") if isinstance(template, Mapping) else None
    capacity = config.get("capacity") if isinstance(config, Mapping) else None
    if not isinstance(capacity, int) or capacity <= 0:
        raise CimiError(400, "a VolumeCreate needs volumeTemplate.volumeConfig.capacity (KB)")
    size_gib = -(-capacity // resources.KB_PER_GIB)
    done = ctx.services.storage.create_volume(
        ctx.caller, size_gib=size_gib, name=body.get("name"), volume_tags=body.get("properties")
    )
    return accepted(ctx, ctx.urls.of("volumes", done.item.id), done.job_id, created=True)
