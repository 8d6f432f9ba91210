"""Instances: run, describe, start, stop, reboot, terminate, status, console output, password.

An instance is rendered once, by ``instance_item``, for every action that shows one; filters
read that same rendering. Terminated instances stay visible for an hour, as on AWS, then
drop out of DescribeInstances.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from core import LaunchRequest
from core.enums import VolumeType
from core.errors import CapacityUnavailable, InvalidState
from core.states import InstanceState
from core.views import (
    Accepted,
    InstanceQuery,
    InstanceView,
    Page,
    StateChange,
)
from gateway.common import NotBase64, decode_user_data
from gateway.ec2 import filters, listing, paging
from gateway.ec2.call import (
    Call,
    in_our_zone,
    missing_ids,
    owner_id,
    refuse,
    tag_list,
    tag_specs,
)
from gateway.ec2.errors import Ec2Error, invalid_value, unsupported
from translations.ec2 import (
    ATTACHMENT_STATES,
    IMAGE,
    INSTANCE,
    NETWORK_INTERFACE,
    RESERVATION,
    SECURITY_GROUP,
    SUBNET,
    VOLUME,
    VPC,
)
from translations.states import INSTANCE_STATES

DEFAULT_INSTANCE_TYPE: Final = "m1.small"  # AWS's default when InstanceType is left out
TERMINATED_VISIBLE: Final = dt.timedelta(hours=1)
ROOT_DEVICE_NAME: Final = "/dev/vda"
# RunInstances members that ask for something this cloud does not do; refused, never ignored.
_UNSUPPORTED_RUN: Final = (
    "KernelId",
    "RamdiskId",
    "Ipv6AddressCount",
    "Ipv6Addresses",
    "ElasticGpuSpecification",
    "ElasticInferenceAccelerators",
    "LaunchTemplate",
    "InstanceMarketOptions",
    "CapacityReservationSpecification",
    "HibernationOptions",
    "LicenseSpecifications",
    "EnclaveOptions",
    "IamInstanceProfile",
    "NetworkInterfaces",
    "PrivateIpAddress",
    "SecondaryInterfaces",
)


def state_of(state: InstanceState) -> dict[str, Any]:
    name, code = INSTANCE_STATES[state].ec2
    return {"Code": code, "Name": name}


def _block_devices(instance: InstanceView) -> list[dict[str, Any]]:
    return [
        {
            "DeviceName": f"/dev/{v.device}",
            "Ebs": {
                "VolumeId": VOLUME.render(v.ref),
                "Status": ATTACHMENT_STATES.get(v.state, "attached"),
                "AttachTime": v.attached_at or instance.created_at,
                "DeleteOnTermination": v.volume_type is VolumeType.ROOT,
            },
        }
        for v in instance.volumes
        if v.device
    ]


def instance_item(instance: InstanceView) -> dict[str, Any]:
    groups = [
        {"GroupName": g.name, "GroupId": SECURITY_GROUP.render(g.ref)} for g in instance.groups
    ]
    address = instance.address
    nics = []
    for nic in instance.nics:
        ip = nic.ip or nic.reserved_ip
        nics.append(
            {
                "NetworkInterfaceId": NETWORK_INTERFACE.render(nic.ref),
                "SubnetId": SUBNET.render(nic.network_ref),
                "VpcId": VPC.render(nic.vpc_ref) if nic.vpc_ref else None,
                "MacAddress": nic.mac,
                "PrivateIpAddress": ip,
                "PrivateDnsName": instance.hostname,
                "Status": "in-use",
                "SourceDestCheck": True,
                "OwnerId": owner_id(instance.account_id),
                "Groups": groups,
                "InterfaceType": "interface",
                "Attachment": {
                    "AttachmentId": f"eni-attach-{nic.ref}",
                    "DeviceIndex": nic.device_index,
                    "Status": "attached",
                    "AttachTime": instance.created_at,
                    "DeleteOnTermination": True,
                    "NetworkCardIndex": 0,
                },
                "PrivateIpAddresses": [
                    {"PrivateIpAddress": ip, "Primary": True, "PrivateDnsName": instance.hostname}
                ],
                "Association": {"PublicIp": address.ip, "IpOwnerId": "amazon"} if address else None,
            }
        )
    primary = nics[0] if nics else {}
    state = instance.state
    reason = instance.state_reason
    return {
        "InstanceId": INSTANCE.render(instance.ref),
        "ImageId": f"ami-{instance.image_ref}",
        "State": state_of(state),
        "PrivateDnsName": instance.hostname,
        "PublicDnsName": "",
        "StateTransitionReason": reason,
        "StateReason": {"Code": "Server.InternalError", "Message": reason}
        if state is InstanceState.ERROR
        else None,
        "KeyName": instance.key_name,
        "AmiLaunchIndex": instance.launch_index,
        "ProductCodes": [],
        "InstanceType": instance.flavor_name,
        "LaunchTime": instance.launched_at or instance.created_at,
        "Placement": {
            "AvailabilityZone": instance.zone_name,
            "GroupName": "",
            "Tenancy": "default",
        },
        "Monitoring": {"State": "disabled"},
        "SubnetId": primary.get("SubnetId"),
        "VpcId": primary.get("VpcId"),
        "PrivateIpAddress": primary.get("PrivateIpAddress"),
        "PublicIpAddress": address.ip if address else None,
        "Architecture": "x86_64",
        "RootDeviceType": "ebs",
        "RootDeviceName": ROOT_DEVICE_NAME,
        "BlockDeviceMappings": _block_devices(instance),
        "VirtualizationType": "hvm",
        "ClientToken": instance.client_token or "",
        "Tags": tag_list(instance.tags),
        "SecurityGroups": groups,
        "SourceDestCheck": True,
        "Hypervisor": "kvm",
        "NetworkInterfaces": nics,
        "EbsOptimized": False,
        "EnaSupport": False,
        "CpuOptions": {"CoreCount": instance.vcpus, "ThreadsPerCore": 1},
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "BootMode": "legacy-bios",
        "CurrentInstanceBootMode": "legacy-bios",
    }


def _instances(call: Call, refs: Sequence[str]) -> list[InstanceView]:
    """The caller's instances in the order named; every id must exist."""
    page = call.services.compute.list_instances(call.caller, InstanceQuery(ids=tuple(refs)))
    by_ref = {i.ref: i for i in page.items}
    if missing := missing_ids(INSTANCE, refs, list(by_ref)):
        noun = "instance ID" if len(missing) == 1 else "instance IDs"
        verb = "does" if len(missing) == 1 else "do"
        raise Ec2Error(
            "InvalidInstanceID.NotFound", f"The {noun} '{', '.join(missing)}' {verb} not exist"
        )
    return [by_ref[r] for r in dict.fromkeys(refs)]


