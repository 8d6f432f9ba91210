"""Core views rendered as CloudStack's response objects, with the fields real clients read.

Field lists follow CloudStack's *Response classes and what libcloud, cs, Ansible, CloudMonkey,
Marvin and the fluentd input read (``../shared/specs/native.md`` §2.3). ``tags`` is always
present, even empty: Ansible only reconciles tags on resources that carry the key.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from typing import Any, Final

from core import Protocol, Services
from core.enums import (
    ImageState,
    ResourceKind,
    SnapshotState,
    VolumeState,
)
from core.views import (
    AccountView,
    AddressView,
    DiskOfferingView,
    EventView,
    FlavorView,
    GroupRef,
    HostView,
    ImageView,
    InstanceView,
    KeyPairView,
    NetworkView,
    NicView,
    RuleView,
    SecurityGroupView,
    SnapshotView,
    TagView,
    UserView,
    VolumeView,
    ZoneView,
)
from gateway.native.envelope import timestamp
from translations.native import (
    HYPERVISOR,
    OS_TYPE,
    resource_type,
    snapshot_state,
    template_status,
    volume_state,
    volume_type,
)
from translations.rules import wire_ports
from translations.states import INSTANCE_STATES

ROOT_DOMAIN: Final = "ROOT"
CPU_SPEED_MHZ: Final = 2000  # what offerings report; TCG guests have no fixed clock to offer


def domain_id(services: Services) -> uuid.UUID:
    """The one domain's id, stable for the installation."""
    return uuid.uuid5(uuid.UUID(services.installation), "native-domain:ROOT")


def domain(services: Services) -> str:
    """What every rendering below needs besides its view: the domain's id, as text."""
    return str(domain_id(services))


def _tags(
    tags: Mapping[str, str], kind: ResourceKind, resource_id: uuid.UUID
) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "value": value,
            "resourcetype": resource_type(kind),
            "resourceid": str(resource_id),
        }
        for key, value in sorted(tags.items())
    ]


def zone(view: ZoneView, domain: str) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "description": f"{view.name} ({view.region})",
        "networktype": "Advanced",
        "securitygroupsenabled": True,
        "allocationstate": "Enabled",
        "zonetoken": view.ref,
        "dhcpprovider": "DhcpServer",
        "localstorageenabled": True,
        "domainid": domain,
        "hasannotations": False,
        "tags": [],
    }


def service_offering(view: FlavorView) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "displaytext": f"{view.vcpus} vCPU, {view.memory_mib} MiB RAM, {view.disk_gib} GiB disk",
        "cpunumber": view.vcpus,
        "cpuspeed": CPU_SPEED_MHZ,
        "memory": view.memory_mib,
        "rootdisksize": view.disk_gib,
        "storagetype": "local",
        "offerha": False,
        "limitcpuuse": False,
        "isvolatile": False,
        "iscustomized": False,
        "issystem": False,
        "defaultuse": False,
        "provisioningtype": "thin",
        "hasannotations": False,
    }


def disk_offering(view: DiskOfferingView) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "displaytext": view.description or view.name,
        "disksize": view.size_gib or 0,
        "iscustomized": view.size_gib is None,
        "storagetype": "local",
        "provisioningtype": "thin",
        "created": timestamp(view.created_at),
        "displayoffering": True,
        "hasannotations": False,
    }


def template_zone(services: Services) -> ZoneView | None:
    """The zone a template row names: images serve every zone, and CloudStack lists a template
    once per zone (this cloud has one)."""
    return next(iter(services.catalog.list_zones()), None)


