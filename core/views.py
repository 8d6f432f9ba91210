"""What core services return: frozen values, never ORM rows (rows stay inside a transaction)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from core.enums import (
    AccountState,
    DiskFormat,
    EventLevel,
    EventState,
    EventType,
    ImageState,
    JobKind,
    JobStatus,
    NetworkState,
    ResourceKind,
    SnapshotState,
    VirtType,
    VolumeState,
    VolumeType,
)
from core.states import InstanceState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking. Every service call is scoped to ``account_id`` unless ``is_admin``."""

    account_id: uuid.UUID
    user_id: uuid.UUID | None
    is_admin: bool


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int


@dataclass(frozen=True, slots=True)
class AccountView:
    id: uuid.UUID
    ref: str
    name: str
    is_admin: bool
    created_at: dt.datetime
    state: AccountState = AccountState.ENABLED


@dataclass(frozen=True, slots=True)
class NewAccount:
    """Returned once at creation: the password and secret key are not shown again."""

    account: AccountView
    user_id: uuid.UUID
    username: str
    password: str
    access_key: str
    secret_key: str


@dataclass(frozen=True, slots=True)
class UserView:
    id: uuid.UUID
    username: str
    account_id: uuid.UUID
    account_name: str
    is_admin: bool
    access_keys: Sequence[str]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LoginView:
    """Returned by a password login; ``session_key`` is shown only this once."""

    session_key: str
    user: UserView
    timeout_seconds: int


@dataclass(frozen=True, slots=True)
class ZoneView:
    id: uuid.UUID
    ref: str
    name: str
    region: str


@dataclass(frozen=True, slots=True)
class HostView:
    id: uuid.UUID
    ref: str
    uri: str
    hostname: str
    zone_name: str
    virt_type: VirtType
    cpus: int
    memory_mib: int
    disk_gib: int
    enabled: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ImageView:
    id: uuid.UUID
    ref: str
    name: str
    description: str
    owner_account_id: uuid.UUID
    is_public: bool
    disk_format: DiskFormat
    virtual_size: int
    checksum: str
    state: ImageState
    created_at: dt.datetime
    state_reason: str
    source_instance_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class FlavorView:
    id: uuid.UUID
    ref: str
    name: str
    vcpus: int
    memory_mib: int
    disk_gib: int


@dataclass(frozen=True, slots=True)
class DiskOfferingView:
    id: uuid.UUID
    ref: str
    name: str
    description: str
    size_gib: int | None  # None: the caller chooses the size
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class KeyPairView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    name: str
    key_type: str
    public_key: str
    fingerprint_md5: str
    fingerprint_aws: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewKeyPair:
    """Returned once by create: the private key is never stored."""

    key_pair: KeyPairView
    private_key: str


@dataclass(frozen=True, slots=True)
class InstanceView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    name: str
    hostname: str
    state: InstanceState
    state_reason: str
    zone_name: str
    host_id: uuid.UUID | None
    image_id: uuid.UUID
    image_ref: str
    image_name: str
    flavor_name: str
    vcpus: int
    memory_mib: int
    disk_gib: int
    key_name: str | None
    user_data: bytes
    reservation_ref: str
    launch_index: int
    client_token: str | None
    tags: Mapping[str, str]
    created_at: dt.datetime
    launched_at: dt.datetime | None
    terminated_at: dt.datetime | None
    nics: Sequence[NicView] = ()
    security_groups: Sequence[str] = ()
    termination_protected: bool = False  # terminate, destroy and expunge are refused
    stop_protected: bool = False  # stop is refused

    @property
    def private_ip(self) -> str | None:
        return self.nics[0].ip if self.nics else None


@dataclass(frozen=True, slots=True)
class StateChange:
    instance_id: uuid.UUID
    ref: str
    previous: InstanceState
    current: InstanceState
    job_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Reservation:
    ref: str
    account_id: uuid.UUID
    instances: Sequence[InstanceView]
    job_ids: Sequence[uuid.UUID]


@dataclass(frozen=True, slots=True)
class JobView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    kind: JobKind
    status: JobStatus
    resource_kind: ResourceKind
    resource_id: uuid.UUID
    attempts: int
    result: Mapping[str, Any] | None
    error_kind: str | None
    error_text: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class EventView:
    id: uuid.UUID
    seq: int
    account_id: uuid.UUID
    user_id: uuid.UUID | None
    type: EventType
    state: EventState
    level: EventLevel
    description: str
    resource_kind: ResourceKind | None
    resource_id: uuid.UUID | None
    job_id: uuid.UUID | None
    parent_seq: int | None
    created_at: dt.datetime
    parent_id: uuid.UUID | None = None  # the Scheduled event a Started or Completed one follows