# Filters core applies in SQL; the rest match the rendered item (``_INSTANCE_FILTERS``).
_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "instance-id": filters.as_refs(INSTANCE, "ids"),
    "instance-state-name": filters.as_states({s: n.ec2[0] for s, n in INSTANCE_STATES.items()}),
    "instance-state-code": filters.as_states(
        {s: str(n.ec2[1]) for s, n in INSTANCE_STATES.items()}
    ),
    "instance-type": filters.as_values("flavors"),
    "image-id": filters.as_refs(IMAGE, "images"),
    "key-name": filters.as_values("key_names"),
    "availability-zone": filters.as_values("zones"),
    "subnet-id": filters.as_refs(SUBNET, "networks"),
    "reservation-id": filters.as_refs(RESERVATION, "reservations"),
    "tag-key": filters.as_values("tag_keys"),
    "tag-value": filters.as_values("tag_values"),
}
_IDS: Final = ("InstanceIds", "instancesSet")


def _described(
    call: Call,
    render: Callable[[InstanceView], dict[str, Any]],
    table: Mapping[str, filters.Lookup],
    sql: Mapping[str, filters.QueryField],
    tags: str | None = None,
    states: Sequence[InstanceState] = (),
) -> tuple[Sequence[dict[str, Any]], str | None]:
    """The page of rendered instances a Describe call asks for, and its NextToken.

    Named instances are a handful, read by id and kept in the order named. Otherwise core
    filters and pages the listing in SQL (long-terminated instances drop out, as on AWS),
    through ``listing.collect``. ``tags``: the path to the items' tags, None for items
    without any."""
    wanted = call.args.get("Filters")
    refs = call.refs(INSTANCE, "InstanceIds")
    if refs:
        named = [i for i in _instances(call, refs) if not states or i.state in states]
        return paging.page(
            call.args,
            filters.select([render(i) for i in named], wanted, table, tags or "Tags"),
            _IDS,
        )
    given = {"states": tuple(states)} if states else None
    fields, rest = filters.split(wanted, sql, given, tags=tags is not None)
    query = InstanceQuery(terminated_since=dt.datetime.now(dt.UTC) - TERMINATED_VISIBLE, **fields)

    def fetch(limit: int | None, after: str | None) -> Page[InstanceView]:
        window = dataclasses.replace(query, limit=limit, after=after)
        return call.services.compute.list_instances(call.caller, window)

    return listing.collect(call, fetch, render, table, rest, ids=_IDS, tags=tags or "Tags")


