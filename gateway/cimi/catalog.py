"""What machines are made of: MachineConfigurations from core's flavors, MachineImages from
the images the caller may launch."""

from __future__ import annotations

from starlette.responses import Response

from core.enums import ImageState
from core.views import ImageQuery
from gateway.cimi import filter as cimi_filter
from gateway.cimi import resources
from gateway.cimi.kit import (
    DATED,
    NAMED,
    CimiError,
    Context,
    Listed,
    Selection,
    allowed,
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
    allowed(ctx, "GET")
    images = ctx.services.images
    if rest:
        return one(
            ctx,
            resources.machine_image(ctx.urls, images.get_image(ctx.caller, str(uuid_of(rest[0])))),
        )

    def read(selection: Selection) -> Listed:
        query = ImageQuery(**selection, states=(ImageState.AVAILABLE,))
        page = images.list_images(ctx.caller, query)
        return [resources.machine_image(ctx.urls, i) for i in page.items], page.total

    return members(ctx, "MachineImage", read, DATED)
