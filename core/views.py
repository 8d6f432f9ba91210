"""What core services return: frozen values, never ORM rows (rows stay inside a transaction)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

from core.enums import (
    AccountState,
    DiskFormat,
    EventLevel,
    EventState,
    EventType,
    ImageScope,
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
from core.errors import ErrorKind
from core.predicates import Predicate
from core.states import GuestPause, InstanceState, guest_pause

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking. Every service call is scoped to ``account_id`` unless ``is_admin``."""

    account_id: uuid.UUID
    user_id: uuid.UUID | None
    is_admin: bool


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One window of a listing: ``total`` counts every match, ``next_cursor`` (None on the
    last page) asks for the rows after these, and ``cursors`` hold the cursor after each item,
    for a caller that stops partway through the page (a front end filtering it further)."""

    items: Sequence[T]
    total: int
    next_cursor: str | None = None
    cursors: Sequence[str] = ()


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
    locked: bool  # by too many failed password logins, until an administrator enables it


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
    zone_id: uuid.UUID
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
    account_name: str  # the owner's
    is_public: bool
    disk_format: DiskFormat
    virtual_size: int
    checksum: str
    state: ImageState
    created_at: dt.datetime
    state_reason: str
    source_instance_id: uuid.UUID | None
    tags: Mapping[str, str] = field(default_factory=dict)
    source_instance_ref: str | None = None  # when the caller may see that instance

    @property
    def account_id(self) -> uuid.UUID:
        """The owner, under the name every other view gives it."""
        return self.owner_account_id


@dataclass(frozen=True, slots=True)
class FlavorView:
    id: uuid.UUID
    ref: str
    name: str
    vcpus: int
    memory_mib: int
    disk_gib: int
    created_at: dt.datetime


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
    account_name: str
    name: str
    key_type: str
    public_key: str
    fingerprint_md5: str  # ssh-keygen -E md5 of the OpenSSH blob, colon hex
    fingerprint_sha256: str  # ssh-keygen -E sha256 of the OpenSSH blob: SHA256:<base64>
    public_der_md5: str  # MD5 of the DER SubjectPublicKeyInfo, colon hex
    private_key_sha1: str | None  # SHA-1 of the DER PKCS#8 private key; keys generated here
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewKeyPair:
    """Returned once by create: the private key is never stored."""

    key_pair: KeyPairView
    private_key: str


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A security group as its member instances name it."""

    id: uuid.UUID
    ref: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class AttachedVolume:
    """A volume as the instance it is attached to shows it."""

    id: uuid.UUID
    ref: str
    volume_type: VolumeType
    state: VolumeState
    device: str | None
    attached_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AddressRef:
    """The public address associated with an instance."""

    id: uuid.UUID
    ref: str
    ip: str


@dataclass(frozen=True, slots=True)
class InstanceView:
    """An instance with everything any API shows beside it: its interfaces and their
    networks, groups, attached volumes, public address and tags, read in a fixed number of
    statements however many instances a listing holds."""

    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    account_name: str
    name: str
    hostname: str
    state: InstanceState
    state_reason: str
    zone_id: uuid.UUID
    zone_name: str
    host_id: uuid.UUID | None
    image_id: uuid.UUID
    image_ref: str
    image_name: str
    flavor_id: uuid.UUID
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
    nics: Sequence[NicView]
    groups: Sequence[GroupRef]
    volumes: Sequence[AttachedVolume]  # root first, then by device; deleted ones are gone
    address: AddressRef | None
    termination_protected: bool  # terminate, destroy and expunge are refused
    stop_protected: bool  # stop is refused

    @property
    def private_ip(self) -> str | None:
        return self.nics[0].ip if self.nics else None

    @property
    def guest_pause(self) -> GuestPause | None:
        """Why the guest of this running instance is held paused by its host, if it is: its
        status is then impaired, though its state stays running."""
        return guest_pause(self.state, self.state_reason)

    @property
    def security_groups(self) -> list[str]:
        return [group.name for group in self.groups]


