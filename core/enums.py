"""Core vocabulary other than the instance state machine (that lives in ``core.states``).

Values are core's own spelling. Event types use CloudStack's names because DESIGN rule 6 makes
them the one event vocabulary all four APIs read.
"""

from __future__ import annotations

import enum
from typing import Final


class ResourceKind(enum.Enum):
    ACCOUNT = "account"
    HOST = "host"
    IMAGE = "image"
    FLAVOR = "flavor"
    INSTANCE = "instance"
    KEY_PAIR = "key-pair"
    VOLUME = "volume"
    SNAPSHOT = "snapshot"
    NETWORK = "network"
    VPC = "vpc"
    SECURITY_GROUP = "security-group"
    ADDRESS = "address"
    LAUNCH_TEMPLATE = "launch-template"
    VOLUME_TEMPLATE = "volume-template"


class AccountState(enum.Enum):
    ENABLED = "enabled"
    DELETING = "deleting"  # a delete-account job is removing what it owns
    DELETED = "deleted"


class VirtType(enum.Enum):
    """How a host runs guests: hardware KVM, QEMU's TCG emulator, or libvirt's test driver."""

    KVM = "kvm"
    TCG = "tcg"
    TEST = "test"


class DiskFormat(enum.Enum):
    QCOW2 = "qcow2"
    RAW = "raw"


class ImageState(enum.Enum):
    PENDING = "pending"  # being captured from an instance
    AVAILABLE = "available"
    FAILED = "failed"
    DEREGISTERED = "deregistered"


class VolumeType(enum.Enum):
    """CloudStack's words: every instance has one ROOT volume; the rest are data disks."""

    ROOT = "root"
    DATADISK = "datadisk"


class VolumeState(enum.Enum):
    CREATING = "creating"
    AVAILABLE = "available"
    ATTACHING = "attaching"
    IN_USE = "in-use"
    DETACHING = "detaching"
    DELETING = "deleting"
    DELETED = "deleted"
    ERROR = "error"


class NetworkState(enum.Enum):
    AVAILABLE = "available"
    DELETING = "deleting"
    DELETED = "deleted"


class Protocol(enum.StrEnum):
    """What a security-group rule matches."""

    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ALL = "all"

    @classmethod
    def named(cls, text: str) -> Protocol | None:
        """The protocol ``text`` names, in any case or by its IANA number (6, 17, 1)."""
        lowered = text.lower()
        return next((p for p in cls if lowered in (p.value, _IANA_NUMBERS.get(p))), None)


_IANA_NUMBERS: Final = {Protocol.TCP: "6", Protocol.UDP: "17", Protocol.ICMP: "1"}


class SnapshotState(enum.Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    DELETING = "deleting"
    DELETED = "deleted"
    ERROR = "error"


class JobKind(enum.Enum):
    LAUNCH_INSTANCE = "launch-instance"
    START_INSTANCE = "start-instance"
    STOP_INSTANCE = "stop-instance"
    REBOOT_INSTANCE = "reboot-instance"
    TERMINATE_INSTANCE = "terminate-instance"
    CREATE_VOLUME = "create-volume"
    DELETE_VOLUME = "delete-volume"
    ATTACH_VOLUME = "attach-volume"
    DETACH_VOLUME = "detach-volume"
    CREATE_SNAPSHOT = "create-snapshot"
    DELETE_SNAPSHOT = "delete-snapshot"
    CAPTURE_IMAGE = "capture-image"
    AUTHORIZE_INGRESS = "authorize-ingress"
    REVOKE_INGRESS = "revoke-ingress"
    AUTHORIZE_EGRESS = "authorize-egress"
    REVOKE_EGRESS = "revoke-egress"
    DELETE_SECURITY_GROUP = "delete-security-group"
    DELETE_NETWORK = "delete-network"
    CREATE_TAGS = "create-tags"
    DELETE_TAGS = "delete-tags"
    ALLOCATE_ADDRESS = "allocate-address"
    RELEASE_ADDRESS = "release-address"
    DISASSOCIATE_ADDRESS = "disassociate-address"
    DESTROY_INSTANCE = "destroy-instance"
    EXPUNGE_INSTANCE = "expunge-instance"  # terminate, recorded as CloudStack's VM.EXPUNGE
    RESTORE_INSTANCE = "restore-instance"
    RESIZE_VOLUME = "resize-volume"
    DOWNLOAD_IMAGE = "download-image"
    DELETE_IMAGE = "delete-image"
    DELETE_ACCOUNT = "delete-account"
    RESET_KEY = "reset-key"  # core does it at once; recorded for CloudStack's async reply


class JobStatus(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


TERMINAL_JOB_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})


