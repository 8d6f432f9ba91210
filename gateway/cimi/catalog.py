"""What machines are made of: MachineConfigurations from core's flavors, MachineImages from
the images the caller may launch."""

from __future__ import annotations

from starlette.responses import Response

from core.enums import ImageState, ResourceKind
from core.views import ImageQuery
from gateway.cimi import editing, resources, wire
from gateway.cimi import filter as cimi_filter
from gateway.cimi.kit import (
    DATED,
    NAMED,
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


def machine_configs(ctx: Context, rest: list[str]) -> Response:
    allowed(ctx, "GET")
    if rest:
        wanted = uuid_of(rest[0])
        found = [f for f in ctx.services.catalog.list_flavors() if f.id == wanted]
        if not found:
            raise CimiError(404, f"no machine configuration {wanted}")
        return one(ctx, resources.machine_configuration(ctx.urls, found[0]))
    attributes = {
        **NAMED,
        "cpu": cimi_filter.IntegerAttribute("vcpus"),
        "memory": cimi_filter.IntegerAttribute("memory_mib", resources.KIB_PER_MIB),
    }

    def read(selection: Selection) -> Listed:
        flavors = ctx.services.catalog.list_flavors(
            where=selection["where"], order_by=selection["order_by"]
        )
        shown = window(flavors, selection)
        return [resources.machine_configuration(ctx.urls, f) for f in shown], len(flavors)

    return members(ctx, "MachineConfiguration", read, attributes)


def machine_images(ctx: Context, rest: list[str]) -> Response:
    images = ctx.services.images
    if rest:
        image_id = str(uuid_of(rest[0]))
        allowed(ctx, "GET", "PUT", "DELETE")
        if ctx.request.method == "DELETE":
            done = images.deregister(ctx.caller, image_id)
            return accepted(ctx, ctx.urls.of("machineImages", image_id), done.job_id, created=False)

        def show() -> Document:
            found = images.get_image(ctx.caller, image_id)
            return resources.machine_image(ctx.urls, found, ctx.caller.account_id)

        if ctx.request.method == "GET":
            return one(ctx, show())
        image = editing.Editable.of(
            ResourceKind.IMAGE,
            image_id,
            images.get_image(ctx.caller, image_id),
            frozenset({"description"}),
            images.update_image,
        )
        return editing.put(ctx, "MachineImage", image, show)

    def read(selection: Selection) -> Listed:
        query = ImageQuery(**selection, states=(ImageState.PENDING, ImageState.AVAILABLE))
        page = images.list_images(ctx.caller, query)
        return [
            resources.machine_image(ctx.urls, i, ctx.caller.account_id) for i in page.items
        ], page.total

    return members(ctx, "MachineImage", read, DATED, lambda: _capture(ctx))


def _capture(ctx: Context) -> Response:
    """A Machine's capture (DSP0263: a MachineImage POSTed with the Machine as its
    ``imageLocation``): core's image of the instance's root disk."""
    body = wire.read(ctx.request, "MachineImage")
    machine = href_id(ctx, {"href": body.get("imageLocation") or ""}, "machines", "imageLocation")
    done = ctx.services.images.capture(
        ctx.caller,
        str(machine),
        name=body.get("name") or f"capture-{machine}",
        description=body.get("description") or "",
        image_tags=body.get("properties"),
    )
    return accepted(ctx, ctx.urls.of("machineImages", done.item.id), done.job_id, created=True)
