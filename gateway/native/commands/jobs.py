"""Async jobs: how every client learns the outcome of an async command."""

from __future__ import annotations

import uuid

from gateway.native.jobs import async_job
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    Call,
    CommandSet,
    Listing,
    Param,
    ParamType,
    Raw,
    Reply,
)

commands = CommandSet()


@commands.command(
    "queryAsyncJobResult",
    "The status of an async job, with its result once it is over",
    (Param("jobid", ParamType.UUID, "The job", required=True),),
)
def query_async_job_result(call: Call) -> Reply:
    target: uuid.UUID = call.args["jobid"]
    job = call.services.jobs.get_job(call.caller, str(target))
    return Raw(async_job(job, call.services, call.caller))


@commands.command(
    "listAsyncJobs",
    "Lists async jobs, newest first",
    (*ACCOUNT_LIST_PARAMS, Param("startdate", ParamType.DATE, "Jobs created since")),
    response_key="asyncjobs",
)
def list_async_jobs(call: Call) -> Reply:
    since = call.args.get("startdate")
    page = call.services.jobs.list_jobs(
        call.scope, since=since, offset=call.window.offset, limit=call.window.limit
    )
    rendered = [async_job(j, call.services, call.caller) for j in page.items]
    return Listing("asyncjobs", rendered, page.total)