# describe


def _record_path(dotted: str) -> filters.Lookup:
    return filters.path(f"Instance.{dotted}")


_INSTANCE_FILTERS: Final = {
    "instance-id": _record_path("InstanceId"),
    "instance-state-name": _record_path("State.Name"),
    "instance-state-code": _record_path("State.Code"),
    "instance-type": _record_path("InstanceType"),
    "image-id": _record_path("ImageId"),
    "key-name": _record_path("KeyName"),
    "launch-index": _record_path("AmiLaunchIndex"),
    "ami-launch-index": _record_path("AmiLaunchIndex"),
    "launch-time": _record_path("LaunchTime"),
    "availability-zone": _record_path("Placement.AvailabilityZone"),
    "placement-group-name": _record_path("Placement.GroupName"),
    "tenancy": _record_path("Placement.Tenancy"),
    "private-ip-address": _record_path("PrivateIpAddress"),
    "ip-address": _record_path("PublicIpAddress"),
    "private-dns-name": _record_path("PrivateDnsName"),
    "dns-name": _record_path("PublicDnsName"),
    "subnet-id": _record_path("SubnetId"),
    "vpc-id": _record_path("VpcId"),
    "architecture": _record_path("Architecture"),
    "root-device-type": _record_path("RootDeviceType"),
    "root-device-name": _record_path("RootDeviceName"),
    "virtualization-type": _record_path("VirtualizationType"),
    "hypervisor": _record_path("Hypervisor"),
    "client-token": _record_path("ClientToken"),
    "monitoring-state": _record_path("Monitoring.State"),
    "platform-details": _record_path("PlatformDetails"),
    "product-code": _record_path("ProductCodes.ProductCodeId"),
    "reason": _record_path("StateTransitionReason"),
    "state-reason-code": _record_path("StateReason.Code"),
    "state-reason-message": _record_path("StateReason.Message"),
    "source-dest-check": _record_path("SourceDestCheck"),
    "group-id": _record_path("SecurityGroups.GroupId"),
    "group-name": _record_path("SecurityGroups.GroupName"),
    "instance.group-id": _record_path("SecurityGroups.GroupId"),
    "instance.group-name": _record_path("SecurityGroups.GroupName"),
    "block-device-mapping.device-name": _record_path("BlockDeviceMappings.DeviceName"),
    "block-device-mapping.volume-id": _record_path("BlockDeviceMappings.Ebs.VolumeId"),
    "block-device-mapping.status": _record_path("BlockDeviceMappings.Ebs.Status"),
    "block-device-mapping.attach-time": _record_path("BlockDeviceMappings.Ebs.AttachTime"),
    "block-device-mapping.delete-on-termination": _record_path(
        "BlockDeviceMappings.Ebs.DeleteOnTermination"
    ),
    "network-interface.network-interface-id": _record_path("NetworkInterfaces.NetworkInterfaceId"),
    "network-interface.private-dns-name": _record_path("NetworkInterfaces.PrivateDnsName"),
    "network-interface.subnet-id": _record_path("NetworkInterfaces.SubnetId"),
    "network-interface.vpc-id": _record_path("NetworkInterfaces.VpcId"),
    "network-interface.mac-address": _record_path("NetworkInterfaces.MacAddress"),
    "network-interface.status": _record_path("NetworkInterfaces.Status"),
    "network-interface.addresses.private-ip-address": _record_path(
        "NetworkInterfaces.PrivateIpAddresses.PrivateIpAddress"
    ),
    "network-interface.group-id": _record_path("NetworkInterfaces.Groups.GroupId"),
    "network-interface.group-name": _record_path("NetworkInterfaces.Groups.GroupName"),
    "association.public-ip": _record_path("NetworkInterfaces.Association.PublicIp"),
    "reservation-id": filters.path("ReservationId"),
    "owner-id": filters.path("OwnerId"),
    "requester-id": filters.path("RequesterId"),
}


