"""Templates (core images) and ISOs (none: guests boot from disk images only)."""

from __future__ import annotations

from typing import Final

from core.enums import VolumeType
from gateway.native import objects
from gateway.native.commands.catalog import matching
from gateway.native.objects import Lookups
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    TAGS_PARAM,
    Call,
    CommandSet,
    Param,
    ParamType,
    Reply,
    Submitted,
    param_error,
)

commands = CommandSet()

#: templatefilter values and whether each shows the caller's own, and others' public templates
_FILTERS: Final = {
    "featured": (False, True),
    "self": (True, False),
    "selfexecutable": (True, False),
    "sharedexecutable": (False, False),
    "executable": (True, True),
    "community": (False, True),
    "all": (True, True),
}


@commands.command(
    "listTemplates",
    "Lists templates",
    (
        *ACCOUNT_LIST_PARAMS,
        TAGS_PARAM,
        Param(
            "templatefilter", ParamType.STRING, "featured, self, executable, all …", required=True
        ),
        Param("id", ParamType.UUID, "The template"),
        Param("ids", ParamType.LIST, "Several templates"),
        Param("name", ParamType.STRING, "The name"),
        Param("zoneid", ParamType.UUID, "The zone"),
        Param("hypervisor", ParamType.STRING, "KVM"),
    ),
    response_key="template",
)
def list_templates(call: Call) -> Reply:
    wanted = call.args["templatefilter"].lower()
    if wanted not in _FILTERS:
        raise param_error(f"templatefilter must be one of {', '.join(_FILTERS)}")
    own, public = _FILTERS[wanted]
    images = call.services.images.list_images(call.caller, image_tags=call.args.tags())
    ids = {str(i) for i in (call.args.get("ids") or ())}
    lookups = Lookups(call.services, call.caller)
    shown = [
        objects.template(image, lookups)
        for image in images
        if (
            (own and image.owner_account_id == call.caller.account_id)
            or (public and image.is_public)
        )
        and (not ids or str(image.id) in ids)
    ]
    hypervisor, zone = call.args.get("hypervisor"), call.args.get("zoneid")
    shown = [
        t
        for t in shown
        if (hypervisor is None or hypervisor.upper() == t["hypervisor"])
        and (zone is None or t["zoneid"] == str(zone))
    ]
    return call.page("template", matching(call, shown, fields=("name", "displaytext")))


@commands.command(
    "listIsos",
    "Lists ISOs; there are none (guests boot from templates)",
    (
        *ACCOUNT_LIST_PARAMS,
        Param("isofilter", ParamType.STRING, "featured, self, executable, all …"),
        Param("id", ParamType.UUID, "The ISO"),
        Param("name", ParamType.STRING, "The name"),
        Param("zoneid", ParamType.UUID, "The zone"),
    ),
    response_key="iso",
)
def list_isos(call: Call) -> Reply:
    return call.page("iso", [])


@commands.command(
    "createTemplate",
    "Creates a template from a VM's root volume",
    (
        Param("name", ParamType.STRING, "The name", required=True),
        Param("displaytext", ParamType.STRING, "The description"),
        Param("volumeid", ParamType.UUID, "A ROOT volume", required=True),
        Param("ostypeid", ParamType.UUID, "OS type (informative)", related="listOsTypes"),
        Param("ispublic", ParamType.BOOLEAN, "Visible to all accounts (admins)"),
    ),
    is_async=True,
    response_key="template",
)
def create_template(call: Call) -> Reply:
    volume = call.services.storage.get_volume(call.caller, str(call.args["volumeid"]))
    if volume.volume_type is not VolumeType.ROOT or volume.instance_id is None:
        raise param_error("volumeid must be the ROOT volume of a virtual machine")
    accepted = call.services.images.capture(
        call.caller,
        str(volume.instance_id),
        name=call.args["name"],
        description=call.args.get("displaytext") or "",
        public=bool(call.args.get("ispublic")),
    )
    assert accepted.job_id is not None, "a capture always has a job"
    return Submitted(accepted.job_id, accepted.item.id)
