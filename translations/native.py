"""Core vocabulary in CloudStack's words (besides instance states, in ``states``). Only data.

Volume states use only names libcloud's volume state map knows; an unknown one would raise in
its driver. Core has no OS types: every template reports one generic Linux type, and
``listOsTypes`` offers the short fixed list below so that clients that insist on an
``ostypeid`` (registerTemplate) have valid ids to send.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from core.enums import ImageState, JobKind, ResourceKind, SnapshotState, VolumeState, VolumeType
from core.states import InstanceState
from translations.states import INSTANCE_STATES

HYPERVISOR: Final = "KVM"
_OS_NAMESPACE: Final = uuid.UUID("6f1d7c2e-4a63-4d55-9a43-1c0e5b4a3b10")


@dataclass(frozen=True, slots=True)
class OsType:
    description: str
    category: str

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_OS_NAMESPACE, self.description))

    @property
    def category_id(self) -> str:
        return str(uuid.uuid5(_OS_NAMESPACE, "category:" + self.category))


OS_TYPE: Final = OsType("Other Linux (64-bit)", "Other")
OS_TYPES: Final = (
    OS_TYPE,
    OsType("Debian GNU/Linux 12 (64-bit)", "Debian"),
    OsType("Ubuntu 22.04 LTS", "Ubuntu"),
    OsType("Other (64-bit)", "Other"),
)

RESOURCE_TYPES: Final[Mapping[ResourceKind, str]] = MappingProxyType(
    {
        ResourceKind.ACCOUNT: "Account",
        ResourceKind.HOST: "Host",
        ResourceKind.IMAGE: "Template",
        ResourceKind.FLAVOR: "ServiceOffering",
        ResourceKind.INSTANCE: "UserVm",
        ResourceKind.KEY_PAIR: "SSHKeyPair",
        ResourceKind.VOLUME: "Volume",
        ResourceKind.SNAPSHOT: "Snapshot",
        ResourceKind.NETWORK: "Network",
        ResourceKind.VPC: "Vpc",
        ResourceKind.SECURITY_GROUP: "SecurityGroup",
        ResourceKind.ADDRESS: "PublicIpAddress",
        ResourceKind.LAUNCH_TEMPLATE: "LaunchTemplate",  # CloudStack has none; core's own name
        ResourceKind.VOLUME_TEMPLATE: "VolumeTemplate",  # CloudStack has none; core's own name
    }
)

VOLUME_STATES: Final[Mapping[VolumeState, str]] = MappingProxyType(
    {
        VolumeState.CREATING: "Creating",
        VolumeState.AVAILABLE: "Ready",
        VolumeState.ATTACHING: "Ready",
        VolumeState.IN_USE: "Ready",
        VolumeState.DETACHING: "Ready",
        VolumeState.DELETING: "Destroying",
        VolumeState.DELETED: "Expunged",
        VolumeState.ERROR: "Destroy",
    }
)

SNAPSHOT_STATES: Final[Mapping[SnapshotState, str]] = MappingProxyType(
    {
        SnapshotState.PENDING: "Creating",
        SnapshotState.COMPLETED: "BackedUp",
        SnapshotState.DELETING: "Destroying",
        SnapshotState.DELETED: "Destroyed",
        SnapshotState.ERROR: "Error",
    }
)

TEMPLATE_STATUSES: Final[Mapping[ImageState, str]] = MappingProxyType(
    {
        ImageState.PENDING: "Processing",
        ImageState.AVAILABLE: "Download Complete",
        ImageState.FAILED: "Failed",
        ImageState.DEREGISTERED: "Removed",
    }
)


_API: Final = "org.apache.cloudstack.api.command.user"

# A job kind as CloudStack's async job names it: the command class and the instance type.
JOB_COMMANDS: Final[Mapping[JobKind, tuple[str, str]]] = MappingProxyType(
    {
        JobKind.LAUNCH_INSTANCE: (f"{_API}.vm.DeployVMCmd", "VirtualMachine"),
        JobKind.START_INSTANCE: (f"{_API}.vm.StartVMCmd", "VirtualMachine"),
        JobKind.STOP_INSTANCE: (f"{_API}.vm.StopVMCmd", "VirtualMachine"),
        JobKind.REBOOT_INSTANCE: (f"{_API}.vm.RebootVMCmd", "VirtualMachine"),
        JobKind.TERMINATE_INSTANCE: (f"{_API}.vm.DestroyVMCmd", "VirtualMachine"),
        JobKind.CREATE_VOLUME: (f"{_API}.volume.CreateVolumeCmd", "Volume"),
        JobKind.DELETE_VOLUME: (f"{_API}.volume.DeleteVolumeCmd", "Volume"),
        JobKind.ATTACH_VOLUME: (f"{_API}.volume.AttachVolumeCmd", "Volume"),
        JobKind.DETACH_VOLUME: (f"{_API}.volume.DetachVolumeCmd", "Volume"),
        JobKind.CREATE_SNAPSHOT: (f"{_API}.snapshot.CreateSnapshotCmd", "Snapshot"),
        JobKind.DELETE_SNAPSHOT: (f"{_API}.snapshot.DeleteSnapshotCmd", "Snapshot"),
        JobKind.CAPTURE_IMAGE: (f"{_API}.template.CreateTemplateCmd", "Template"),
        JobKind.AUTHORIZE_INGRESS: (
            f"{_API}.securitygroup.AuthorizeSecurityGroupIngressCmd",
            "SecurityGroup",
        ),
        JobKind.REVOKE_INGRESS: (
            f"{_API}.securitygroup.RevokeSecurityGroupIngressCmd",
            "SecurityGroup",
        ),
        JobKind.AUTHORIZE_EGRESS: (
            f"{_API}.securitygroup.AuthorizeSecurityGroupEgressCmd",
            "SecurityGroup",
        ),
        JobKind.REVOKE_EGRESS: (
            f"{_API}.securitygroup.RevokeSecurityGroupEgressCmd",
            "SecurityGroup",
        ),
        JobKind.DELETE_SECURITY_GROUP: (
            f"{_API}.securitygroup.DeleteSecurityGroupCmd",
            "SecurityGroup",
        ),
        JobKind.DELETE_NETWORK: (f"{_API}.network.DeleteNetworkCmd", "Network"),
        JobKind.CREATE_TAGS: (f"{_API}.tag.CreateTagsCmd", "None"),
        JobKind.DELETE_TAGS: (f"{_API}.tag.DeleteTagsCmd", "None"),
        JobKind.ALLOCATE_ADDRESS: (f"{_API}.address.AssociateIPAddrCmd", "IpAddress"),
        JobKind.RELEASE_ADDRESS: (f"{_API}.address.DisassociateIPAddrCmd", "IpAddress"),
        JobKind.DISASSOCIATE_ADDRESS: (f"{_API}.nat.DisableStaticNatCmd", "IpAddress"),
        JobKind.DESTROY_INSTANCE: (f"{_API}.vm.DestroyVMCmd", "VirtualMachine"),
        JobKind.EXPUNGE_INSTANCE: (f"{_API}.vm.ExpungeVMCmd", "VirtualMachine"),
        JobKind.RESTORE_INSTANCE: (f"{_API}.vm.RestoreVMCmd", "VirtualMachine"),
        JobKind.RESET_KEY: (f"{_API}.vm.ResetVMSSHKeyCmd", "VirtualMachine"),
        JobKind.RESIZE_VOLUME: (f"{_API}.volume.ResizeVolumeCmd", "Volume"),
        JobKind.DOWNLOAD_IMAGE: (f"{_API}.template.RegisterTemplateCmd", "Template"),
        JobKind.DELETE_IMAGE: (f"{_API}.template.DeleteTemplateCmd", "Template"),
        JobKind.DELETE_ACCOUNT: (
            "org.apache.cloudstack.api.command.admin.account.DeleteAccountCmd",
            "Account",
        ),
    }
)


def job_command(kind: JobKind) -> tuple[str, str]:
    return JOB_COMMANDS[kind]


def instance_states(native: str) -> tuple[InstanceState, ...]:
    """Core states that CloudStack shows as ``native`` (any case); () for an unknown name."""
    lowered = native.lower()
    return tuple(s for s, names in INSTANCE_STATES.items() if names.native.lower() == lowered)


def resource_type(kind: ResourceKind) -> str:
    return RESOURCE_TYPES[kind]


def resource_kind(native_type: str) -> ResourceKind | None:
    """CloudStack resource types are matched case-insensitively (``uservm`` works)."""
    lowered = native_type.lower()
    return next((k for k, v in RESOURCE_TYPES.items() if v.lower() == lowered), None)


def volume_state(state: VolumeState) -> str:
    return VOLUME_STATES[state]


def volume_type(kind: VolumeType) -> str:
    return "ROOT" if kind is VolumeType.ROOT else "DATADISK"


def snapshot_state(state: SnapshotState) -> str:
    return SNAPSHOT_STATES[state]


def template_status(state: ImageState) -> str:
    return TEMPLATE_STATUSES[state]
