"""Jobs: every core job, whichever API started it."""

from __future__ import annotations

from starlette.responses import Response

from gateway.cimi import filter as cimi_filter
from gateway.cimi import resources
from gateway.cimi.kit import Context, Listed, Selection, allowed, members, one, uuid_of


def jobs(ctx: Context, rest: list[str]) -> Response:
    allowed(ctx, "GET")
    queue = ctx.services.jobs
    if rest:
        return one(ctx, resources.job(ctx.urls, queue.get_job(ctx.caller, str(uuid_of(rest[0])))))

    def read(selection: Selection) -> Listed:
        page = queue.list_jobs(ctx.caller, **selection)
        return [resources.job(ctx.urls, j) for j in page.items], page.total

    attributes: dict[str, cimi_filter.Attribute] = {
        "created": cimi_filter.DateTimeAttribute("created_at"),
        "state": cimi_filter.StringAttribute("status", resources.job_states),
    }
    return members(ctx, "Job", read, attributes)
