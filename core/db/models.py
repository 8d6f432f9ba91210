"""The tables. Services turn rows into frozen views (``core.views``); rows never leave core."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import MACHINE_WRITTEN, Base, Model, created_column, name_column, utcnow
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


class Account(Model):
    __tablename__ = "accounts"

    name: Mapped[name_column] = mapped_column(unique=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    state: Mapped[AccountState] = mapped_column(default=AccountState.ENABLED)
    users: Mapped[list[User]] = relationship(back_populates="account")


class User(Model):
    __tablename__ = "users"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    username: Mapped[name_column] = mapped_column(unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_at: Mapped[dt.datetime | None]  # set by too many failed logins; an admin clears it
    account: Mapped[Account] = relationship(back_populates="users")
    credentials: Mapped[list[Credential]] = relationship(back_populates="user")


class Credential(Model):
    """One access key + secret pair; it signs EC2 (SigV2/SigV4) and native (HMAC-SHA1) calls.

    The secret is kept as is because HMAC verification needs it, exactly as AWS and CloudStack do.
    """

    __tablename__ = "credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    access_key: Mapped[str] = mapped_column(String(128), unique=True)
    secret_key: Mapped[str] = mapped_column(String(128))
    user: Mapped[User] = relationship(back_populates="credentials")


class LoginSession(Base):
    """A password login (CloudStack ``login``). Only a hash of the key is kept, so a copy of
    the database cannot be replayed as a live session."""

    __tablename__ = "login_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[created_column]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    user: Mapped[User] = relationship()


class Zone(Model):
    __tablename__ = "zones"

    name: Mapped[name_column] = mapped_column(unique=True)
    region: Mapped[name_column]


class Host(Model):
    __tablename__ = "hosts"

    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id"), index=True)
    uri: Mapped[str] = mapped_column(String(1024), unique=True)
    hostname: Mapped[name_column]
    virt_type: Mapped[VirtType]
    cpus: Mapped[int]
    memory_mib: Mapped[int]
    disk_gib: Mapped[int]
    enabled: Mapped[bool] = mapped_column(default=True)
    zone: Mapped[Zone] = relationship()


class Image(Model):
    __tablename__ = "images"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    name: Mapped[name_column]
    description: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(default=False)
    disk_format: Mapped[DiskFormat]
    path: Mapped[str] = mapped_column(String(1024))
    virtual_size: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str] = mapped_column(String(64))
    state: Mapped[ImageState] = mapped_column(default=ImageState.AVAILABLE)
    state_reason: Mapped[str] = mapped_column(Text, default="", info=MACHINE_WRITTEN)
    # A plain id, not a foreign key: where an image came from outlives the instance.
    source_instance_id: Mapped[uuid.UUID | None]
    # For a copy: the image it copies (a plain id too) and the caller's token (EC2 CopyImage)
    source_image_id: Mapped[uuid.UUID | None]
    client_token: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("account_id", "name"),)


class Flavor(Model):
    """An instance type (EC2) and service offering (CloudStack) at once."""

    __tablename__ = "flavors"

    name: Mapped[name_column] = mapped_column(unique=True)
    vcpus: Mapped[int]
    memory_mib: Mapped[int]
    disk_gib: Mapped[int]


class DiskOffering(Model):
    """A named volume size (CloudStack disk offering, CIMI VolumeConfiguration); without a
    size the caller picks one."""

    __tablename__ = "disk_offerings"

    name: Mapped[name_column] = mapped_column(unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    size_gib: Mapped[int | None]


class KeyPair(Model):
    __tablename__ = "key_pairs"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    name: Mapped[name_column]
    key_type: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(Text)
    # the key's fingerprints by what they digest (core/keys.py); each API picks the one it shows
    fingerprint_md5: Mapped[str] = mapped_column(String(64))  # of the OpenSSH blob
    # These two are empty on a row a replica of the previous release wrote during an upgrade,
    # as that release knew only the column below (migration 0010); read them through
    # core.services.keypairs.to_view.
    fingerprint_sha256: Mapped[str | None] = mapped_column(String(64))  # of the OpenSSH blob
    public_der_md5: Mapped[str | None] = mapped_column(String(64))
    private_key_sha1: Mapped[str | None] = mapped_column(String(64))  # keys generated here
    # The previous release's one fingerprint, kept while its replicas may run; read only for
    # rows they wrote (core.services.keypairs.to_view), and dropped by a later migration.
    previous_release_fingerprint: Mapped[str | None] = mapped_column("fingerprint_aws", String(64))

    __table_args__ = (UniqueConstraint("account_id", "name"),)


class Instance(Model):
    __tablename__ = "instances"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id"))
    host_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hosts.id"), index=True)
    image_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("images.id"))
    flavor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flavors.id"))
    name: Mapped[name_column]
    hostname: Mapped[name_column]
    state: Mapped[InstanceState] = mapped_column(index=True)
    state_reason: Mapped[str] = mapped_column(Text, default="", info=MACHINE_WRITTEN)
    key_name: Mapped[str | None] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(Text)
    user_data: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    reservation_ref: Mapped[str] = mapped_column(String(32), index=True)
    launch_index: Mapped[int] = mapped_column(default=0)
    client_token: Mapped[str | None] = mapped_column(String(64))
    termination_protected: Mapped[bool] = mapped_column(default=False)
    stop_protected: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    launched_at: Mapped[dt.datetime | None]
    terminated_at: Mapped[dt.datetime | None]
    destroyed_at: Mapped[dt.datetime | None]  # when a recoverable destroy settled

    account: Mapped[Account] = relationship()
    image: Mapped[Image] = relationship()
    flavor: Mapped[Flavor] = relationship()
    zone: Mapped[Zone] = relationship()
    host: Mapped[Host | None] = relationship()
    nics: Mapped[list[Nic]] = relationship(order_by="Nic.device_index")
    security_groups: Mapped[list[SecurityGroup]] = relationship(
        secondary="instance_security_groups", viewonly=True
    )


class Volume(Model):
    """A disk in a host's storage pool. A ROOT volume is born and dies with its instance."""

    __tablename__ = "volumes"
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id"))
    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hosts.id"), index=True)
    name: Mapped[name_column]
    volume_type: Mapped[VolumeType]
    state: Mapped[VolumeState] = mapped_column(index=True)
    state_reason: Mapped[str] = mapped_column(Text, default="", info=MACHINE_WRITTEN)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("instances.id"), index=True)
    device: Mapped[str | None] = mapped_column(String(16))
    snapshot_id: Mapped[uuid.UUID | None]  # the snapshot it was made from, if any; not a key
    disk_offering_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("disk_offerings.id"))
    client_token: Mapped[str | None] = mapped_column(String(64))  # EC2 CreateVolume's
    attached_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]
    zone: Mapped[Zone] = relationship()
    host: Mapped[Host] = relationship()
    instance: Mapped[Instance | None] = relationship(foreign_keys=[instance_id])
    disk_offering: Mapped[DiskOffering | None] = relationship()
    source_snapshot: Mapped[Snapshot | None] = relationship(
        primaryjoin="foreign(Volume.snapshot_id) == Snapshot.id", viewonly=True
    )