def template(view: ImageView, domain: str, zone_view: ZoneView | None) -> dict[str, Any]:
    """``zone_view``: from ``template_zone``."""
    ready = view.state is ImageState.AVAILABLE
    return {
        "id": str(view.id),
        "name": view.name,
        "displaytext": view.description or view.name,
        "ispublic": view.is_public,
        "isfeatured": view.is_public,
        "isextractable": False,
        "crossZones": True,
        "created": timestamp(view.created_at),
        "isready": ready,
        # as in CloudStack, a failed download shows its error text as the status
        "status": (
            view.state_reason
            if view.state is ImageState.FAILED and view.state_reason
            else template_status(view.state)
        ),
        "passwordenabled": False,
        "format": view.disk_format.value.upper(),
        "hypervisor": HYPERVISOR,
        "ostypeid": OS_TYPE.id,
        "ostypename": OS_TYPE.description,
        "size": view.virtual_size,
        "templatetype": "USER",
        "sshkeyenabled": True,
        "isdynamicallyscalable": False,
        "zoneid": str(zone_view.id) if zone_view else "",
        "zonename": zone_view.name if zone_view else "",
        "checksum": view.checksum,
        **owner_fields(view.account_name, domain),
        "tags": _tags(view.tags, ResourceKind.IMAGE, view.id),
    }


def _security_group_ref(group: GroupRef) -> dict[str, Any]:
    return {
        "id": str(group.id),
        "name": group.name,
        "description": group.description,
        "ingressrule": [],
        "egressrule": [],
        "tags": [],
    }


def nic(view: NicView, instance_id: uuid.UUID) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": str(view.id),
        "networkid": str(view.network_id),
        "networkname": view.network_name,
        "macaddress": view.mac,
        "isdefault": view.device_index == 0,
        "deviceid": str(view.device_index),
        "traffictype": "Guest",
        "type": "Shared" if view.shared else "Isolated",
        "virtualmachineid": str(instance_id),
        "secondaryip": [],
        "extradhcpoption": [],
        "gateway": view.gateway,
        "netmask": _netmask(int(view.cidr.split("/")[1])),
        "broadcasturi": f"vlan://untagged/{view.network_ref}",
        "isolationuri": f"vlan://untagged/{view.network_ref}",
    }
    if view.ip is not None:
        rendered["ipaddress"] = view.ip
    return rendered