def _reservations(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive records of one reservation become one ``Reservation``."""
    reservations: list[dict[str, Any]] = []
    for record in records:
        if not reservations or reservations[-1]["ReservationId"] != record["ReservationId"]:
            reservations.append(
                {
                    "ReservationId": record["ReservationId"],
                    "OwnerId": record["OwnerId"],
                    "Groups": [],
                    "Instances": [],
                }
            )
        reservations[-1]["Instances"].append(record["Instance"])
    return reservations


def _record(instance: InstanceView) -> dict[str, Any]:
    return {
        "ReservationId": RESERVATION.render(instance.reservation_ref),
        "OwnerId": owner_id(instance.account_id),
        "Instance": instance_item(instance),
    }


def describe_instances(call: Call) -> Mapping[str, Any]:
    records, token = _described(
        call, _record, _INSTANCE_FILTERS, _QUERY_FIELDS, tags="Instance.Tags"
    )
    return {"Reservations": _reservations(records), "NextToken": token}


# run


def _user_data(text: str | None) -> bytes:
    try:
        return decode_user_data(text)
    except NotBase64:
        raise Ec2Error("InvalidParameterValue", "Invalid BASE64 encoding of user data.") from None


def _root_size(call: Call) -> int | None:
    """The root volume size a ``BlockDeviceMapping`` for the root device asks for."""
    size = None
    for mapping in call.args.get("BlockDeviceMappings") or ():
        device = mapping.get("DeviceName", "")
        if device not in (ROOT_DEVICE_NAME, "/dev/sda1", "/dev/xvda", "/dev/sda"):
            raise unsupported(f"A block device mapping for {device}")
        ebs = mapping.get("Ebs") or {}
        if set(ebs) - {"VolumeSize", "DeleteOnTermination", "VolumeType"}:
            raise unsupported("Those Ebs settings for the root volume")
        if ebs.get("DeleteOnTermination") is False:
            raise unsupported("Keeping the root volume after termination")
        size = ebs.get("VolumeSize", size)
    return size


def _launch_request(call: Call, count: int) -> LaunchRequest:
    args = call.args
    refuse(call, *_UNSUPPORTED_RUN)
    if (args.get("Monitoring") or {}).get("Enabled"):
        raise unsupported("Detailed monitoring")
    if args.get("InstanceInitiatedShutdownBehavior", "stop") != "stop":
        raise unsupported("Terminating on guest shutdown")
    placement = args.get("Placement") or {}
    in_our_zone(call, placement.get("AvailabilityZone"))
    if "ImageId" not in args:
        raise Ec2Error("MissingParameter", "The request must contain the parameter ImageId")
    image_ref = call.ref(IMAGE, "ImageId")
    groups = tuple(args.get("SecurityGroups") or ()) + tuple(
        call.refs(SECURITY_GROUP, "SecurityGroupIds")
    )
    subnet = call.ref(SUBNET, "SubnetId") if args.get("SubnetId") else None
    wanted = tag_specs(call, "instance", "volume")
    return LaunchRequest(
        image=image_ref,
        flavor=args.get("InstanceType", DEFAULT_INSTANCE_TYPE),
        count=count,
        key_name=args.get("KeyName"),
        user_data=_user_data(args.get("UserData")),
        tags=wanted["instance"],
        root_volume_tags=wanted["volume"],
        client_token=args.get("ClientToken") or None,
        network=subnet,
        security_groups=groups,
        root_disk_gib=_root_size(call),
        termination_protected=bool(args.get("DisableApiTermination")),
        stop_protected=bool(args.get("DisableApiStop")),
    )


def run_instances(call: Call) -> Mapping[str, Any]:
    low, high = call.args["MinCount"], call.args["MaxCount"]
    limit = call.services.settings.max_instances_per_request
    if low < 1:
        raise invalid_value("MinCount", low, "Expecting a value greater than or equal to 1.")
    if high < low:
        raise invalid_value("MaxCount", high, "MaxCount must not be less than MinCount.")
    if low > limit:
        raise Ec2Error(
            "InstanceLimitExceeded",
            f"You have requested more instances ({low}) than your current instance limit of"
            f" {limit} allows for the specified instance type.",
        )
    request = _launch_request(call, min(high, limit))
    while True:  # EC2 launches as many as fit, down to MinCount
        try:
            reservation = call.services.compute.launch(call.caller, request)
            break
        except CapacityUnavailable:
            if request.count <= low:
                raise
            request = dataclasses.replace(request, count=request.count - 1)
    return {
        "ReservationId": RESERVATION.render(reservation.ref),
        "OwnerId": owner_id(reservation.account_id),
        "Groups": [],
        "Instances": [instance_item(i) for i in reservation.instances],
    }


# life cycle


def _changes(key: str, changes: Sequence[Accepted[StateChange]]) -> Mapping[str, Any]:
    return {
        key: [
            {
                "InstanceId": INSTANCE.render(c.item.ref),
                "CurrentState": state_of(c.item.current),
                "PreviousState": state_of(c.item.previous),
            }
            for c in changes
        ]
    }


Changes = list[Accepted[StateChange]]


def _life_cycle(call: Call, act: Callable[[Sequence[str]], Changes]) -> Changes:
    refs = call.refs(INSTANCE, "InstanceIds")
    _instances(call, refs)
    return act(refs)


def start_instances(call: Call) -> Mapping[str, Any]:
    compute = call.services.compute
    changes = _life_cycle(call, lambda refs: compute.start_instances(call.caller, refs))
    return _changes("StartingInstances", changes)


def stop_instances(call: Call) -> Mapping[str, Any]:
    if call.args.get("Hibernate"):
        raise unsupported("Hibernation")
    compute, force = call.services.compute, bool(call.args.get("Force"))
    changes = _life_cycle(call, lambda refs: compute.stop_instances(call.caller, refs, force=force))
    return _changes("StoppingInstances", changes)


def reboot_instances(call: Call) -> Mapping[str, Any]:
    compute = call.services.compute
    _life_cycle(call, lambda refs: compute.reboot_instances(call.caller, refs))
    return {}


def terminate_instances(call: Call) -> Mapping[str, Any]:
    compute = call.services.compute
    changes = _life_cycle(call, lambda refs: compute.terminate_instances(call.caller, refs))
    return _changes("TerminatingInstances", changes)


# status, console, password

_STATUS_FILTERS: Final = {
    "availability-zone": filters.path("AvailabilityZone"),
    "instance-state-name": filters.path("InstanceState.Name"),
    "instance-state-code": filters.path("InstanceState.Code"),
    "instance-status.status": filters.path("InstanceStatus.Status"),
    "instance-status.reachability": filters.path("InstanceStatus.Details.Status"),
    "system-status.status": filters.path("SystemStatus.Status"),
    "system-status.reachability": filters.path("SystemStatus.Details.Status"),
    "event.code": filters.path("Events.Code"),
}


_STATUS_QUERY_FIELDS: Final = {
    name: _QUERY_FIELDS[name]
    for name in ("availability-zone", "instance-state-name", "instance-state-code")
}


def _status_summary(instance: InstanceView) -> dict[str, Any]:
    """Both checks fail while the host holds the guest paused: the guest cannot answer, and
    the cause (a full storage pool, someone on the host) is the host's."""
    if instance.state not in (InstanceState.RUNNING, InstanceState.REBOOTING):
        return {"Status": "not-applicable", "Details": []}
    if instance.guest_pause is not None:
        return {"Status": "impaired", "Details": [{"Name": "reachability", "Status": "failed"}]}
    return {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}


def _status(instance: InstanceView) -> dict[str, Any]:
    summary = _status_summary(instance)
    return {
        "InstanceId": INSTANCE.render(instance.ref),
        "AvailabilityZone": instance.zone_name,
        "InstanceState": state_of(instance.state),
        "InstanceStatus": summary,
        "SystemStatus": summary,
        "Events": [],
    }


def describe_instance_status(call: Call) -> Mapping[str, Any]:
    everything = bool(call.args.get("IncludeAllInstances"))
    states = () if everything else (InstanceState.RUNNING, InstanceState.REBOOTING)
    shown, token = _described(call, _status, _STATUS_FILTERS, _STATUS_QUERY_FIELDS, states=states)
    return {"InstanceStatuses": shown, "NextToken": token}


def get_console_output(call: Call) -> Mapping[str, Any]:
    ref = call.ref(INSTANCE, "InstanceId")
    _instances(call, [ref])
    output = call.services.compute.console_output(call.caller, ref)
    return {
        "InstanceId": INSTANCE.render(ref),
        "Output": base64.b64encode(output).decode("ascii"),
        "Timestamp": dt.datetime.now(dt.UTC),
    }


def get_password_data(call: Call) -> Mapping[str, Any]:
    """Linux guests have no generated password: EC2 answers an empty ``passwordData``."""
    ref = call.ref(INSTANCE, "InstanceId")
    _instances(call, [ref])
    return {
        "InstanceId": INSTANCE.render(ref),
        "PasswordData": "",
        "Timestamp": dt.datetime.now(dt.UTC),
    }


# attributes

_ATTRIBUTE_MEMBERS: Final = {
    "instanceType": "InstanceType",
    "userData": "UserData",
    "disableApiTermination": "DisableApiTermination",
    "disableApiStop": "DisableApiStop",
    "instanceInitiatedShutdownBehavior": "InstanceInitiatedShutdownBehavior",
    "rootDeviceName": "RootDeviceName",
    "blockDeviceMapping": "BlockDeviceMappings",
    "groupSet": "Groups",
    "sourceDestCheck": "SourceDestCheck",
    "ebsOptimized": "EbsOptimized",
    "enaSupport": "EnaSupport",
    "productCodes": "ProductCodes",
    "kernel": "KernelId",
    "ramdisk": "RamdiskId",
    "sriovNetSupport": "SriovNetSupport",
}


def describe_instance_attribute(call: Call) -> Mapping[str, Any]:
    attribute = call.args["Attribute"]
    member = _ATTRIBUTE_MEMBERS.get(attribute)
    if member is None:
        raise invalid_value("Attribute", attribute, "The attribute is not supported.")
    [instance] = _instances(call, [call.ref(INSTANCE, "InstanceId")])
    item = instance_item(instance)
    values: dict[str, Any] = {
        "InstanceType": {"Value": instance.flavor_name},
        "UserData": {"Value": base64.b64encode(instance.user_data).decode()}
        if instance.user_data
        else {},
        "DisableApiTermination": {"Value": instance.termination_protected},
        "DisableApiStop": {"Value": instance.stop_protected},
        "InstanceInitiatedShutdownBehavior": {"Value": "stop"},
        "RootDeviceName": {"Value": ROOT_DEVICE_NAME},
        "BlockDeviceMappings": item["BlockDeviceMappings"],
        "Groups": item["SecurityGroups"],
        "SourceDestCheck": {"Value": True},
        "EbsOptimized": {"Value": False},
        "EnaSupport": {"Value": False},
        "ProductCodes": [],
        "KernelId": {},
        "RamdiskId": {},
        "SriovNetSupport": {},
    }
    return {"InstanceId": INSTANCE.render(instance.ref), member: values[member]}


def _modification(call: Call) -> tuple[str, Any]:
    """The one change a ModifyInstanceAttribute call asks for, in either of its forms:
    ``Attribute`` + ``Value``, or the member of that attribute (``InstanceType.Value`` …)."""
    args = call.args
    given = [(name, args[member]) for name, member in _ATTRIBUTE_MEMBERS.items() if member in args]
    if args.get("Attribute"):
        if given or "Value" not in args:
            raise Ec2Error(
                "InvalidParameterCombination",
                "Attribute needs Value and no other attribute parameter",
            )
        return args["Attribute"], args["Value"]
    if len(given) != 1:
        raise Ec2Error(
            "InvalidParameterCombination", "Exactly one attribute can be modified per call"
        )
    name, wrapped = given[0]
    return name, wrapped.get("Value") if isinstance(wrapped, Mapping) else wrapped


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() not in ("true", "false"):
        raise invalid_value(name, value, "Expecting true or false.")
    return str(value).lower() == "true"


@contextlib.contextmanager
def _stopped_only(ref: str) -> Iterator[None]:
    """Core refuses the change unless the instance is stopped; EC2 words that refusal so."""
    try:
        yield
    except InvalidState:
        raise Ec2Error(
            "IncorrectInstanceState",
            f"The instance '{INSTANCE.render(ref)}' is not in the 'stopped' state.",
        ) from None


def modify_instance_attribute(call: Call) -> Mapping[str, Any]:
    ref = call.ref(INSTANCE, "InstanceId")
    _instances(call, [ref])  # EC2 names a missing instance its own way
    name, value = _modification(call)
    compute = call.services.compute
    match name:
        case "instanceType":
            call.services.catalog.get_flavor(str(value))
            with _stopped_only(ref):
                compute.change_flavor(call.caller, ref, str(value))
        case "userData":
            data = value if isinstance(value, bytes) else _user_data(str(value or ""))
            with _stopped_only(ref):
                compute.update_instance(call.caller, ref, user_data=data, stopped_only=True)
        case "disableApiTermination":
            protect = _flag(name, value)
            compute.update_instance(call.caller, ref, termination_protected=protect)
        case "disableApiStop":
            protect = _flag(name, value)
            compute.update_instance(call.caller, ref, stop_protected=protect)
        case "sourceDestCheck" | "ebsOptimized" | "enaSupport":
            wanted = _flag(name, value)
            if wanted != (name == "sourceDestCheck"):
                raise unsupported(f"Setting {name} to {str(wanted).lower()}")
        case "instanceInitiatedShutdownBehavior":
            if value != "stop":
                raise unsupported("Terminating on guest shutdown")
        case _:
            raise unsupported(f"Modifying the {name} attribute")
    return {}
