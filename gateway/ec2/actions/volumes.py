"""EBS volumes and snapshots on core volumes: create, describe, attach, detach, grow, delete.

Every volume is shown, root volumes included (they are EBS volumes on AWS too). Device names
``/dev/sdf``, ``/dev/xvdf`` and ``/dev/vdf`` all name the guest's ``vdf``: a KVM guest sees
virtio disks whatever name the caller used. Volume types are not modelled by core: ``standard``,
``gp2`` and ``gp3`` are accepted and every volume reports ``standard``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Final

from core.enums import VolumeType
from core.views import Page, SnapshotQuery, SnapshotView, VolumeQuery, VolumeView
from gateway.ec2 import filters, listing, paging
from gateway.ec2.call import (
    Call,
    in_our_region,
    in_our_zone,
    owner_id,
    refuse,
    tag_list,
    tag_specs,
)
from gateway.ec2.errors import Ec2Error, not_found, unsupported
from translations.ec2 import (
    ATTACHMENT_STATES,
    INSTANCE,
    SNAPSHOT,
    SNAPSHOT_STATES,
    VOLUME,
    VOLUME_STATES,
)

GIB: Final = 1024**3
VOLUME_TYPES: Final = ("standard", "gp2", "gp3")
_DEVICE: Final = re.compile(r"/dev/(?:sd|xvd|vd)([b-z])")
_VOLUME_FILTERS: Final = {
    "volume-id": filters.path("VolumeId"),
    "status": filters.path("State"),
    "size": filters.path("Size"),
    "availability-zone": filters.path("AvailabilityZone"),
    "create-time": filters.path("CreateTime"),
    "snapshot-id": filters.path("SnapshotId"),
    "volume-type": filters.path("VolumeType"),
    "encrypted": filters.path("Encrypted"),
    "multi-attach-enabled": filters.path("MultiAttachEnabled"),
    "attachment.instance-id": filters.path("Attachments.InstanceId"),
    "attachment.device": filters.path("Attachments.Device"),
    "attachment.status": filters.path("Attachments.State"),
    "attachment.attach-time": filters.path("Attachments.AttachTime"),
    "attachment.delete-on-termination": filters.path("Attachments.DeleteOnTermination"),
}
_VOLUME_IDS: Final = ("VolumeIds", "volumeIds")


_SNAPSHOT_IDS: Final = ("SnapshotIds", "snapshotIds")
# Filters core applies in SQL; the rest match the rendered item (``_SNAPSHOT_FILTERS``).
_SNAPSHOT_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "snapshot-id": filters.as_refs(SNAPSHOT, "ids"),
    "status": filters.as_states(SNAPSHOT_STATES),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}
# Filters core applies in SQL; the rest match the rendered item (``_VOLUME_FILTERS``).
_VOLUME_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "volume-id": filters.as_refs(VOLUME, "ids"),
    "status": filters.as_states(VOLUME_STATES),
    "availability-zone": filters.as_values("zones"),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}
_SNAPSHOT_FILTERS: Final = {
    "snapshot-id": filters.path("SnapshotId"),
    "volume-id": filters.path("VolumeId"),
    "status": filters.path("State"),
    "owner-id": filters.path("OwnerId"),
    "description": filters.path("Description"),
    "start-time": filters.path("StartTime"),
    "volume-size": filters.path("VolumeSize"),
    "progress": filters.path("Progress"),
    "encrypted": filters.path("Encrypted"),
    "storage-tier": filters.path("StorageTier"),
}


def _attachment(volume: VolumeView) -> dict[str, Any]:
    return {
        "VolumeId": VOLUME.render(volume.ref),
        "InstanceId": INSTANCE.render(volume.instance_ref or ""),
        "Device": f"/dev/{volume.device}",
        "State": ATTACHMENT_STATES.get(volume.state, "attached"),
        "AttachTime": volume.attached_at or volume.created_at,
        "DeleteOnTermination": volume.volume_type is VolumeType.ROOT,
    }


def volume_item(volume: VolumeView) -> dict[str, Any]:
    snapshot_ref = volume.snapshot_ref
    return {
        "VolumeId": VOLUME.render(volume.ref),
        "Size": volume.size_gib,
        "SnapshotId": SNAPSHOT.render(snapshot_ref) if snapshot_ref else "",
        "AvailabilityZone": volume.zone_name,
        "State": VOLUME_STATES[volume.state],
        "CreateTime": volume.created_at,
        "Attachments": [_attachment(volume)] if volume.instance_ref and volume.device else [],
        "VolumeType": "standard",
        "Encrypted": False,
        "MultiAttachEnabled": False,
        "Tags": tag_list(volume.tags),
    }


def _device(text: str) -> str:
    found = _DEVICE.fullmatch(text)
    if found is None:
        raise Ec2Error(
            "InvalidParameterValue",
            f"Value ({text}) for parameter device is invalid. {text} is not a valid EBS device"
            " name (use /dev/sdf through /dev/sdz).",
        )
    return f"vd{found.group(1)}"


def _volume_type(call: Call) -> None:
    if call.args.get("VolumeType", "standard") not in VOLUME_TYPES:
        raise unsupported(f"Volume type {call.args['VolumeType']}")


def create_volume(call: Call) -> Mapping[str, Any]:
    args = call.args
    in_our_zone(call, args.get("AvailabilityZone"))
    _volume_type(call)
    refuse(call, "Iops", "Throughput", "Encrypted", "KmsKeyId", "MultiAttachEnabled", "OutpostArn")
    snapshot = call.ref(SNAPSHOT, "SnapshotId") if args.get("SnapshotId") else None
    if snapshot is None and args.get("Size") is None:
        raise Ec2Error("MissingParameter", "The request must contain the parameter size/snapshot")
    if snapshot is not None:
        call.services.storage.get_snapshot(call.caller, snapshot)
    wanted = tag_specs(call, "volume")["volume"]
    volume = call.services.storage.create_volume(
        call.caller,
        size_gib=args.get("Size"),
        snapshot=snapshot,
        volume_tags=wanted,
        client_token=args.get("ClientToken") or None,
    ).item
    return volume_item(volume)


def describe_volumes(call: Call) -> Mapping[str, Any]:
    listed, next_token = listing.describe(
        call,
        VOLUME,
        _VOLUME_IDS,
        lambda fields: call.services.storage.list_volumes(call.caller, VolumeQuery(**fields)),
        volume_item,
        _VOLUME_FILTERS,
        _VOLUME_QUERY_FIELDS,
    )
    return {"Volumes": listed, "NextToken": next_token}


def delete_volume(call: Call) -> Mapping[str, Any]:
    ref = call.ref(VOLUME, "VolumeId")
    call.services.storage.get_volume(call.caller, ref)
    call.services.storage.delete_volume(call.caller, ref)
    return {}


def attach_volume(call: Call) -> Mapping[str, Any]:
    ref = call.ref(VOLUME, "VolumeId")
    instance = call.ref(INSTANCE, "InstanceId")
    device = _device(call.args["Device"])
    call.services.storage.get_volume(call.caller, ref)
    call.services.compute.get_instance(call.caller, instance)
    volume = call.services.storage.attach_volume(call.caller, ref, instance, device=device).item
    return _attachment(volume)


def detach_volume(call: Call) -> Mapping[str, Any]:
    ref = call.ref(VOLUME, "VolumeId")
    volume = call.services.storage.get_volume(call.caller, ref)
    named = call.ref(INSTANCE, "InstanceId") if call.args.get("InstanceId") else None
    if volume.instance_ref is None or (named is not None and named != volume.instance_ref):
        raise Ec2Error(
            "IncorrectState",
            f"Volume '{VOLUME.render(ref)}' is in the 'available' state."
            if volume.instance_ref is None
            else f"Volume '{VOLUME.render(ref)}' is not attached to"
            f" '{INSTANCE.render(named or '')}'.",
        )
    return _attachment(call.services.storage.detach_volume(call.caller, ref).item)


def modify_volume(call: Call) -> Mapping[str, Any]:
    ref = call.ref(VOLUME, "VolumeId")
    volume = call.services.storage.get_volume(call.caller, ref)
    _volume_type(call)
    refuse(call, "Iops", "Throughput", "MultiAttachEnabled")
    size = call.args.get("Size")
    changed = (
        call.services.storage.resize_volume(call.caller, ref, size_gib=size)
        if size is not None and size != volume.size_gib
        else None
    )
    return {
        "VolumeModification": {
            "VolumeId": VOLUME.render(ref),
            "ModificationState": "modifying" if changed and changed.job_id else "completed",
            "TargetSize": size or volume.size_gib,
            "OriginalSize": volume.size_gib,
            "TargetVolumeType": "standard",
            "OriginalVolumeType": "standard",
            "Progress": 0 if changed and changed.job_id else 100,
            "StartTime": volume.created_at if changed is None else changed.item.created_at,
        }
    }


def snapshot_item(snapshot: SnapshotView) -> dict[str, Any]:
    state = SNAPSHOT_STATES[snapshot.state]
    return {
        "SnapshotId": SNAPSHOT.render(snapshot.ref),
        "VolumeId": VOLUME.render(snapshot.volume_ref),
        "State": state,
        "StateMessage": snapshot.state_reason or None,
        "StartTime": snapshot.created_at,
        "Progress": "100%" if state == "completed" else "0%",
        "OwnerId": owner_id(snapshot.account_id),
        "Description": snapshot.description,
        "VolumeSize": -(-snapshot.size_bytes // GIB),
        "Encrypted": False,
        "StorageTier": "standard",
        "Tags": tag_list(snapshot.tags),
    }


def create_snapshot(call: Call) -> Mapping[str, Any]:
    volume = call.ref(VOLUME, "VolumeId")
    call.services.storage.get_volume(call.caller, volume)
    wanted = tag_specs(call, "snapshot")["snapshot"]
    snapshot = call.services.storage.create_snapshot(
        call.caller,
        volume,
        description=call.args.get("Description", ""),
        snapshot_tags=wanted,
    ).item
    return snapshot_item(snapshot)


def describe_snapshots(call: Call) -> Mapping[str, Any]:
    refs = call.refs(SNAPSHOT, "SnapshotIds")
    owners = call.args.get("OwnerIds") or ()
    me = owner_id(call.caller.account_id)
    wanted = call.args.get("Filters")
    foreign = any(o not in ("self", me) for o in owners)  # no snapshot is shared here
    if refs or foreign:  # a handful, read by id; every one must exist
        named = (
            []
            if foreign
            else call.services.storage.list_snapshots(
                call.caller, SnapshotQuery(ids=tuple(refs))
            ).items
        )
        if refs and (absent := [r for r in refs if r not in {s.ref for s in named}]):
            raise not_found(SNAPSHOT, SNAPSHOT.render(absent[0]))
        items = filters.select([snapshot_item(s) for s in named], wanted, _SNAPSHOT_FILTERS)
        shown, token = paging.page(call.args, items, _SNAPSHOT_IDS)
        return {"Snapshots": shown, "NextToken": token}
    fields, rest = filters.split(wanted, _SNAPSHOT_QUERY_FIELDS)
    query = SnapshotQuery(**fields)

    def fetch(limit: int | None, after: str | None) -> Page[SnapshotView]:
        window = dataclasses.replace(query, limit=limit, after=after)
        return call.services.storage.list_snapshots(call.caller, window)

    listed, next_token = listing.collect(
        call, fetch, snapshot_item, _SNAPSHOT_FILTERS, rest, ids=_SNAPSHOT_IDS
    )
    return {"Snapshots": listed, "NextToken": next_token}


def delete_snapshot(call: Call) -> Mapping[str, Any]:
    ref = call.ref(SNAPSHOT, "SnapshotId")
    call.services.storage.get_snapshot(call.caller, ref)
    call.services.storage.delete_snapshot(call.caller, ref)
    return {}


def copy_snapshot(call: Call) -> Mapping[str, Any]:
    in_our_region(call, call.args["SourceRegion"])
    refuse(call, "Encrypted", "KmsKeyId", "DestinationOutpostArn", "DestinationAvailabilityZone")
    source = call.ref(SNAPSHOT, "SourceSnapshotId")
    call.services.storage.get_snapshot(call.caller, source)
    wanted = tag_specs(call, "snapshot")["snapshot"]
    snapshot = call.services.storage.copy_snapshot(
        call.caller, source, description=call.args.get("Description"), snapshot_tags=wanted
    ).item
    return {"SnapshotId": SNAPSHOT.render(snapshot.ref), "Tags": tag_list(snapshot.tags)}
