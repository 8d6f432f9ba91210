"""Volumes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.responses import Response

from core.enums import ResourceKind
from core.views import SnapshotQuery, VolumeQuery, VolumeTemplateQuery
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


def volumes(ctx: Context, rest: list[str]) -> Response:
    storage = ctx.services.storage
    if not rest:

        def read(selection: Selection) -> Listed:
            query = VolumeQuery(**selection)
            page = storage.list_volumes(ctx.caller, query)
            return [resources.volume(ctx.urls, v) for v in page.items], page.total

        return members(ctx, "Volume", read, DATED, lambda: _create_volume(ctx))
    volume_id = uuid_of(rest[0])
    allowed(ctx, "GET", "PUT", "DELETE")

    def show() -> Document:
        return resources.volume(ctx.urls, storage.get_volume(ctx.caller, str(volume_id)))

    if ctx.request.method == "GET":
        return one(ctx, show())
    if ctx.request.method == "PUT":
        current = storage.get_volume(ctx.caller, str(volume_id))
        volume = editing.Editable.of(ResourceKind.VOLUME, str(volume_id), current)
        return editing.put(ctx, "Volume", volume, show)
    done = storage.delete_volume(ctx.caller, str(volume_id))
    return accepted(ctx, ctx.urls.of("volumes", volume_id), done.job_id, created=False)


@dataclass(frozen=True)
class _Volume:
    """What a VolumeTemplate says: a size, a disk offering, a snapshot to copy."""

    size_gib: int | None
    offering: str | None
    snapshot: str | None


def _volume_template(ctx: Context, given: Mapping[str, Any]) -> _Volume:
    """A template by value, or the stored one its href names with what is given beside the
    href overriding it: a volumeConfig (inline capacity in KB, or a VolumeConfiguration's
    href) and a volumeImage's href."""
    stored = None
    if given.get("href"):
        template_id = href_id(ctx, given, "volumeTemplates", "volumeTemplate")
        stored = ctx.services.volume_templates.get_volume_template(ctx.caller, str(template_id))
    size_gib = stored.size_gib if stored else None
    offering = str(stored.disk_offering_id) if stored and stored.disk_offering_id else None
    snapshot = str(stored.snapshot_id) if stored and stored.snapshot_id else None
    config = given.get("volumeConfig") or {}
    if config.get("href"):
        offering = str(href_id(ctx, config, "volumeConfigs", "volumeConfig"))
        size_gib = None
    capacity = config.get("capacity")
    if capacity is not None:
        if not isinstance(capacity, int) or capacity <= 0:
            raise CimiError(400, "volumeConfig.capacity is a positive number of KB")
        size_gib = -(-capacity // resources.KB_PER_GIB)
    if given.get("volumeImage"):
        snapshot = str(href_id(ctx, given["volumeImage"], "volumeImages", "volumeImage"))
    if size_gib is None and offering is None and snapshot is None:
        raise CimiError(
            400, "say how big: volumeConfig.capacity (KB), a volumeConfig or a volumeImage"
        )
    return _Volume(size_gib, offering, snapshot)


def _create_volume(ctx: Context) -> Response:
    body = wire.read(ctx.request, "VolumeCreate")
    given = body.get("volumeTemplate")
    if not isinstance(given, Mapping):
        raise CimiError(400, "a VolumeCreate needs a volumeTemplate")
    wanted = _volume_template(ctx, given)
    done = ctx.services.storage.create_volume(
        ctx.caller,
        size_gib=wanted.size_gib,
        snapshot=wanted.snapshot,
        disk_offering=wanted.offering,
        name=body.get("name"),
        volume_tags=body.get("properties"),
    )
    return accepted(ctx, ctx.urls.of("volumes", done.item.id), done.job_id, created=True)


def volume_templates(ctx: Context, rest: list[str]) -> Response:
    templates = ctx.services.volume_templates
    if not rest:

        def read(selection: Selection) -> Listed:
            query = VolumeTemplateQuery(**selection)
            page = templates.list_volume_templates(ctx.caller, query)
            return [resources.volume_template(ctx.urls, t) for t in page.items], page.total

        return members(ctx, "VolumeTemplate", read, DATED, lambda: _create_volume_template(ctx))
    template_id = str(uuid_of(rest[0]))
    allowed(ctx, "GET", "PUT", "DELETE")
    if ctx.request.method == "DELETE":
        templates.delete_volume_template(ctx.caller, template_id)
        return wire.respond(ctx.request, None, 200)

    def show() -> Document:
        return resources.volume_template(
            ctx.urls, templates.get_volume_template(ctx.caller, template_id)
        )

    if ctx.request.method == "GET":
        return one(ctx, show())
    template = editing.Editable.of(
        ResourceKind.VOLUME_TEMPLATE,
        template_id,
        templates.get_volume_template(ctx.caller, template_id),
        frozenset({"name", "description"}),
        templates.update_volume_template,
    )
    return editing.put(ctx, "VolumeTemplate", template, show)


def _create_volume_template(ctx: Context) -> Response:
    body = wire.read(ctx.request, "VolumeTemplate")
    if body.get("href"):
        raise CimiError(400, "a VolumeTemplate is created by value, not by reference")
    wanted = _volume_template(ctx, body)
    made = ctx.services.volume_templates.create_volume_template(
        ctx.caller,
        body.get("name") or f"volume-template-{uuid.uuid4().hex[:8]}",
        size_gib=wanted.size_gib,
        disk_offering=wanted.offering,
        snapshot=wanted.snapshot,
        description=body.get("description") or "",
        tags=body.get("properties"),
    )
    document = resources.volume_template(ctx.urls, made)
    return wire.respond(ctx.request, document, 201, {"Location": document["id"]})


VOLUME_CONFIG_ATTRIBUTES: Final[Mapping[str, cimi_filter.Attribute]] = {
    **DATED,
    "capacity": cimi_filter.IntegerAttribute("size_gib", resources.KB_PER_GIB),
}


def volume_configs(ctx: Context, rest: list[str]) -> Response:
    catalog = ctx.services.catalog
    if rest:
        allowed(ctx, "GET")
        wanted = uuid_of(rest[0])
        found = [o for o in catalog.list_disk_offerings() if o.id == wanted]
        if not found:
            raise CimiError(404, f"no volume configuration {wanted}")
        return one(ctx, resources.volume_configuration(ctx.urls, found[0]))

    def read(selection: Selection) -> Listed:
        offerings = catalog.list_disk_offerings(
            where=selection["where"], order_by=selection["order_by"]
        )
        shown = window(offerings, selection)
        return [resources.volume_configuration(ctx.urls, o) for o in shown], len(offerings)

    return members(ctx, "VolumeConfiguration", read, VOLUME_CONFIG_ATTRIBUTES)


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

        def read(selection: Selection) -> Listed:
            query = SnapshotQuery(**selection)
            page = storage.list_snapshots(ctx.caller, query)
            return [resources.volume_image(ctx.urls, s) for s in page.items], page.total

        return members(ctx, "VolumeImage", read, DATED, lambda: _create_volume_image(ctx))
    snapshot_id = str(uuid_of(rest[0]))
    allowed(ctx, "GET", "PUT", "DELETE")

    def show() -> Document:
        return resources.volume_image(ctx.urls, storage.get_snapshot(ctx.caller, snapshot_id))

    if ctx.request.method == "GET":
        return one(ctx, show())
    if ctx.request.method == "PUT":
        snapshot = storage.get_snapshot(ctx.caller, snapshot_id)
        image = editing.Editable.of(ResourceKind.SNAPSHOT, snapshot_id, snapshot)
        return editing.put(ctx, "VolumeImage", image, show)
    done = storage.delete_snapshot(ctx.caller, snapshot_id)
    return accepted(ctx, ctx.urls.of("volumeImages", snapshot_id), done.job_id, created=False)