def _netmask(prefix: int) -> str:
    bits = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return ".".join(str((bits >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def owner_fields(account_name: str, domain: str) -> dict[str, Any]:
    """Who owns a resource, as every CloudStack response object says it."""
    return {
        "account": account_name,
        "domainid": domain,
        "domain": ROOT_DOMAIN,
        "domainpath": ROOT_DOMAIN,
    }


def virtual_machine(view: InstanceView, domain: str) -> dict[str, Any]:
    """Everything comes with the view: rendering a listing reads nothing more."""
    rendered: dict[str, Any] = {
        "id": str(view.id),
        "name": view.name,
        "displayname": view.name,
        "instancename": f"i-{view.ref}",
        **owner_fields(view.account_name, domain),
        "created": timestamp(view.created_at),
        "state": INSTANCE_STATES[view.state].native,
        "haenable": False,
        "zoneid": str(view.zone_id),
        "zonename": view.zone_name,
        "templateid": str(view.image_id),
        "templatename": view.image_name,
        "templatedisplaytext": view.image_name,
        "passwordenabled": False,
        "serviceofferingid": str(view.flavor_id),
        "serviceofferingname": view.flavor_name,
        "cpunumber": view.vcpus,
        "cpuspeed": CPU_SPEED_MHZ,
        "memory": view.memory_mib,
        "guestosid": OS_TYPE.id,
        "ostypeid": OS_TYPE.id,
        "rootdeviceid": 0,
        "rootdevicetype": "ROOT",
        "hypervisor": HYPERVISOR,
        "isdynamicallyscalable": False,
        "securitygroup": [_security_group_ref(g) for g in view.groups],
        "nic": [nic(n, view.id) for n in view.nics],
        "affinitygroup": [],
        "details": {},
        "tags": _tags(view.tags, ResourceKind.INSTANCE, view.id),
    }
    if view.key_name is not None:
        rendered["keypair"] = view.key_name
        rendered["keypairs"] = view.key_name
    if view.user_data:
        rendered["userdata"] = base64.b64encode(view.user_data).decode()
    if view.state_reason:
        rendered["details"] = {"reason": view.state_reason}
    if view.address is not None:
        rendered["publicip"] = view.address.ip
        rendered["publicipid"] = str(view.address.id)
    return rendered


def volume(view: VolumeView, domain: str) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": str(view.id),
        "name": view.name,
        **owner_fields(view.account_name, domain),
        "zoneid": str(view.zone_id),
        "zonename": view.zone_name,
        "type": volume_type(view.volume_type),
        "size": view.size_bytes,
        "state": volume_state(view.state),
        "created": timestamp(view.created_at),
        "storagetype": "local",
        "hypervisor": HYPERVISOR,
        "provisioningtype": "thin",
        "destroyed": view.state is VolumeState.DELETED,
        "isextractable": False,
        "quiescevm": False,
        "tags": _tags(view.tags, ResourceKind.VOLUME, view.id),
    }
    if view.disk_offering_id is not None:
        # Ansible's cs_volume resizes when diskofferingid differs or is absent
        rendered["diskofferingid"] = str(view.disk_offering_id)
        rendered["diskofferingname"] = view.disk_offering_name
        rendered["diskofferingdisplaytext"] = (
            view.disk_offering_description or view.disk_offering_name
        )
    if view.instance_id is not None and view.state is not VolumeState.DELETED:
        rendered["virtualmachineid"] = str(view.instance_id)
        # the VM's name (CloudStack's vm_instance.name), which Ansible's cs_volume returns as vm
        vm_name = view.instance_name or f"i-{view.instance_ref}"
        rendered["vmname"] = vm_name
        rendered["vmdisplayname"] = vm_name
        rendered["deviceid"] = ord((view.device or "vda")[-1]) - ord("a")
    if view.attached_at is not None:
        rendered["attached"] = timestamp(view.attached_at)
    if view.snapshot_id is not None:
        rendered["snapshotid"] = str(view.snapshot_id)
    return rendered


def snapshot(view: SnapshotView, domain: str) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        **owner_fields(view.account_name, domain),
        "volumeid": str(view.volume_id),
        "volumename": view.volume_ref,
        "volumetype": volume_type(view.volume_type),
        "snapshottype": "MANUAL",
        "intervaltype": "MANUAL",
        "state": snapshot_state(view.state),
        "physicalsize": view.size_bytes,
        "virtualsize": view.size_bytes,
        "created": timestamp(view.created_at),
        "revertable": False,
        "locationtype": "PRIMARY",
        "zoneid": str(view.zone_id),
        "hypervisor": HYPERVISOR,
        "tags": _tags(view.tags, ResourceKind.SNAPSHOT, view.id),
        **({"pending": True} if view.state is SnapshotState.PENDING else {}),
    }


def rule(view: RuleView, group: SecurityGroupView) -> dict[str, Any]:
    rendered: dict[str, Any] = {"ruleid": str(view.id), "protocol": view.protocol, "tags": []}
    low, high = wire_ports(view.protocol, view.from_port, view.to_port)
    if view.protocol == Protocol.ICMP:
        rendered["icmptype"], rendered["icmpcode"] = low, high
    elif view.protocol in (Protocol.TCP, Protocol.UDP):
        rendered["startport"], rendered["endport"] = low, high
    if view.cidr is not None:
        rendered["cidr"] = view.cidr
    if view.source_group_name is not None:
        rendered["securitygroupname"] = view.source_group_name
        rendered["account"] = group.account_name
    return rendered


def security_group(view: SecurityGroupView, domain: str) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "description": view.description,
        **owner_fields(view.account_name, domain),
        "ingressrule": [rule(r, view) for r in view.rules if r.direction == "ingress"],
        "egressrule": [rule(r, view) for r in view.rules if r.direction == "egress"],
        "virtualmachinecount": 0,
        "virtualmachineids": [],
        "tags": _tags(view.tags, ResourceKind.SECURITY_GROUP, view.id),
    }


def ssh_key_pair(view: KeyPairView, domain: str) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "fingerprint": view.fingerprint_md5,
        **owner_fields(view.account_name, domain),
        "hasannotations": False,
    }


