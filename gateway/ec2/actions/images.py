"""AMIs on core images: describe, register from a URL, capture from an instance, deregister.

``Owners``: ``self`` is the caller's account, an account id is that account, and ``amazon``
stands for the cloud's own public catalogue (public images of other accounts). RegisterImage
takes an ``http(s)`` ``ImageLocation`` ending in ``.qcow2``, ``.raw`` or ``.img`` and
downloads it, as CloudStack's EC2 bridge did; the image is ``pending`` until it has arrived.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from core.enums import DiskFormat, ImageScope
from core.views import ImageQuery, ImageView, Page
from gateway.ec2 import filters, listing
from gateway.ec2.call import Call, in_our_region, owner_id, refuse, tag_list, tag_specs
from gateway.ec2.errors import Ec2Error, unsupported
from gateway.ec2.render import timestamp
from translations.ec2 import IMAGE, IMAGE_STATES, INSTANCE

GIB: Final = 1024**3
ROOT_DEVICE_NAME: Final = "/dev/vda"
_FORMATS: Final = {".qcow2": DiskFormat.QCOW2, ".raw": DiskFormat.RAW, ".img": DiskFormat.RAW}
_FILTERS: Final = {
    "image-id": filters.path("ImageId"),
    "name": filters.path("Name"),
    "description": filters.path("Description"),
    "state": filters.path("State"),
    "owner-id": filters.path("OwnerId"),
    "owner-alias": filters.path("ImageOwnerAlias"),
    "is-public": filters.path("Public"),
    "architecture": filters.path("Architecture"),
    "image-type": filters.path("ImageType"),
    "root-device-type": filters.path("RootDeviceType"),
    "root-device-name": filters.path("RootDeviceName"),
    "virtualization-type": filters.path("VirtualizationType"),
    "hypervisor": filters.path("Hypervisor"),
    "platform-details": filters.path("PlatformDetails"),
    "creation-date": filters.path("CreationDate"),
    "manifest-location": filters.path("ImageLocation"),
    "block-device-mapping.device-name": filters.path("BlockDeviceMappings.DeviceName"),
    "block-device-mapping.volume-size": filters.path("BlockDeviceMappings.Ebs.VolumeSize"),
    "block-device-mapping.volume-type": filters.path("BlockDeviceMappings.Ebs.VolumeType"),
    "source-instance-id": filters.path("SourceInstanceId"),
}


_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "image-id": filters.as_refs(IMAGE, "ids"),
    "name": filters.as_values("names"),
    "state": filters.as_states(IMAGE_STATES),
    "owner-id": filters.as_uuids("owners"),
    "is-public": lambda values: (
        {"public": values[0] == "true"}
        if len(values) == 1 and values[0] in ("true", "false")
        else None
    ),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}
_IMAGE_IDS: Final = ("ImageIds", "imageIds")
#: ``Owners`` and ``ExecutableUsers`` words, as core's scopes
_OWNERS: Final = {"self": ImageScope.OWN, "amazon": ImageScope.SHARED}
_USERS: Final = {"self": ImageScope.OWN, "all": ImageScope.PUBLIC}


def _owner_accounts(owners: Sequence[str]) -> tuple[uuid.UUID, ...]:
    """The owners written as EC2 shows an account (``OwnerId``); any other owner names no
    account here and admits no image."""
    found = []
    for owner in owners:
        try:
            parsed = uuid.UUID(owner)
        except ValueError:
            continue
        if str(parsed) == owner:
            found.append(parsed)
    return tuple(found)


def image_item(image: ImageView, caller_account: uuid.UUID) -> dict[str, Any]:
    state = IMAGE_STATES[image.state]
    theirs = image.owner_account_id != caller_account and image.is_public
    source = image.source_instance_ref
    return {
        "ImageId": IMAGE.render(image.ref),
        "ImageLocation": f"{owner_id(image.owner_account_id)}/{image.name}",
        "State": state,
        "StateReason": {"Code": "Server.InternalError", "Message": image.state_reason}
        if state == "failed"
        else None,
        "OwnerId": owner_id(image.owner_account_id),
        "ImageOwnerAlias": "amazon" if theirs else None,
        "CreationDate": timestamp(image.created_at),
        "Public": image.is_public,
        "Architecture": "x86_64",
        "ImageType": "machine",
        "Name": image.name,
        "Description": image.description,
        "RootDeviceType": "ebs",
        "RootDeviceName": ROOT_DEVICE_NAME,
        "BlockDeviceMappings": [
            {
                "DeviceName": ROOT_DEVICE_NAME,
                "Ebs": {
                    "VolumeSize": max(1, -(-image.virtual_size // GIB)),
                    "DeleteOnTermination": True,
                    "VolumeType": "standard",
                    "Encrypted": False,
                },
            }
        ],
        "VirtualizationType": "hvm",
        "Hypervisor": "kvm",
        "EnaSupport": False,
        "BootMode": "legacy-bios",
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "SourceInstanceId": INSTANCE.render(source) if source else None,
        "ProductCodes": [],
        "Tags": tag_list(image.tags),
    }


def _scope(call: Call) -> dict[str, Any] | None:
    """``Owners`` and ``ExecutableUsers`` as query fields; None when they admit no image
    (an owner that is not an account here, a user other than ``self`` or ``all``)."""
    fields: dict[str, Any] = {}
    if owners := list(call.args.get("Owners") or ()):
        words = [_OWNERS[o] for o in owners if o in _OWNERS]
        fields["owners"] = (*words, *_owner_accounts([o for o in owners if o not in _OWNERS]))
    if users := list(call.args.get("ExecutableUsers") or ()):
        fields["launchable"] = tuple(_USERS[u] for u in users if u in _USERS)
    return None if any(not v for v in fields.values()) else fields


def describe_images(call: Call) -> Mapping[str, Any]:
    refs = call.refs(IMAGE, "ImageIds")
    images = call.services.images
    if refs:  # every id named must exist, whatever the other arguments select
        named = {i.ref for i in images.list_images(call.caller, ImageQuery(ids=tuple(refs))).items}
        if absent := [r for r in refs if r not in named]:
            raise Ec2Error(
                "InvalidAMIID.NotFound",
                f"The image id '[{IMAGE.render(absent[0])}]' does not exist",
            )
    scope = _scope(call)
    if scope is None:
        return {"Images": [], "NextToken": None}
    fields, rest = filters.split(
        call.args.get("Filters"), _QUERY_FIELDS, {**scope, "ids": tuple(refs)} if refs else scope
    )
    query = ImageQuery(**fields)

    def fetch(limit: int | None, after: str | None) -> Page[ImageView]:
        return images.list_images(call.caller, dataclasses.replace(query, limit=limit, after=after))

    listed, next_token = listing.collect(
        call,
        fetch,
        lambda image: image_item(image, call.caller.account_id),
        _FILTERS,
        rest,
        ids=_IMAGE_IDS,
    )
    return {"Images": listed, "NextToken": next_token}


def register_image(call: Call) -> Mapping[str, Any]:
    args = call.args
    location = args.get("ImageLocation", "")
    if args.get("BlockDeviceMappings") and not location:
        raise unsupported("Registering an image from snapshots")
    if not location.startswith(("http://", "https://")):
        raise Ec2Error(
            "InvalidParameterValue",
            "ImageLocation must be an http(s) URL of a qcow2 or raw disk image",
        )
    suffix = next((s for s in _FORMATS if location.lower().endswith(s)), None)
    if suffix is None:
        raise Ec2Error("InvalidParameterValue", "ImageLocation must end in .qcow2, .raw or .img")
    if args.get("Architecture", "x86_64") != "x86_64":
        raise Ec2Error("InvalidParameterValue", "Only the x86_64 architecture is supported")
    for member in ("KernelId", "RamdiskId", "BillingProducts", "UefiData"):
        if args.get(member):
            raise unsupported(member)
    wanted = tag_specs(call, "image")["image"]
    image = call.services.images.register_from_url(
        call.caller,
        location,
        name=args["Name"],
        disk_format=_FORMATS[suffix],
        description=args.get("Description", ""),
        image_tags=wanted,
    ).item
    return {"ImageId": IMAGE.render(image.ref)}


def create_image(call: Call) -> Mapping[str, Any]:
    instance = call.ref(INSTANCE, "InstanceId")
    call.services.compute.get_instance(call.caller, instance)
    if call.args.get("BlockDeviceMappings"):
        raise unsupported("Block device mappings in CreateImage")
    wanted = tag_specs(call, "image", "snapshot")
    if wanted["snapshot"]:
        raise unsupported("Tagging the snapshots of an image")
    image = call.services.images.capture(
        call.caller,
        instance,
        name=call.args["Name"],
        description=call.args.get("Description", ""),
        image_tags=wanted["image"],
    ).item
    return {"ImageId": IMAGE.render(image.ref)}


def deregister_image(call: Call) -> Mapping[str, Any]:
    image = _own_image(call)
    call.services.images.deregister(call.caller, image.ref)
    return {"Return": True}


# attributes and copies


def _own_image(call: Call) -> ImageView:
    image = call.services.images.get_image(call.caller, call.ref(IMAGE, "ImageId"))
    if image.owner_account_id != call.caller.account_id and not call.caller.is_admin:
        raise Ec2Error("AuthFailure", f"Not authorized for image:{IMAGE.render(image.ref)}", 400)
    return image


def describe_image_attribute(call: Call) -> Mapping[str, Any]:
    image = call.services.images.get_image(call.caller, call.ref(IMAGE, "ImageId"))
    attribute = call.args["Attribute"]
    item = image_item(image, call.caller.account_id)
    values: dict[str, tuple[str, Any]] = {
        "description": ("Description", {"Value": image.description}),
        "launchPermission": (
            "LaunchPermissions",
            [{"Group": "all"}] if image.is_public else [],
        ),
        "blockDeviceMapping": ("BlockDeviceMappings", item["BlockDeviceMappings"]),
        "productCodes": ("ProductCodes", []),
        "kernel": ("KernelId", {}),
        "ramdisk": ("RamdiskId", {}),
        "sriovNetSupport": ("SriovNetSupport", {}),
        "bootMode": ("BootMode", {"Value": "legacy-bios"}),
    }
    if attribute not in values:
        raise Ec2Error(
            "InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid."
        )
    member, value = values[attribute]
    return {"ImageId": IMAGE.render(image.ref), member: value}


def _publishing(call: Call) -> bool | None:
    """What a ModifyImageAttribute call asks of ``launchPermission``: True to make the image
    public (group ``all``), False to withdraw it, None when it does not ask. Sharing with
    single accounts is not modelled here."""
    args = call.args
    changes = args.get("LaunchPermission") or {}
    adds, removes = changes.get("Add") or [], changes.get("Remove") or []
    if args.get("Attribute") == "launchPermission" or args.get("UserGroups"):
        groups = [{"Group": g} for g in args.get("UserGroups") or ()]
        if args.get("OperationType") == "remove":
            removes = [*removes, *groups]
        else:
            adds = [*adds, *groups]
    if args.get("UserIds") or any("UserId" in p or "OrganizationArn" in p for p in adds + removes):
        raise unsupported("Sharing an image with single accounts")
    if any(p.get("Group") != "all" for p in adds + removes):
        raise Ec2Error("InvalidParameterValue", "The only launch permission group is 'all'")
    if adds and removes:
        raise Ec2Error("InvalidParameterCombination", "Add and Remove the same permission")
    return True if adds else False if removes else None


def modify_image_attribute(call: Call) -> Mapping[str, Any]:
    image = _own_image(call)
    args = call.args
    description = (args.get("Description") or {}).get("Value")
    if args.get("Attribute") == "description":
        description = args.get("Value", "")
    public = _publishing(call)
    if description is None and public is None:
        raise Ec2Error("MissingParameter", "The request must contain the attribute to modify")
    call.services.images.update_image(
        call.caller, image.ref, description=description, public=public
    )
    return {}


def reset_image_attribute(call: Call) -> Mapping[str, Any]:
    image = _own_image(call)
    if call.args["Attribute"] != "launchPermission":
        raise Ec2Error("InvalidParameterValue", "Only launchPermission can be reset")
    call.services.images.update_image(call.caller, image.ref, public=False)
    return {}


def copy_image(call: Call) -> Mapping[str, Any]:
    in_our_region(call, call.args["SourceRegion"])
    refuse(call, "Encrypted", "KmsKeyId", "DestinationOutpostArn", "DestinationAvailabilityZone")
    source = call.services.images.get_image(call.caller, call.ref(IMAGE, "SourceImageId"))
    wanted = tag_specs(call, "image")["image"]
    if call.args.get("CopyImageTags"):
        mine = {k: v for k, v in source.tags.items() if not k.startswith("aws:")}
        wanted = {**mine, **wanted}
    image = call.services.images.copy_image(
        call.caller,
        source.ref,
        name=call.args["Name"],
        description=call.args.get("Description"),
        image_tags=wanted,
        client_token=call.args.get("ClientToken") or None,
    ).item
    return {"ImageId": IMAGE.render(image.ref)}