@dataclass(frozen=True, slots=True)
class StateChange:
    """An instance's move by a life-cycle action: EC2 answers both states (an ``Accepted``
    carries it with the job that completes the move)."""

    instance_id: uuid.UUID
    ref: str
    previous: InstanceState
    current: InstanceState


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
    account_name: str
    kind: JobKind
    status: JobStatus
    resource_kind: ResourceKind
    resource_id: uuid.UUID
    attempts: int
    result: Mapping[str, Any] | None
    error_kind: ErrorKind | None
    error_text: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class EventView:
    id: uuid.UUID
    seq: int
    account_id: uuid.UUID
    account_name: str
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
class WindowedQuery:
    """The window part of a listing's query: see ``Window``."""

    offset: int = 0
    limit: int | None = None
    after: str | None = None
    where: Predicate | None = None  # a whole filter expression, AND-ed with the other fields
    #: (field, descending?) pairs, most significant first, ahead of the listing's own order,
    #: which breaks ties; the fields are those ``where`` can name (see ``Fields.ordering``)
    order_by: Sequence[tuple[str, bool]] = ()

    @property
    def window(self) -> Window:
        return Window(self.limit, self.offset, self.after)


@dataclass(frozen=True, slots=True)
class TaggedQuery(WindowedQuery):
    """The tag part of a listing's query, for kinds that carry tags."""

    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)  # key → any of the values
    tag_keys: Sequence[str] = ()  # has a tag with one of these keys
    tag_values: Sequence[str] = ()  # has a tag with one of these values


