"""Where and what: regions, availability zones, account attributes and instance types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from core.views import FlavorView, ZoneView
from gateway.ec2 import filters, paging
from gateway.ec2.actions.vpcs import default_vpc
from gateway.ec2.call import Call
from gateway.ec2.errors import Ec2Error

_REGION_FILTERS: Final = {
    "region-name": filters.path("RegionName"),
    "endpoint": filters.path("Endpoint"),
    "opt-in-status": filters.path("OptInStatus"),
}
_ZONE_FILTERS: Final = {
    "zone-name": filters.path("ZoneName"),
    "zone-id": filters.path("ZoneId"),
    "zone-type": filters.path("ZoneType"),
    "state": filters.path("State"),
    "region-name": filters.path("RegionName"),
    "group-name": filters.path("GroupName"),
    "opt-in-status": filters.path("OptInStatus"),
    "network-border-group": filters.path("NetworkBorderGroup"),
}
_TYPE_FILTERS: Final = {
    "instance-type": filters.path("InstanceType"),
    "current-generation": filters.path("CurrentGeneration"),
    "free-tier-eligible": filters.path("FreeTierEligible"),
    "hypervisor": filters.path("Hypervisor"),
    "bare-metal": filters.path("BareMetal"),
    "vcpu-info.default-vcpus": filters.path("VCpuInfo.DefaultVCpus"),
    "vcpu-info.default-cores": filters.path("VCpuInfo.DefaultCores"),
    "memory-info.size-in-mib": filters.path("MemoryInfo.SizeInMiB"),
    "processor-info.supported-architecture": filters.path("ProcessorInfo.SupportedArchitectures"),
    "supported-root-device-type": filters.path("SupportedRootDeviceTypes"),
    "supported-virtualization-type": filters.path("SupportedVirtualizationTypes"),
    "supported-usage-class": filters.path("SupportedUsageClasses"),
    "ebs-info.ebs-optimized-support": filters.path("EbsInfo.EbsOptimizedSupport"),
}


def _zone(zone: ZoneView) -> dict[str, Any]:
    return {
        "ZoneName": zone.name,
        "ZoneId": f"{zone.region}-az{zone.ref[:4]}",
        "ZoneType": "availability-zone",
        "State": "available",
        "RegionName": zone.region,
        "GroupName": zone.region,
        "NetworkBorderGroup": zone.region,
        "OptInStatus": "opt-in-not-required",
        "Messages": [],
    }


def describe_regions(call: Call) -> Mapping[str, Any]:
    regions = sorted({zone.region for zone in call.services.catalog.list_zones()})
    items = [
        {"RegionName": r, "Endpoint": call.endpoint, "OptInStatus": "opt-in-not-required"}
        for r in regions
    ]
    if names := call.args.get("RegionNames"):
        if unknown := sorted(set(names) - set(regions)):
            raise Ec2Error("InvalidParameterValue", f"Invalid region: {unknown[0]}")
        items = [item for item in items if item["RegionName"] in names]
    found = filters.select(items, call.args.get("Filters"), _REGION_FILTERS)
    return {"Regions": found}


def describe_availability_zones(call: Call) -> Mapping[str, Any]:
    items = [_zone(zone) for zone in call.services.catalog.list_zones()]
    names = call.args.get("ZoneNames") or ()
    zone_ids = call.args.get("ZoneIds") or ()
    for wanted, key in ((names, "ZoneName"), (zone_ids, "ZoneId")):
        if unknown := sorted(set(wanted) - {item[key] for item in items}):
            raise Ec2Error(
                "InvalidParameterValue", f"The zone '{unknown[0]}' does not exist in this region"
            )
    items = [
        item
        for item in items
        if (not names or item["ZoneName"] in names) and (not zone_ids or item["ZoneId"] in zone_ids)
    ]
    found = filters.select(items, call.args.get("Filters"), _ZONE_FILTERS)
    return {"AvailabilityZones": found}


def describe_account_attributes(call: Call) -> Mapping[str, Any]:
    attributes = {
        "supported-platforms": ["VPC"],
        "default-vpc": [default_vpc(call) or "none"],
        "max-instances": [str(call.services.settings.max_instances_per_request)],
    }
    names = call.args.get("AttributeNames") or list(attributes)
    if unknown := [n for n in names if n not in attributes]:
        raise Ec2Error("InvalidParameterValue", f"The attribute name '{unknown[0]}' is invalid")
    return {
        "AccountAttributes": [
            {
                "AttributeName": name,
                "AttributeValues": [{"AttributeValue": v} for v in attributes[name]],
            }
            for name in names
        ]
    }


def _instance_type(flavor: FlavorView) -> dict[str, Any]:
    return {
        "InstanceType": flavor.name,
        "CurrentGeneration": True,
        "FreeTierEligible": False,
        "SupportedUsageClasses": ["on-demand"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": False,
        "Hypervisor": "kvm",
        "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
        "VCpuInfo": {
            "DefaultVCpus": flavor.vcpus,
            "DefaultCores": flavor.vcpus,
            "DefaultThreadsPerCore": 1,
        },
        "MemoryInfo": {"SizeInMiB": flavor.memory_mib},
        "InstanceStorageSupported": False,
        "EbsInfo": {"EbsOptimizedSupport": "unsupported", "EncryptionSupport": "unsupported"},
        "NetworkInfo": {
            "NetworkPerformance": "Low to Moderate",
            "MaximumNetworkInterfaces": 1,
            "Ipv4AddressesPerInterface": 1,
            "Ipv6Supported": False,
        },
        "PlacementGroupInfo": {"SupportedStrategies": []},
        "HibernationSupported": False,
        "BurstablePerformanceSupported": False,
        "DedicatedHostsSupported": False,
        "AutoRecoverySupported": False,
        "SupportedBootModes": ["legacy-bios"],
    }


def describe_instance_types(call: Call) -> Mapping[str, Any]:
    items = [_instance_type(f) for f in call.services.catalog.list_flavors()]
    wanted = call.args.get("InstanceTypes") or ()
    if unknown := sorted(set(wanted) - {item["InstanceType"] for item in items}):
        raise Ec2Error(
            "InvalidInstanceType",
            f"The following supplied instance types do not exist: [{unknown[0]}]",
        )
    items = [item for item in items if not wanted or item["InstanceType"] in wanted]
    found = filters.select(items, call.args.get("Filters"), _TYPE_FILTERS)
    shown, token = paging.page(call.args, found)
    return {"InstanceTypes": shown, "NextToken": token}