@dataclass(frozen=True, slots=True)
class InstanceQuery:
    """Filters of a listing; empty tuples mean "any". Refs and UUIDs both identify."""

    ids: Sequence[str] = ()
    states: Sequence[InstanceState] = ()
    names: Sequence[str] = ()
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)
    include_terminated: bool = True
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Accepted(Generic[T]):
    """A resource as it is now, and the job that will settle it (None: nothing to do)."""

    item: T
    job_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class VolumeView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    name: str
    volume_type: VolumeType
    state: VolumeState
    state_reason: str
    size_bytes: int
    zone_name: str
    instance_id: uuid.UUID | None
    instance_ref: str | None
    device: str | None
    snapshot_id: uuid.UUID | None
    tags: Mapping[str, str]
    created_at: dt.datetime
    attached_at: dt.datetime | None
    disk_offering_name: str | None = None

    @property
    def size_gib(self) -> int:
        return -(-self.size_bytes // 1024**3)


@dataclass(frozen=True, slots=True)
class SnapshotView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    volume_id: uuid.UUID
    volume_ref: str
    volume_type: VolumeType
    name: str
    description: str
    state: SnapshotState
    state_reason: str
    size_bytes: int
    tags: Mapping[str, str]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class VolumeQuery:
    """Filters of a volume listing; empty tuples mean "any"."""

    ids: Sequence[str] = ()
    states: Sequence[VolumeState] = ()
    types: Sequence[VolumeType] = ()
    instance: str | None = None
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)
    include_deleted: bool = False


@dataclass(frozen=True, slots=True)
class SnapshotQuery:
    ids: Sequence[str] = ()
    volume: str | None = None
    states: Sequence[SnapshotState] = ()
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)
    include_deleted: bool = False


@dataclass(frozen=True, slots=True)
class RuleView:
    id: uuid.UUID
    ref: str
    direction: str
    protocol: str
    from_port: int | None
    to_port: int | None
    cidr: str | None
    source_group_id: uuid.UUID | None
    source_group_name: str | None
    source_group_ref: str | None


@dataclass(frozen=True, slots=True)
class SecurityGroupView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    name: str
    description: str
    rules: Sequence[RuleView]
    tags: Mapping[str, str]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RuleRequest:
    """One rule as a caller asks for it; core normalizes and validates it."""

    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    cidr: str | None = None
    source_group: str | None = None


@dataclass(frozen=True, slots=True)
class NetworkView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    name: str
    description: str
    cidr: str
    gateway: str
    is_default: bool
    shared: bool
    state: NetworkState
    zone_name: str
    tags: Mapping[str, str]
    created_at: dt.datetime
    vpc_id: uuid.UUID | None = None  # None: the zone's default VPC
    addresses_in_use: int = 0  # NICs of every account holding one of its addresses


@dataclass(frozen=True, slots=True)
class VpcView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    cidr: str
    is_default: bool
    state: NetworkState
    zone_name: str
    tags: Mapping[str, str]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NicView:
    id: uuid.UUID
    mac: str
    network_id: uuid.UUID
    network_name: str
    device_index: int
    ip: str | None  # from the DHCP lease; None until the guest has asked for one
    reserved_ip: str  # what DHCP holds for this MAC: the lease will be this address
    ref: str


@dataclass(frozen=True, slots=True)
class AddressView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    ip: str
    zone_name: str
    instance_id: uuid.UUID | None
    instance_ref: str | None
    private_ip: str | None
    tags: Mapping[str, str]
    created_at: dt.datetime
    associated_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class TagView:
    resource_kind: ResourceKind
    resource_id: uuid.UUID
    resource_ref: str
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class AccountUsage:
    """An account's allocation now. ``vms`` counts instances by state (terminated ones are
    gone); vCPU and memory are summed over all allocated instances and over running ones."""

    account_id: uuid.UUID
    account_name: str
    vms: Mapping[InstanceState, int]
    vcpus: int
    memory_mib: int
    vcpus_running: int
    memory_mib_running: int
    running_by_offering: Mapping[str, int]
    volumes: Mapping[VolumeType, int]
    volume_bytes: Mapping[VolumeType, int]
    data_volumes_by_offering: Mapping[str, int]
    snapshots: int
    snapshot_bytes: int
    addresses: int

    @property
    def vms_running(self) -> int:
        return self.vms.get(InstanceState.RUNNING, 0)

    @property
    def vms_total(self) -> int:
        return sum(self.vms.values())