@dataclass(frozen=True, slots=True)
class InstanceQuery(TaggedQuery):
    """What an instance listing selects, all of it in SQL; empty tuples mean "any", values of
    one field are OR-ed and fields AND-ed. Refs and UUIDs both identify. Rows come in
    creation order: ``after`` (a cursor from ``Page.next_cursor``) and ``offset`` skip,
    ``limit`` bounds."""

    ids: Sequence[str] = ()
    states: Sequence[InstanceState] = ()
    names: Sequence[str] = ()
    name_contains: str = ""  # a case-insensitive part of the name
    zones: Sequence[str] = ()  # names or UUIDs
    images: Sequence[str] = ()
    flavors: Sequence[str] = ()  # names, refs or UUIDs
    networks: Sequence[str] = ()  # one of its interfaces is on one of these
    key_names: Sequence[str] = ()
    reservations: Sequence[str] = ()
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see
    include_terminated: bool = True
    terminated_since: dt.datetime | None = None  # instances terminated before this are left out
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows of a listing a call wants: ``limit`` rows (None: all) after the row named
    by ``after`` (a cursor from ``Page.next_cursor``), skipping ``offset`` more."""

    limit: int | None = None
    offset: int = 0
    after: str | None = None


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
    account_name: str
    name: str
    volume_type: VolumeType
    state: VolumeState
    state_reason: str
    size_bytes: int
    zone_name: str
    zone_id: uuid.UUID
    instance_name: str | None  # the instance it is attached to
    instance_id: uuid.UUID | None
    instance_ref: str | None
    device: str | None
    snapshot_id: uuid.UUID | None
    tags: Mapping[str, str]
    created_at: dt.datetime
    attached_at: dt.datetime | None
    disk_offering_id: uuid.UUID | None = None
    disk_offering_name: str | None = None
    disk_offering_description: str | None = None
    snapshot_ref: str | None = None  # of ``snapshot_id``, which may since have been deleted

    @property
    def size_gib(self) -> int:
        return -(-self.size_bytes // 1024**3)


@dataclass(frozen=True, slots=True)
class SnapshotView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    account_name: str
    zone_id: uuid.UUID  # its volume's
    zone_name: str
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
class VolumeQuery(TaggedQuery):
    """What a volume listing selects, in SQL, like ``InstanceQuery``; empty means "any"."""

    ids: Sequence[str] = ()
    states: Sequence[VolumeState] = ()
    types: Sequence[VolumeType] = ()
    instance: str | None = None  # attached to this instance, which must exist
    names: Sequence[str] = ()
    name_contains: str = ""
    zones: Sequence[str] = ()  # names or UUIDs
    include_deleted: bool = False


@dataclass(frozen=True, slots=True)
class SnapshotQuery(TaggedQuery):
    """What a snapshot listing selects, in SQL; empty means "any"."""

    ids: Sequence[str] = ()
    volume: str | None = None  # of this volume, which must exist
    states: Sequence[SnapshotState] = ()
    names: Sequence[str] = ()
    name_contains: str = ""
    include_deleted: bool = False


@dataclass(frozen=True, slots=True)
class ImageQuery(TaggedQuery):
    """What an image listing selects, in SQL; empty means "any". ``owners`` and
    ``launchable`` each hold scopes or owning accounts, any of which admits an image."""

    ids: Sequence[str] = ()
    names: Sequence[str] = ()
    text_contains: str = ""  # a case-insensitive part of the name or the description
    states: Sequence[ImageState] = ()  # among pending, available and failed: no other is listed
    owners: Sequence[ImageScope | uuid.UUID] = ()
    launchable: Sequence[ImageScope] = ()
    public: bool | None = None


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
    account_name: str
    name: str
    description: str
    rules: Sequence[RuleView]
    tags: Mapping[str, str]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SecurityGroupQuery(TaggedQuery):
    """What a security group listing selects, in SQL; empty means "any". Groups belong to no
    network, so no field selects by one."""

    ids: Sequence[str] = ()
    names: Sequence[str] = ()
    name_contains: str = ""  # a case-insensitive part of the name
    instance: str | None = None  # the groups of this instance, which must exist
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class KeyPairQuery(WindowedQuery):
    """What a key pair listing selects, in SQL; empty means "any". Key pairs carry no tags."""

    ids: Sequence[str] = ()
    names: Sequence[str] = ()
    name_contains: str = ""  # a case-insensitive part of the name
    fingerprints: Sequence[str] = ()  # MD5 fingerprints of the public key
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class LaunchTemplateView:
    """A stored set of launch parameters, with the names of what it refers to."""

    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    account_name: str
    name: str
    description: str
    image_id: uuid.UUID
    image_name: str
    flavor_id: uuid.UUID
    flavor_name: str
    key_name: str | None  # None: no key, or its key pair has since been deleted
    user_data: bytes
    network_id: uuid.UUID | None  # None: the zone's default network
    start: bool  # the instance's first state: started, or left stopped
    tags: Mapping[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class LaunchTemplateQuery(TaggedQuery):
    """What a launch template listing selects, in SQL; empty means "any"."""

    ids: Sequence[str] = ()  # refs or UUIDs
    names: Sequence[str] = ()
    name_contains: str = ""  # a case-insensitive part of the name
    images: Sequence[uuid.UUID] = ()
    flavors: Sequence[uuid.UUID] = ()
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class VolumeTemplateView:
    """A stored volume to make volumes from: a size or disk offering, and a snapshot to copy."""

    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    account_name: str
    name: str
    description: str
    disk_offering_id: uuid.UUID | None
    disk_offering_name: str | None
    size_gib: int | None  # None: the snapshot's size; with a fixed-size offering, its size
    snapshot_id: uuid.UUID | None  # None: an empty volume, or its snapshot has been deleted
    tags: Mapping[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class VolumeTemplateQuery(TaggedQuery):
    """What a volume template listing selects, in SQL; empty means "any"."""

    ids: Sequence[str] = ()  # refs or UUIDs
    names: Sequence[str] = ()
    name_contains: str = ""  # a case-insensitive part of the name
    disk_offerings: Sequence[uuid.UUID] = ()
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


class Unchanged(enum.Enum):
    """An update's "leave it as it is", for a field where None is a value of its own (a
    launch template's key or network: None is none, or the default one; a volume template's
    size, disk offering or snapshot)."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


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
    account_name: str
    name: str
    description: str
    cidr: str
    gateway: str
    is_default: bool
    shared: bool
    state: NetworkState
    zone_name: str
    zone_id: uuid.UUID
    tags: Mapping[str, str]
    created_at: dt.datetime
    vpc_id: uuid.UUID | None = None  # None: the zone's default VPC
    addresses_in_use: int = 0  # NICs of every account holding one of its addresses
    vpc_ref: str | None = None  # of its VPC, the zone's default one for networks outside any


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
    network_ref: str
    cidr: str
    gateway: str
    shared: bool  # the zone's network every account uses, or one account's own
    vpc_id: uuid.UUID | None  # the network's VPC, the zone's default one for networks outside any
    vpc_ref: str | None  # None only before the zone's default VPC is first made


