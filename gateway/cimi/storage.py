"""Volumes."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from core.predicates import Predicate
from core.views import SnapshotQuery, VolumeQuery
from gateway.cimi import resources, wire
from gateway.cimi.kit import (
    DATED,
    CimiError,
    Context,
    Listed,
    accepted,
    allowed,
    href_id,
    members,
    one,
    uuid_of,
)


def volumes(ctx: Context, rest: list[str]) -> Response:
    storage = ctx.services.storage
    if not rest:

        def read(where: Predicate, offset: int, limit: int | None) -> Listed:
            query = VolumeQuery(offset=offset, limit=limit, where=where)
            page = storage.list_volumes(ctx.caller, query)
            return [resources.volume(ctx.urls, v) for v in page.items], page.total

        return members(ctx, "Volume", read, DATED, lambda: _create_volume(ctx))
    volume_id = uuid_of(rest[0])
    allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return one(ctx, resources.volume(ctx.urls, storage.get_volume(ctx.caller, str(volume_id))))
    done = storage.delete_volume(ctx.caller, str(volume_id))
    return accepted(ctx, ctx.urls.of("volumes", volume_id), done.job_id, created=False)


def _create_volume(ctx: Context) -> Response:
    """From a volumeTemplate by value: a volumeConfig (inline capacity in KB, or a
    VolumeConfiguration's href) and, to copy a snapshot, a volumeImage's href."""
    body = wire.read(ctx.request, "VolumeCreate")
    template = body.get("volumeTemplate")
    if not isinstance(template, Mapping) or template.get("href"):
        raise CimiError(400, "a VolumeCreate needs a volumeTemplate by value")
    config = template.get("volumeConfig") or {}
    offering = None
    if config.get("href"):
        offering = str(href_id(ctx, config, "volumeConfigs", "volumeConfig"))
    capacity = config.get("capacity")
    if capacity is not None and (not isinstance(capacity, int) or capacity <= 0):
        raise CimiError(400, "volumeConfig.capacity is a positive number of KB")
    snapshot = None
    if template.get("volumeImage"):
        snapshot = str(href_id(ctx, template["volumeImage"], "volumeImages", "volumeImage"))
    if capacity is None and offering is None and snapshot is None:
        raise CimiError(
            400, "say how big: volumeConfig.capacity (KB), a volumeConfig or a volumeImage"
        )
    done = ctx.services.storage.create_volume(
        ctx.caller,
        size_gib=-(-capacity // resources.KB_PER_GIB) if capacity else None,
        snapshot=snapshot,
        disk_offering=offering,
        name=body.get("name"),
        volume_tags=body.get("properties"),
    )
    return accepted(ctx, ctx.urls.of("volumes", done.item.id), done.job_id, created=True)


def volume_configs(ctx: Context, rest: list[str]) -> Response:
    offerings = ctx.services.catalog.list_disk_offerings()
    if rest:
        wanted = uuid_of(rest[0])
        found = [o for o in offerings if o.id == wanted]
        if not found:
            raise CimiError(404, f"no volume configuration {wanted}")
        return one(ctx, resources.volume_configuration(ctx.urls, found[0]))

    def read(where: Predicate, offset: int, limit: int | None) -> Listed:
        shown = offerings[offset : None if limit is None else offset + limit]
        return [resources.volume_configuration(ctx.urls, o) for o in shown], len(offerings)

    return members(ctx, "VolumeConfiguration", read, {})


def _create_volume_image(ctx: Context) -> Response:
    body = wire.read(ctx.request, "VolumeImage")
    source = {"href": body.get("imageLocation") or ""}
    volume = href_id(ctx, source, "volumes", "imageLocation")
    done = ctx.services.storage.create_snapshot(
        ctx.caller,
        str(volume),
        name=body.get("name"),
        description=body.get("description") or "",
        snapshot_tags=body.get("properties"),
    )
    return accepted(ctx, ctx.urls.of("volumeImages", done.item.id), done.job_id, created=True)


def volume_images(ctx: Context, rest: list[str]) -> Response:
    """Snapshots. A VolumeImage is made from a volume: its ``imageLocation`` is the Volume's
    href (as a MachineImage capture names the Machine)."""
    storage = ctx.services.storage
    if not rest:

        def read(where: Predicate, offset: int, limit: int | None) -> Listed:
            query = SnapshotQuery(offset=offset, limit=limit, where=where)
            page = storage.list_snapshots(ctx.caller, query)
            return [resources.volume_image(ctx.urls, s) for s in page.items], page.total

        return members(ctx, "VolumeImage", read, DATED, lambda: _create_volume_image(ctx))
    snapshot_id = str(uuid_of(rest[0]))
    allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return one(
            ctx, resources.volume_image(ctx.urls, storage.get_snapshot(ctx.caller, snapshot_id))
        )
    done = storage.delete_snapshot(ctx.caller, snapshot_id)
    return accepted(ctx, ctx.urls.of("volumeImages", snapshot_id), done.job_id, created=False)