class Snapshot(Model):
    """A point-in-time copy of a volume, kept as a qcow2 file next to it in the pool."""

    __tablename__ = "snapshots"
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    volume_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volumes.id"), index=True)
    host_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hosts.id"))
    name: Mapped[name_column]
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[SnapshotState] = mapped_column(index=True)
    state_reason: Mapped[str] = mapped_column(Text, default="", info=MACHINE_WRITTEN)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[dt.datetime | None]
    volume: Mapped[Volume] = relationship(foreign_keys=[volume_id])
    host: Mapped[Host] = relationship()


class Vpc(Model):
    """An address space that networks are carved from (EC2's VPC, whose subnets are networks).
    Each zone has a shared default one spanning the network supernet; networks with no VPC
    of their own belong to it."""

    __tablename__ = "vpcs"
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id"))
    cidr: Mapped[str] = mapped_column(String(18))
    is_default: Mapped[bool] = mapped_column(default=False)
    state: Mapped[NetworkState] = mapped_column(index=True)
    deleted_at: Mapped[dt.datetime | None]
    zone: Mapped[Zone] = relationship()


class Network(Model):
    """A libvirt network (bridge + dnsmasq DHCP), isolated: no NAT, no route out."""

    __tablename__ = "networks"
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id"))
    vpc_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vpcs.id"), index=True)
    name: Mapped[name_column]
    description: Mapped[str] = mapped_column(Text, default="")
    cidr: Mapped[str] = mapped_column(String(18))
    is_default: Mapped[bool] = mapped_column(default=False)
    shared: Mapped[bool] = mapped_column(default=False)
    state: Mapped[NetworkState] = mapped_column(index=True)
    deleted_at: Mapped[dt.datetime | None]
    zone: Mapped[Zone] = relationship()


class Nic(Model):
    """An instance's interface. ``ip`` is reserved for it in DHCP; ``lease_ip`` is what the
    network's DHCP server has actually leased to the guest, and the only address APIs show."""

    __tablename__ = "nics"
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instances.id"), index=True)
    network_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("networks.id"), index=True)
    device_index: Mapped[int] = mapped_column(default=0)
    mac: Mapped[str] = mapped_column(String(17), unique=True)
    ip: Mapped[str] = mapped_column(String(15))
    lease_ip: Mapped[str | None] = mapped_column(String(15))
    released: Mapped[bool] = mapped_column(default=False)
    network: Mapped[Network] = relationship()