class EventType(enum.Enum):
    VM_CREATE = "VM.CREATE"
    VM_START = "VM.START"
    VM_STOP = "VM.STOP"
    VM_REBOOT = "VM.REBOOT"
    VM_DESTROY = "VM.DESTROY"
    VM_EXPUNGE = "VM.EXPUNGE"
    VM_RECOVER = "VM.RECOVER"
    VM_RESTORE = "VM.RESTORE"
    VM_UPDATE = "VM.UPDATE"
    VM_UPGRADE = "VM.UPGRADE"
    VM_RESETSSHKEY = "VM.RESETSSHKEY"
    REGISTER_SSH_KEYPAIR = "REGISTER.SSH.KEYPAIR"
    ACCOUNT_CREATE = "ACCOUNT.CREATE"
    ACCOUNT_DELETE = "ACCOUNT.DELETE"
    USER_LOCK = "USER.LOCK"  # too many failed logins in a row
    USER_ENABLE = "USER.ENABLE"
    TEMPLATE_CREATE = "TEMPLATE.CREATE"
    TEMPLATE_DELETE = "TEMPLATE.DELETE"
    HOST_ADD = "HOST.ADD"
    VOLUME_CREATE = "VOLUME.CREATE"
    VOLUME_DELETE = "VOLUME.DELETE"
    VOLUME_ATTACH = "VOLUME.ATTACH"
    VOLUME_DETACH = "VOLUME.DETACH"
    VOLUME_RESIZE = "VOLUME.RESIZE"
    SNAPSHOT_CREATE = "SNAPSHOT.CREATE"
    SNAPSHOT_DELETE = "SNAPSHOT.DELETE"
    NETWORK_CREATE = "NETWORK.CREATE"
    NETWORK_DELETE = "NETWORK.DELETE"
    VPC_CREATE = "VPC.CREATE"
    VPC_DELETE = "VPC.DELETE"
    SG_CREATE = "SG.CREATE"
    SG_DELETE = "SG.DELETE"
    SG_AUTH_INGRESS = "SG.AUTH.INGRESS"
    SG_REVOKE_INGRESS = "SG.REVOKE.INGRESS"
    SG_AUTH_EGRESS = "SG.AUTH.EGRESS"
    SG_REVOKE_EGRESS = "SG.REVOKE.EGRESS"
    NET_IP_ASSIGN = "NET.IPASSIGN"
    NET_IP_RELEASE = "NET.IPRELEASE"
    STATIC_NAT_ENABLE = "STATICNAT.ENABLE"
    STATIC_NAT_DISABLE = "STATICNAT.DISABLE"
    TAGS_CREATE = "CREATE_TAGS"
    TAGS_DELETE = "DELETE_TAGS"


class EventState(enum.Enum):
    CREATED = "Created"
    SCHEDULED = "Scheduled"
    STARTED = "Started"
    COMPLETED = "Completed"


class EventLevel(enum.Enum):
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class Settle(enum.Enum):
    """How a caller wants an action settled when it cannot be queued as work.

    ``RAISE``: a refusal by the resource's state raises, and an action with nothing to do
    returns no job (EC2, OCCI, CIMI). ``AS_JOB``: every action answers a job, a refusal as a
    failed one and nothing to do as a finished one (CloudStack's async commands, which report
    a refusal when the job is polled).
    """

    RAISE = "raise"
    AS_JOB = "as-job"


class ImageScope(enum.Enum):
    """Whose images a listing shows, by the caller's relation to them."""

    OWN = "own"  # the caller's account's, public or not
    PUBLIC = "public"  # public ones, whoever owns them
    SHARED = "shared"  # public ones of other accounts
