"""Templates (core images) and ISOs (none: guests boot from disk images only)."""

from __future__ import annotations

import re
import uuid
from typing import Final

from core import Digest
from core.enums import DiskFormat, ImageScope, Settle, VolumeType
from core.views import ImageQuery
from gateway.native import objects
from gateway.native.jobs import settled
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    TAGS_PARAM,
    Call,
    CommandSet,
    Listing,
    Param,
    ParamType,
    Reply,
    Submitted,
    param_error,
)
from translations.native import HYPERVISOR, OS_TYPES

commands = CommandSet()

_FORMATS: Final = {"QCOW2": DiskFormat.QCOW2, "RAW": DiskFormat.RAW}
ALL_ZONES: Final = "-1"  # CloudStack's zoneid for "every zone"
#: ``{SHA-256}<hex>`` as CloudStack writes a checksum; a bare hex string is MD5
_CHECKSUM: Final = re.compile(r"(?:\{([A-Za-z0-9-]+)\})?([0-9A-Fa-f]+)")
_DIGESTS: Final = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}

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
    domain, zone = objects.domain(call.services), objects.template_zone(call.services)
    hypervisor, zone_id = call.args.get("hypervisor"), call.args.get("zoneid")
    if (
        not (own or public)
        or (hypervisor is not None and hypervisor.upper() != HYPERVISOR)
        or (zone_id is not None and (zone is None or str(zone.id) != str(zone_id)))
    ):
        return Listing("template", [], 0)
    one, name = call.args.get("id"), call.args.get("name")
    query = ImageQuery(
        ids=(str(one),) if one else tuple(str(i) for i in call.args.get("ids") or ()),
        names=(name,) if name else (),
        text_contains=call.args.get("keyword") or "",
        owners=tuple(
            s for s, shown in ((ImageScope.OWN, own), (ImageScope.PUBLIC, public)) if shown
        ),
        tags=call.args.tags(),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.images.list_images(call.caller, query)
    return Listing("template", [objects.template(i, domain, zone) for i in page.items], page.total)


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


def _zones(call: Call) -> None:
    """``zoneid``/``zoneids`` must name zones of this cloud; ``-1`` (all zones) is accepted.
    An image is usable in every zone anyway (any host can launch it)."""
    wanted = [call.args.get("zoneid"), *(call.args.get("zoneids") or ())]
    for text in (t for t in wanted if t is not None and t != ALL_ZONES):
        try:
            zone = uuid.UUID(text)
        except ValueError:
            raise param_error(f"Unable to find zone by id={text}") from None
        call.require_zone(zone)


def _digest(text: str) -> Digest | None:
    if not text.strip():
        return None
    found = _CHECKSUM.fullmatch(text.strip())
    algorithm = _DIGESTS.get((found[1] or "MD5").upper()) if found else None
    if found is None or algorithm is None:
        prefixes = ", ".join(f"{{{name}}}" for name in _DIGESTS)
        raise param_error(f"checksum {text!r}: a hex digest, optionally after one of {prefixes}")
    return Digest(algorithm, found[2].lower())


@commands.command(
    "registerTemplate",
    "Registers a template from an http(s) URL; it is ready once downloaded and checked",
    (
        Param(
            "url", ParamType.STRING, "An http or https URL of a QCOW2 or RAW image", required=True
        ),
        Param("name", ParamType.STRING, "The name", required=True),
        Param("displaytext", ParamType.STRING, "The description (default: the name)"),
        Param("format", ParamType.STRING, "QCOW2 or RAW", required=True),
        Param("hypervisor", ParamType.STRING, "KVM", required=True, related="listHypervisors"),
        Param("ostypeid", ParamType.UUID, "OS type (informative)", related="listOsTypes"),
        Param("zoneid", ParamType.STRING, "A zone, or -1 for all zones", related="listZones"),
        Param("zoneids", ParamType.LIST, "Zones", related="listZones"),
        Param("ispublic", ParamType.BOOLEAN, "Visible to all accounts (admins)"),
        Param("isfeatured", ParamType.BOOLEAN, "Featured (shown as ispublic)"),
        Param("isextractable", ParamType.BOOLEAN, "Extractable (not supported; ignored)"),
        Param("passwordenabled", ParamType.BOOLEAN, "Password reset (not supported; ignored)"),
        Param("requireshvm", ParamType.BOOLEAN, "Requires HVM (all KVM guests do)"),
        Param("sshkeyenabled", ParamType.BOOLEAN, "SSH keys are always injected"),
        Param("isdynamicallyscalable", ParamType.BOOLEAN, "Not supported; ignored"),
        Param("bits", ParamType.INTEGER, "32 or 64 (informative)"),
        Param(
            "checksum",
            ParamType.STRING,
            "MD5 hex, or {SHA-1}, {SHA-256}, {SHA-512} then hex: the download must match",
        ),
    ),
    response_key="template",
)
def register_template(call: Call) -> Reply:
    """Synchronous as in CloudStack: the answer is a one-item list with the template not ready
    (``isready`` false); a job downloads and checks it in the background."""
    disk_format = _FORMATS.get(call.args["format"].upper())
    if disk_format is None:
        raise param_error(
            f"Image format {call.args['format']} is not supported for {HYPERVISOR}; "
            f"{' or '.join(_FORMATS)} expected"
        )
    if call.args["hypervisor"].upper() != HYPERVISOR:
        raise param_error(f"Hypervisor {call.args['hypervisor']} is not supported; use KVM")
    os_type = call.args.get("ostypeid")
    if os_type is not None and all(str(os_type) != os.id for os in OS_TYPES):
        raise param_error(f"Unable to find guest OS type by id={os_type}")
    _zones(call)
    accepted = call.services.images.register_from_url(
        call.caller,
        call.args["url"],
        name=call.args["name"],
        disk_format=disk_format,
        description=call.args.get("displaytext") or "",
        public=bool(call.args.get("ispublic")),
        digest=_digest(call.args.get("checksum") or ""),
    )
    zone = objects.template_zone(call.services)
    rendered = objects.template(accepted.item, objects.domain(call.services), zone)
    return Listing("template", [rendered], 1)


@commands.command(
    "deleteTemplate",
    "Deletes a template; VMs launched from it keep working",
    (
        Param("id", ParamType.UUID, "The template", required=True),
        Param("zoneid", ParamType.STRING, "A zone, or -1 for all zones", related="listZones"),
        Param("forced", ParamType.BOOLEAN, "Accepted; VMs using the template are never broken"),
    ),
    is_async=True,
)
def delete_template(call: Call) -> Reply:
    _zones(call)
    ref = str(call.args["id"])
    return settled(call.services.images.deregister(call.caller, ref, settle=Settle.AS_JOB))
