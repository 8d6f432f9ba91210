"""Volumes and snapshots. Sizes are bytes in responses and GB in ``size`` parameters, as in
CloudStack."""

from __future__ import annotations

import uuid
from typing import Final

from core import DATA_DEVICES
from core.enums import Settle, VolumeType
from core.views import SnapshotQuery, VolumeQuery, VolumeView
from gateway.native import objects
from gateway.native.jobs import settled
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    TAGS_PARAM,
    Call,
    CommandSet,
    Done,
    Listing,
    Param,
    ParamType,
    Reply,
    Submitted,
    param_error,
)

commands = CommandSet()
_ID: Final = Param("id", ParamType.UUID, "The volume", required=True)
_TYPES: Final = {"ROOT": VolumeType.ROOT, "DATADISK": VolumeType.DATADISK}


def _volume(call: Call, target: uuid.UUID) -> VolumeView:
    return call.services.storage.get_volume(call.caller, str(target))


@commands.command(
    "listVolumes",
    "Lists volumes",
    (
        *ACCOUNT_LIST_PARAMS,
        TAGS_PARAM,
        Param("id", ParamType.UUID, "The volume"),
        Param("ids", ParamType.LIST, "Several volumes"),
        Param("name", ParamType.STRING, "The name"),
        Param("type", ParamType.STRING, "ROOT or DATADISK"),
        Param("virtualmachineid", ParamType.UUID, "Volumes of this VM"),
        Param("zoneid", ParamType.UUID, "The zone"),
    ),
    response_key="volume",
)
def list_volumes(call: Call) -> Reply:
    kind = call.args.get("type")
    if kind is not None and kind.upper() not in _TYPES:
        return call.page("volume", [])
    one, machine = call.args.get("id"), call.args.get("virtualmachineid")
    name, zone = call.args.get("name"), call.args.get("zoneid")
    query = VolumeQuery(
        ids=(str(one),) if one else tuple(call.args.get("ids") or ()),
        types=(_TYPES[kind.upper()],) if kind else (),
        instance=str(machine) if machine else None,
        names=(name,) if name else (),
        name_contains=call.args.get("keyword") or "",
        zones=(str(zone),) if zone else (),
        tags=call.args.tags(),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.storage.list_volumes(call.scope, query)
    domain = objects.domain(call.services)
    return Listing("volume", [objects.volume(v, domain) for v in page.items], page.total)


@commands.command(
    "createVolume",
    "Creates a data volume from a disk offering (with a size if it is custom) or a snapshot",
    (
        Param("name", ParamType.STRING, "The name"),
        Param("diskofferingid", ParamType.UUID, "The disk offering", related="listDiskOfferings"),
        Param("size", ParamType.LONG, "Size in GB, for a custom offering"),
        Param("snapshotid", ParamType.UUID, "Make the volume from this snapshot"),
        Param("zoneid", ParamType.UUID, "The zone"),
        Param("account", ParamType.STRING, "For this account (admins)"),
        Param("domainid", ParamType.UUID, "Domain of the account"),
    ),
    is_async=True,
    response_key="volume",
)
def create_volume(call: Call) -> Reply:
    offering, snapshot = call.args.get("diskofferingid"), call.args.get("snapshotid")
    if offering is None and snapshot is None:
        raise param_error("Either diskofferingid or snapshotid must be passed in")
    zone = call.args.get("zoneid")
    if zone is not None:
        call.require_zone(zone)
    owner = call.scope if call.args.get("account") else call.caller
    accepted = call.services.storage.create_volume(
        owner,
        size_gib=call.args.get("size"),
        snapshot=str(snapshot) if snapshot else None,
        name=call.args.get("name"),
        disk_offering=str(offering) if offering else None,
    )
    assert accepted.job_id is not None, "a new volume always has a job"
    return Submitted(accepted.job_id, accepted.item.id)


@commands.command(
    "attachVolume",
    "Attaches a data volume to a VM (hot-plugged when it runs)",
    (
        _ID,
        Param("virtualmachineid", ParamType.UUID, "The VM", required=True),
        Param("deviceid", ParamType.LONG, "Device number: 1 for vdb, 2 for vdc …"),
    ),
    is_async=True,
    response_key="volume",
)
def attach_volume(call: Call) -> Reply:
    volume = _volume(call, call.args["id"])
    machine = str(call.args["virtualmachineid"])
    call.services.compute.get_instance(call.caller, machine)
    number = call.args.get("deviceid")
    if number is not None and not 1 <= number <= len(DATA_DEVICES):
        raise param_error(f"deviceid must be between 1 and {len(DATA_DEVICES)}")
    device = None if number is None else DATA_DEVICES[number - 1]
    return settled(
        call.services.storage.attach_volume(
            call.caller, str(volume.id), machine, device=device, settle=Settle.AS_JOB
        )
    )


@commands.command(
    "resizeVolume",
    "Grows a volume (root or data, attached or not) to size GB or a disk offering's size",
    (
        _ID,
        Param("size", ParamType.LONG, "New size in GB"),
        Param("diskofferingid", ParamType.UUID, "A disk offering giving the new size"),
        Param("shrinkok", ParamType.BOOLEAN, "Allow shrinking (refused: data would be lost)"),
    ),
    is_async=True,
    response_key="volume",
)
def resize_volume(call: Call) -> Reply:
    volume = _volume(call, call.args["id"])
    offering = call.args.get("diskofferingid")
    size = call.args.get("size")

    return settled(
        call.services.storage.resize_volume(
            call.caller,
            str(volume.id),
            size_gib=size,
            disk_offering=None if offering is None else str(offering),
            settle=Settle.AS_JOB,
        )
    )


@commands.command(
    "detachVolume",
    "Detaches a data volume from its VM",
    (_ID,),
    is_async=True,
    response_key="volume",
)
def detach_volume(call: Call) -> Reply:
    volume = _volume(call, call.args["id"])
    return settled(
        call.services.storage.detach_volume(call.caller, str(volume.id), settle=Settle.AS_JOB)
    )


@commands.command("deleteVolume", "Deletes a detached data volume", (_ID,))
def delete_volume(call: Call) -> Reply:
    call.services.storage.delete_volume(call.caller, str(call.args["id"]))
    return Done()


@commands.command(
    "listSnapshots",
    "Lists volume snapshots",
    (
        *ACCOUNT_LIST_PARAMS,
        TAGS_PARAM,
        Param("id", ParamType.UUID, "The snapshot"),
        Param("ids", ParamType.LIST, "Several snapshots"),
        Param("name", ParamType.STRING, "The name"),
        Param("volumeid", ParamType.UUID, "Snapshots of this volume"),
        Param("snapshottype", ParamType.STRING, "MANUAL (the only kind here)"),
    ),
    response_key="snapshot",
)
def list_snapshots(call: Call) -> Reply:
    one, volume = call.args.get("id"), call.args.get("volumeid")
    kind = call.args.get("snapshottype")
    if kind is not None and kind.upper() != "MANUAL":
        return call.page("snapshot", [])
    name = call.args.get("name")
    query = SnapshotQuery(
        ids=(str(one),) if one else tuple(call.args.get("ids") or ()),
        volume=str(volume) if volume else None,
        names=(name,) if name else (),
        name_contains=call.args.get("keyword") or "",
        tags=call.args.tags(),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.storage.list_snapshots(call.scope, query)
    domain = objects.domain(call.services)
    return Listing("snapshot", [objects.snapshot(s, domain) for s in page.items], page.total)


@commands.command(
    "createSnapshot",
    "Snapshots a volume (consistent at one instant, also while the VM runs)",
    (
        Param("volumeid", ParamType.UUID, "The volume", required=True),
        Param("name", ParamType.STRING, "The name"),
    ),
    is_async=True,
    response_key="snapshot",
)
def create_snapshot(call: Call) -> Reply:
    volume = _volume(call, call.args["volumeid"])
    accepted = call.services.storage.create_snapshot(
        call.caller, str(volume.id), name=call.args.get("name")
    )
    assert accepted.job_id is not None, "a new snapshot always has a job"
    return Submitted(accepted.job_id, accepted.item.id)


@commands.command(
    "deleteSnapshot",
    "Deletes a snapshot",
    (Param("id", ParamType.UUID, "The snapshot", required=True),),
    is_async=True,
)
def delete_snapshot(call: Call) -> Reply:
    ref = str(call.args["id"])
    return settled(call.services.storage.delete_snapshot(call.caller, ref, settle=Settle.AS_JOB))