@dataclass(frozen=True, slots=True)
class InterfaceQuery(WindowedQuery):
    """What an interface listing selects, in SQL; empty means "any". Only interfaces of
    instances not terminated are listed."""

    ids: Sequence[str] = ()  # interface refs or UUIDs
    instances: Sequence[str] = ()  # refs or UUIDs
    networks: Sequence[str] = ()  # refs or UUIDs
    macs: Sequence[str] = ()
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class InterfaceView:
    """An interface as a listing of interfaces shows it: with its instance, whose view holds
    what an interface renders beside its own fields (groups, public address, zone)."""

    id: uuid.UUID
    ref: str
    created_at: dt.datetime
    instance: InstanceView

    @property
    def nic(self) -> NicView:
        return next(n for n in self.instance.nics if n.id == self.id)


@dataclass(frozen=True, slots=True)
class AddressView:
    id: uuid.UUID
    ref: str
    account_id: uuid.UUID
    account_name: str
    ip: str
    zone_name: str
    zone_id: uuid.UUID
    instance_id: uuid.UUID | None
    instance_ref: str | None
    private_ip: str | None
    tags: Mapping[str, str]
    created_at: dt.datetime
    associated_at: dt.datetime | None
    nic_ref: str | None = None  # its instance's first interface
    instance_name: str | None = None


@dataclass(frozen=True, slots=True)
class NetworkQuery(TaggedQuery):
    """What a network listing selects, in SQL, like ``InstanceQuery``; empty means "any".
    Deleted networks are never listed."""

    ids: Sequence[str] = ()
    names: Sequence[str] = ()
    text_contains: str = ""  # a case-insensitive part of the name or the description
    states: Sequence[NetworkState] = ()
    zones: Sequence[str] = ()  # names or UUIDs
    vpcs: Sequence[str] = ()  # refs or UUIDs; outside any VPC of its own is in the default one
    cidrs: Sequence[str] = ()
    shared: bool | None = None
    is_default: bool | None = None
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class VpcQuery(TaggedQuery):
    """What a VPC listing selects, in SQL; empty means "any". Deleted VPCs are never listed."""

    ids: Sequence[str] = ()
    states: Sequence[NetworkState] = ()
    zones: Sequence[str] = ()  # names or UUIDs
    cidrs: Sequence[str] = ()
    is_default: bool | None = None
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class AddressQuery(TaggedQuery):
    """What a public address listing selects, in SQL; empty means "any"."""

    ids: Sequence[str] = ()  # refs, UUIDs or the addresses themselves
    ips: Sequence[str] = ()
    associated: bool | None = None  # bound to an instance, or free
    instances: Sequence[str] = ()  # bound to one of these (refs or UUIDs)
    networks: Sequence[str] = ()  # bound to an instance with an interface on one of these
    zones: Sequence[str] = ()  # names or UUIDs
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class TagView:
    resource_kind: ResourceKind
    resource_id: uuid.UUID
    resource_ref: str
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class TagQuery(WindowedQuery):
    """What a tag listing selects, in SQL; empty means "any". Tags have no creation time, so
    they come by resource id, then key (unique together): a resource's tags stay together and
    a tag keeps its place when its value is overwritten. ``after`` is a cursor of this order."""

    kinds: Sequence[ResourceKind] = ()
    resources: Sequence[str] = ()  # refs or UUIDs of the tagged resources
    keys: Sequence[str] = ()
    values: Sequence[str] = ()
    text_contains: str = ""  # a case-insensitive part of the key or the value
    accounts: Sequence[uuid.UUID] = ()  # owners, within what the caller may see


@dataclass(frozen=True, slots=True)
class AccountQuery(WindowedQuery):
    """What an account listing selects, in SQL; empty means "any". Callers who are not
    administrators see only their own account."""

    ids: Sequence[str] = ()  # refs or UUIDs
    names: Sequence[str] = ()
    name_contains: str = ""  # a case-insensitive part of the name
    is_admin: bool | None = None  # None: both kinds
    states: Sequence[AccountState] = ()  # none given: every state but deleted


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