def network(view: NetworkView, domain: str) -> dict[str, Any]:
    prefix = int(view.cidr.split("/")[1])
    return {
        "id": str(view.id),
        "name": view.name,
        "displaytext": view.description or view.name,
        **owner_fields(view.account_name, domain),
        "zoneid": str(view.zone_id),
        "zonename": view.zone_name,
        "cidr": view.cidr,
        "gateway": view.gateway,
        "netmask": _netmask(prefix),
        "state": "Implemented",
        "type": "Shared" if view.shared else "Isolated",
        "traffictype": "Guest",
        "isdefault": view.is_default,
        "issystem": False,
        "acltype": "Domain" if view.shared else "Account",
        "broadcastdomaintype": "Native",
        "networkofferingname": "DefaultSharedNetworkOfferingWithSGService",
        "canusefordeploy": True,
        "ispersistent": True,
        "restartrequired": False,
        "specifyipranges": False,
        "service": [{"name": "Dhcp"}, {"name": "SecurityGroup"}],
        "tags": _tags(view.tags, ResourceKind.NETWORK, view.id),
    }


def public_ip(view: AddressView, domain: str) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": str(view.id),
        "ipaddress": view.ip,
        "allocated": timestamp(view.created_at),
        **owner_fields(view.account_name, domain),
        "zoneid": str(view.zone_id),
        "zonename": view.zone_name,
        "issourcenat": False,
        "isstaticnat": view.instance_id is not None,
        "issystem": False,
        "forvirtualnetwork": True,
        "state": "Allocated",
        "tags": _tags(view.tags, ResourceKind.ADDRESS, view.id),
    }
    if view.instance_id is not None:
        rendered["virtualmachineid"] = str(view.instance_id)
        rendered["virtualmachinename"] = view.instance_name
        rendered["virtualmachinedisplayname"] = view.instance_name
        if view.private_ip is not None:
            rendered["vmipaddress"] = view.private_ip
    return rendered


def event(view: EventView, domain: str) -> dict[str, Any]:
    owner = owner_fields(view.account_name, domain)
    rendered: dict[str, Any] = {
        "id": str(view.id),
        "type": view.type.value,
        "level": view.level.value,
        "state": view.state.value,
        "description": view.description,
        **owner,
        "username": owner["account"],
        "created": timestamp(view.created_at),
        "archived": False,
    }
    if view.resource_id is not None and view.resource_kind is not None:
        rendered["resourceid"] = str(view.resource_id)
        rendered["resourcetype"] = resource_type(view.resource_kind)
    if view.parent_id is not None:
        rendered["parentid"] = str(view.parent_id)
    return rendered


def host(view: HostView) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.hostname,
        "ipaddress": view.uri,
        "type": "Routing",
        "state": "Up" if view.enabled else "Disconnected",
        "resourcestate": "Enabled" if view.enabled else "Disabled",
        "hypervisor": HYPERVISOR,
        "hypervisorversion": view.virt_type.value,
        "cpunumber": view.cpus,
        "cpuspeed": CPU_SPEED_MHZ,
        "memorytotal": view.memory_mib * 1024 * 1024,
        "disksizetotal": view.disk_gib * 1024**3,
        "zoneid": str(view.zone_id),
        "zonename": view.zone_name,
        "created": timestamp(view.created_at),
        "islocalstorageactive": True,
    }


def account(view: AccountView, domain: str) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "name": view.name,
        "accounttype": 1 if view.is_admin else 0,
        "roletype": "Admin" if view.is_admin else "User",
        "rolename": "Root Admin" if view.is_admin else "User",
        "domainid": domain,
        "domain": ROOT_DOMAIN,
        "domainpath": ROOT_DOMAIN,
        "state": "enabled",
        "created": timestamp(view.created_at),
        "isdefault": view.is_admin,
    }


def user(view: UserView, domain: str) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": str(view.id),
        "username": view.username,
        "firstname": view.username,
        "lastname": view.account_name,
        "account": view.account_name,
        "accountid": str(view.account_id),
        "accounttype": 1 if view.is_admin else 0,
        "roletype": "Admin" if view.is_admin else "User",
        "domainid": domain,
        "domain": ROOT_DOMAIN,
        "state": "enabled",
        "created": timestamp(view.created_at),
        "isdefault": False,
        "timezone": "UTC",
    }
    if view.access_keys:
        rendered["apikey"] = view.access_keys[0]
    return rendered


def tag(view: TagView) -> dict[str, Any]:
    return {
        "key": view.key,
        "value": view.value,
        "resourcetype": resource_type(view.resource_kind),
        "resourceid": str(view.resource_id),
    }