class SecurityGroup(Model):
    __tablename__ = "security_groups"
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    name: Mapped[name_column]
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[list[SecurityGroupRule]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        foreign_keys="SecurityGroupRule.group_id",
        order_by="SecurityGroupRule.created_at",
    )
    __table_args__ = (UniqueConstraint("account_id", "name"),)


class SecurityGroupRule(Model):
    __tablename__ = "security_group_rules"
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("security_groups.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    protocol: Mapped[str] = mapped_column(String(8))
    from_port: Mapped[int | None]
    to_port: Mapped[int | None]
    cidr: Mapped[str | None] = mapped_column(String(18))
    source_group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("security_groups.id"), index=True
    )
    group: Mapped[SecurityGroup] = relationship(back_populates="rules", foreign_keys=[group_id])
    source_group: Mapped[SecurityGroup | None] = relationship(foreign_keys=[source_group_id])


class InstanceSecurityGroup(Base):
    __tablename__ = "instance_security_groups"
    instance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("instances.id"), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_groups.id"), primary_key=True, index=True
    )


class Address(Model):
    """A public address from the zone's pool. Model only: nothing routes it on these hosts."""

    __tablename__ = "addresses"
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id"))
    ip: Mapped[str] = mapped_column(String(15), unique=True)
    instance_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("instances.id"), index=True)
    associated_at: Mapped[dt.datetime | None]
    zone: Mapped[Zone] = relationship()
    instance: Mapped[Instance | None] = relationship()


class LaunchTemplate(Model):
    """A named set of launch parameters an account keeps (CIMI MachineTemplate, EC2 launch
    template). A deleted key pair leaves its templates without a key, as EC2's DeleteKeyPair
    never refuses; the view shows that none is left."""

    __tablename__ = "launch_templates"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[name_column]
    description: Mapped[str] = mapped_column(Text, default="")
    image_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("images.id"), index=True)
    flavor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flavors.id"), index=True)
    key_pair_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("key_pairs.id", ondelete="SET NULL"), index=True
    )
    user_data: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    network_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("networks.id"), index=True)
    start: Mapped[bool] = mapped_column(default=True)  # False: the instance is left stopped
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "name"),)


class VolumeTemplate(Model):
    """A named volume an account keeps, to make volumes from later (CIMI VolumeTemplate): a
    size or a disk offering (its volumeConfig) and optionally a snapshot to copy (its
    volumeImage). Snapshots are deleted by state, so their rows stay: the view shows a
    template whose snapshot is deleted as having none, and ON DELETE SET NULL does the same
    should a snapshot's row ever be removed."""

    __tablename__ = "volume_templates"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[name_column]
    description: Mapped[str] = mapped_column(Text, default="")
    disk_offering_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("disk_offerings.id"), index=True
    )
    size_gib: Mapped[int | None]  # with a fixed-size offering, the offering's size
    snapshot_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("snapshots.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "name"),)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    resource_kind: Mapped[ResourceKind]
    resource_id: Mapped[uuid.UUID] = mapped_column(index=True)
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(256), default="")

    __table_args__ = (UniqueConstraint("resource_id", "key"),)


class Job(Model):
    """A unit of host work. Written in the same transaction as the intent it carries out."""

    __tablename__ = "jobs"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[JobKind]
    status: Mapped[JobStatus] = mapped_column(index=True)
    resource_kind: Mapped[ResourceKind]
    resource_id: Mapped[uuid.UUID] = mapped_column(index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[dt.datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_kind: Mapped[str | None] = mapped_column(String(64))
    error_text: Mapped[str | None] = mapped_column(Text, info=MACHINE_WRITTEN)
    scheduled_event_seq: Mapped[int | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[dt.datetime | None]


class Event(Base):
    """One line of the event log. ``seq`` orders it: timestamps can tie, sequence numbers can't."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    account: Mapped[Account] = relationship(lazy="selectin")  # its name is in every view
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    type: Mapped[EventType] = mapped_column(index=True)
    state: Mapped[EventState]
    level: Mapped[EventLevel]
    description: Mapped[str] = mapped_column(Text, info=MACHINE_WRITTEN)
    resource_kind: Mapped[ResourceKind | None]
    resource_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    parent_seq: Mapped[int | None]
    created_at: Mapped[created_column]


class Setting(Base):
    """Facts of this installation that must survive restarts (its id, bootstrap done)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
