"""What the cloud offers: zones, domains, service and disk offerings, OS types, hosts,
hypervisors and capabilities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from gateway.native import objects
from gateway.native.envelope import CLOUDSTACK_VERSION
from gateway.native.objects import ROOT_DOMAIN
from gateway.native.registry import (
    DEFAULT_PAGE_SIZE,
    LIST_PARAMS,
    Call,
    CommandSet,
    Param,
    ParamType,
    Reply,
    Single,
)
from translations.native import HYPERVISOR, OS_TYPES

commands = CommandSet()
_ID: Final = Param("id", ParamType.UUID, "The id")
_NAME: Final = Param("name", ParamType.STRING, "The name")


def matching(
    call: Call, items: Iterable[Mapping[str, Any]], *, fields: tuple[str, ...] = ("name",)
) -> list[Mapping[str, Any]]:
    """``id``, ``name`` and ``keyword`` (a case-insensitive substring of ``fields``) as
    CloudStack applies them to every catalog listing."""
    wanted_id, name = call.args.get("id"), call.args.get("name")
    keyword = (call.args.get("keyword") or "").lower()
    return [
        item
        for item in items
        if (wanted_id is None or item["id"] == str(wanted_id))
        and (name is None or item.get("name") == name)
        and (not keyword or any(keyword in str(item.get(f, "")).lower() for f in fields))
    ]


@commands.command(
    "listZones",
    "Lists zones",
    (*LIST_PARAMS, _ID, _NAME, Param("available", ParamType.BOOLEAN, "Only usable zones")),
    response_key="zone",
)
def list_zones(call: Call) -> Reply:
    domain = objects.domain(call.services)
    zones = [objects.zone(z, domain) for z in call.services.catalog.list_zones()]
    return call.page("zone", matching(call, zones))


@commands.command(
    "listDomains",
    "Lists domains; this cloud has one, ROOT",
    (*LIST_PARAMS, _ID, _NAME, Param("listall", ParamType.BOOLEAN, "All domains")),
    response_key="domain",
)
def list_domains(call: Call) -> Reply:
    root = {
        "id": objects.domain(call.services),
        "name": ROOT_DOMAIN,
        "level": 0,
        "path": ROOT_DOMAIN,
        "haschild": False,
        "state": "Active",
    }
    return call.page("domain", matching(call, [root]))


@commands.command(
    "listServiceOfferings",
    "Lists service offerings (the flavors)",
    (
        *LIST_PARAMS,
        _ID,
        _NAME,
        Param("virtualmachineid", ParamType.UUID, "Offerings the VM may change to"),
        Param("issystem", ParamType.BOOLEAN, "System offerings (there are none)"),
    ),
    response_key="serviceoffering",
)
def list_service_offerings(call: Call) -> Reply:
    if call.args.get("issystem"):
        return call.page("serviceoffering", [])
    offerings = [objects.service_offering(f) for f in call.services.catalog.list_flavors()]
    return call.page("serviceoffering", matching(call, offerings))


@commands.command(
    "createServiceOffering",
    "Creates a service offering (admins)",
    (
        Param("name", ParamType.STRING, "The name", required=True),
        Param("displaytext", ParamType.STRING, "The display text"),
        Param("cpunumber", ParamType.INTEGER, "Number of vCPUs", required=True),
        Param("cpuspeed", ParamType.INTEGER, "CPU speed in MHz (informative)"),
        Param("memory", ParamType.INTEGER, "Memory in MiB", required=True),
        Param("rootdisksize", ParamType.LONG, "Root disk size in GiB (default 8)"),
    ),
    admin_only=True,
    response_key="serviceoffering",
)
def create_service_offering(call: Call) -> Reply:
    flavor = call.services.catalog.create_flavor(
        call.caller,
        call.args["name"],
        vcpus=call.args["cpunumber"],
        memory_mib=call.args["memory"],
        disk_gib=call.args.get("rootdisksize", 8),
    )
    return Single("serviceoffering", objects.service_offering(flavor))


@commands.command(
    "listDiskOfferings",
    "Lists disk offerings",
    (*LIST_PARAMS, _ID, _NAME),
    response_key="diskoffering",
)
def list_disk_offerings(call: Call) -> Reply:
    offerings = [objects.disk_offering(o) for o in call.services.catalog.list_disk_offerings()]
    return call.page("diskoffering", matching(call, offerings))


@commands.command(
    "listOsTypes",
    "Lists guest OS types",
    (
        *LIST_PARAMS,
        _ID,
        Param("description", ParamType.STRING, "The OS description"),
        Param("oscategoryid", ParamType.UUID, "The OS category"),
    ),
    response_key="ostype",
)
def list_os_types(call: Call) -> Reply:
    description = call.args.get("description")
    category = call.args.get("oscategoryid")
    found = [
        {
            "id": os.id,
            "description": os.description,
            "name": os.description,
            "oscategoryid": os.category_id,
            "oscategoryname": os.category,
            "isuserdefined": False,
        }
        for os in OS_TYPES
        if (description is None or os.description == description)
        and (category is None or os.category_id == str(category))
    ]
    return call.page("ostype", matching(call, found, fields=("description",)))


@commands.command(
    "listOsCategories", "Lists OS categories", (*LIST_PARAMS, _ID, _NAME), response_key="oscategory"
)
def list_os_categories(call: Call) -> Reply:
    categories = {os.category_id: os.category for os in OS_TYPES}
    found = [{"id": key, "name": name} for key, name in sorted(categories.items())]
    return call.page("oscategory", matching(call, found))


@commands.command(
    "listHypervisors",
    "Lists the hypervisors of the cloud",
    (Param("zoneid", ParamType.UUID, "The zone"),),
    response_key="hypervisor",
)
def list_hypervisors(call: Call) -> Reply:
    return call.page("hypervisor", [{"name": HYPERVISOR}])


@commands.command(
    "listHosts",
    "Lists hosts (admins)",
    (
        *LIST_PARAMS,
        _ID,
        _NAME,
        Param("type", ParamType.STRING, "Host type; all hosts here are Routing"),
        Param("zoneid", ParamType.UUID, "The zone"),
        Param("state", ParamType.STRING, "Up or Disconnected"),
    ),
    admin_only=True,
    response_key="host",
)
def list_hosts(call: Call) -> Reply:
    hosts = [objects.host(h) for h in call.services.catalog.list_hosts(call.caller)]
    kind, zone, state = call.args.get("type"), call.args.get("zoneid"), call.args.get("state")
    hosts = [
        h
        for h in hosts
        if (kind is None or kind.lower() == "routing")
        and (zone is None or h["zoneid"] == str(zone))
        and (state is None or h["state"].lower() == state.lower())
    ]
    return call.page("host", matching(call, hosts))


@commands.command(
    "listCapabilities", "The capabilities of this cloud", (), response_key="capability"
)
def list_capabilities(call: Call) -> Reply:
    return Single(
        "capability",
        {
            "cloudstackversion": CLOUDSTACK_VERSION,
            "securitygroupsenabled": True,
            "dynamicrolesenabled": False,
            "userpublictemplateenabled": False,
            "supportELB": "false",
            "projectinviterequired": False,
            "allowusercreateprojects": False,
            "customdiskofferingminsize": 1,
            "customdiskofferingmaxsize": 16 * 1024,
            "regionsecondaryenabled": False,
            "kvmsnapshotenabled": True,
            "allowuserviewdestroyedvm": True,
            "allowuserexpungerecovervm": True,
            "allowuserexpungerecovervolume": False,
            "allowuserviewalldomainaccounts": False,
            "kubernetesserviceenabled": False,
            "kubernetesclusterexperimentalfeaturesenabled": False,
            "defaultuipagesize": DEFAULT_PAGE_SIZE,
            "apilimitinterval": 1,
            "apilimitmax": 0,
            "instancesstatsretentiontime": 0,
            "instancesstatsuseronly": False,
        },
    )
