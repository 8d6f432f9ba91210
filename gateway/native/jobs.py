"""Core jobs as CloudStack async jobs: ``jobstatus`` 0/1/2 and a ``jobresult`` that is always
present once the job is over (Ansible polls forever without it, cs reports "Unknown job result").

A finished job's result is the resource as it is now, rendered like the synchronous list call
would render it; delete-style jobs answer ``{"success": true}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from core import Services
from core.enums import JobKind, JobStatus
from core.errors import NotFound
from core.views import Accepted, Caller, JobView, VolumeQuery
from gateway.native import objects
from gateway.native.envelope import timestamp
from gateway.native.registry import Submitted
from translations.errors import native_code
from translations.native import job_command


@dataclass(frozen=True, slots=True)
class _Reader:
    """What a finished job's result is read and rendered with."""

    services: Services
    caller: Caller
    domain: str


Renderer = Callable[[_Reader, JobView], Mapping[str, Any]]


def _virtual_machine(reader: _Reader, job: JobView) -> Mapping[str, Any]:
    found = reader.services.compute.get_instance(reader.caller, str(job.resource_id))
    return {"virtualmachine": objects.virtual_machine(found, reader.domain)}


def _volume(reader: _Reader, job: JobView) -> Mapping[str, Any]:
    query = VolumeQuery(ids=(str(job.resource_id),), include_deleted=True)
    [found] = reader.services.storage.list_volumes(reader.caller, query).items
    return {"volume": objects.volume(found, reader.domain)}


def _snapshot(reader: _Reader, job: JobView) -> Mapping[str, Any]:
    found = reader.services.storage.get_snapshot(reader.caller, str(job.resource_id))
    return {"snapshot": objects.snapshot(found, reader.domain)}


def _template(reader: _Reader, job: JobView) -> Mapping[str, Any]:
    found = reader.services.images.get_image(reader.caller, str(job.resource_id))
    zone = objects.template_zone(reader.services)
    return {"template": objects.template(found, reader.domain, zone)}


def _security_group(reader: _Reader, job: JobView) -> Mapping[str, Any]:
    """The group with only the rules this job added, as CloudStack answers an authorize (Ansible
    takes the first rule listed as the one it created)."""
    found = reader.services.security_groups.get_group(reader.caller, str(job.resource_id))
    added = set((job.result or {}).get("added", []))
    rendered = objects.security_group(found, reader.domain)
    for direction in ("ingressrule", "egressrule"):
        rendered[direction] = [r for r in rendered[direction] if r["ruleid"] in added]
    return {"securitygroup": rendered}


def _public_ip(reader: _Reader, job: JobView) -> Mapping[str, Any]:
    found = reader.services.networks.get_address(reader.caller, str(job.resource_id))
    return {"ipaddress": objects.public_ip(found, reader.domain)}


def _success(_reader: _Reader, _job: JobView) -> Mapping[str, Any]:
    return {"success": True}


_RESULTS: Final[Mapping[JobKind, Renderer]] = {
    JobKind.LAUNCH_INSTANCE: _virtual_machine,
    JobKind.START_INSTANCE: _virtual_machine,
    JobKind.STOP_INSTANCE: _virtual_machine,
    JobKind.REBOOT_INSTANCE: _virtual_machine,
    JobKind.TERMINATE_INSTANCE: _virtual_machine,
    JobKind.DESTROY_INSTANCE: _virtual_machine,
    JobKind.EXPUNGE_INSTANCE: _virtual_machine,
    JobKind.RESTORE_INSTANCE: _virtual_machine,
    JobKind.RESET_KEY: _virtual_machine,
    JobKind.CREATE_VOLUME: _volume,
    JobKind.ATTACH_VOLUME: _volume,
    JobKind.DETACH_VOLUME: _volume,
    JobKind.RESIZE_VOLUME: _volume,
    JobKind.DELETE_VOLUME: _success,
    JobKind.CREATE_SNAPSHOT: _snapshot,
    JobKind.DELETE_SNAPSHOT: _success,
    JobKind.CAPTURE_IMAGE: _template,
    JobKind.DOWNLOAD_IMAGE: _template,
    JobKind.DELETE_IMAGE: _success,
    JobKind.AUTHORIZE_INGRESS: _security_group,
    JobKind.AUTHORIZE_EGRESS: _security_group,
    JobKind.REVOKE_INGRESS: _success,
    JobKind.REVOKE_EGRESS: _success,
    JobKind.DELETE_SECURITY_GROUP: _success,
    JobKind.DELETE_NETWORK: _success,
    JobKind.CREATE_TAGS: _success,
    JobKind.DELETE_TAGS: _success,
    JobKind.ALLOCATE_ADDRESS: _public_ip,
    JobKind.RELEASE_ADDRESS: _success,
    JobKind.DISASSOCIATE_ADDRESS: _success,
    JobKind.DELETE_ACCOUNT: _success,
}

_STATUS: Final = {
    JobStatus.PENDING: 0,
    JobStatus.RUNNING: 0,
    JobStatus.SUCCEEDED: 1,
    JobStatus.FAILED: 2,
}


def _result(reader: _Reader, job: JobView) -> tuple[int, Mapping[str, Any]]:
    if job.status is JobStatus.FAILED:
        code = native_code(job.error_kind)
        return code.errorcode, {"errorcode": code.errorcode, "errortext": job.error_text or ""}
    try:
        return 0, _RESULTS[job.kind](reader, job)
    except NotFound:
        # The resource went away after the job (deleted by a later call): the job still worked.
        return 0, {"success": True}


def async_job(job: JobView, services: Services, caller: Caller) -> dict[str, Any]:
    reader = _Reader(services, caller, objects.domain(services))
    command, instance_type = job_command(job.kind)
    rendered: dict[str, Any] = {
        "jobid": str(job.id),
        "accountid": str(job.account_id),
        "cmd": command,
        "jobstatus": _STATUS[job.status],
        "jobprocstatus": 0,
        "jobresultcode": 0,
        "jobinstancetype": instance_type,
        "jobinstanceid": str(job.resource_id),
        "created": timestamp(job.created_at),
        **objects.owner_fields(job.account_name, reader.domain),
    }
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        code, result = _result(reader, job)
        rendered["jobresultcode"] = code
        rendered["jobresulttype"] = "object"
        rendered["jobresult"] = result
        if job.finished_at is not None:
            rendered["completed"] = timestamp(job.finished_at)
    return rendered


def settled(accepted: Accepted[Any], *, new: bool = False) -> Submitted:
    """An async command's reply for an action core settled as a job (``Settle.AS_JOB``):
    the job id, and the resource's id where the command made it (``new``)."""
    if accepted.job_id is None:
        raise TypeError("an action settled as a job always answers one")
    return Submitted(accepted.job_id, accepted.item.id if new else None)
