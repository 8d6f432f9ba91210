"""Zones, hosts and flavors: what an installation offers and where guests can run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import events, filtering
from core.db.database import Database
from core.db.models import Account, DiskOffering, Flavor, Host, Zone
from core.enums import EventState, EventType, ResourceKind
from core.errors import Conflict, InvalidArgument, NotFound
from core.hosts.registry import HostDrivers
from core.predicates import Predicate
from core.services.lookup import identity_clause
from core.views import Caller, DiskOfferingView, FlavorView, HostView, ZoneView

# (name, vCPUs, memory MiB, root disk GiB): EC2 instance types, also CloudStack offerings.
DEFAULT_FLAVORS: Final = (
    ("t1.micro", 1, 613, 8),
    ("t2.nano", 1, 512, 8),
    ("t2.micro", 1, 1024, 8),
    ("t2.small", 1, 2048, 8),
    ("t2.medium", 2, 4096, 8),
    ("m1.small", 1, 1740, 20),
    ("m1.medium", 1, 3840, 40),
    ("m1.large", 2, 7680, 80),
)


# (name, GiB or None when the caller chooses): CloudStack disk offerings, CIMI configurations.
DEFAULT_DISK_OFFERINGS: Final = (
    ("Small", 5),
    ("Medium", 20),
    ("Large", 100),
    ("Custom", None),
)


def disk_offering_view(offering: DiskOffering) -> DiskOfferingView:
    return DiskOfferingView(
        offering.id,
        offering.ref,
        offering.name,
        offering.description,
        offering.size_gib,
        offering.created_at,
    )


def find_disk_offering(session: Session, text: str) -> DiskOffering:
    """By name, UUID or ref."""
    clause = identity_clause(DiskOffering, text)
    by_name = DiskOffering.name == text
    offering = session.scalar(
        select(DiskOffering).where(or_(by_name, clause) if clause is not None else by_name)
    )
    if offering is None:
        raise NotFound("disk-offering", text)
    return offering


def flavor_view(flavor: Flavor) -> FlavorView:
    return FlavorView(
        flavor.id,
        flavor.ref,
        flavor.name,
        flavor.vcpus,
        flavor.memory_mib,
        flavor.disk_gib,
        flavor.created_at,
    )


def host_view(host: Host, zone: Zone) -> HostView:
    return HostView(
        host.id,
        host.ref,
        host.uri,
        host.hostname,
        zone.name,
        zone.id,
        host.virt_type,
        host.cpus,
        host.memory_mib,
        host.disk_gib,
        host.enabled,
        host.created_at,
    )


def find_flavor(session: Session, text: str) -> Flavor:
    """By name (``t2.micro``), UUID or ref."""
    clause = identity_clause(Flavor, text)
    flavor = session.scalar(
        select(Flavor).where(
            or_(Flavor.name == text, clause) if clause is not None else Flavor.name == text
        )
    )
    if flavor is None:
        raise NotFound("flavor", text)
    return flavor


#: What ``list_flavors``'s ``where`` can name: every field of the view.
FLAVOR_FIELDS: Final = filtering.Fields(
    {
        name: getattr(Flavor, name)
        for name in ("id", "ref", "name", "vcpus", "memory_mib", "disk_gib", "created_at")
    }
)

DISK_OFFERING_FIELDS: Final = filtering.Fields(
    {
        name: getattr(DiskOffering, name)
        for name in ("id", "ref", "name", "description", "size_gib", "created_at")
    }
)


class CatalogService:
    def __init__(self, db: Database, drivers: HostDrivers) -> None:
        self._db = db
        self._drivers = drivers

    def ensure_zone(self, name: str, region: str) -> ZoneView:
        with self._db.transaction() as session:
            zone = session.scalar(select(Zone).where(Zone.name == name))
            if zone is None:
                zone = Zone(name=name, region=region)
                session.add(zone)
                session.flush()
            return ZoneView(zone.id, zone.ref, zone.name, zone.region)

    def get_zone(self, text: str) -> ZoneView:
        """A zone of this cloud, by name or id: what every API's zone parameter must name."""
        clause = identity_clause(Zone, text)
        with self._db.transaction() as session:
            zone = session.scalar(
                select(Zone).where(
                    or_(Zone.name == text, clause) if clause is not None else Zone.name == text
                )
            )
            if zone is None:
                raise NotFound("zone", text)
            return ZoneView(zone.id, zone.ref, zone.name, zone.region)

    def list_zones(self) -> list[ZoneView]:
        with self._db.transaction() as session:
            return [
                ZoneView(z.id, z.ref, z.name, z.region)
                for z in session.scalars(select(Zone).order_by(Zone.name))
            ]

    def ensure_flavors(self) -> None:
        with self._db.transaction() as session:
            existing = set(session.scalars(select(Flavor.name)))
            session.add_all(
                Flavor(name=name, vcpus=vcpus, memory_mib=memory, disk_gib=disk)
                for name, vcpus, memory, disk in DEFAULT_FLAVORS
                if name not in existing
            )

    def ensure_disk_offerings(self) -> None:
        with self._db.transaction() as session:
            existing = set(session.scalars(select(DiskOffering.name)))
            session.add_all(
                DiskOffering(
                    name=name,
                    size_gib=size,
                    description=f"{size} GiB" if size else "a size of your choice",
                )
                for name, size in DEFAULT_DISK_OFFERINGS
                if name not in existing
            )

    def list_disk_offerings(
        self, *, where: Predicate | None = None, order_by: Sequence[tuple[str, bool]] = ()
    ) -> list[DiskOfferingView]:
        """Every disk offering, or those ``where`` selects (in SQL), in the order of
        ``order_by`` and then smallest first, the one of the caller's size last."""
        statement = (
            select(DiskOffering)
            .where(*DISK_OFFERING_FIELDS.selecting(where))
            .order_by(
                *DISK_OFFERING_FIELDS.ordering(order_by),
                DiskOffering.size_gib.is_(None),
                DiskOffering.size_gib,
                DiskOffering.name,
            )
        )
        with self._db.transaction() as session:
            return [disk_offering_view(o) for o in session.scalars(statement)]

    def list_flavors(
        self, *, where: Predicate | None = None, order_by: Sequence[tuple[str, bool]] = ()
    ) -> list[FlavorView]:
        """Every flavor, or those ``where`` selects (in SQL), in the order of ``order_by``
        (see ``Fields.ordering``) and then smallest first."""
        statement = (
            select(Flavor)
            .where(*FLAVOR_FIELDS.selecting(where))
            .order_by(*FLAVOR_FIELDS.ordering(order_by), Flavor.vcpus, Flavor.memory_mib)
        )
        with self._db.transaction() as session:
            rows = session.scalars(statement)
            return [flavor_view(f) for f in rows]

    def create_flavor(
        self, caller: Caller, name: str, *, vcpus: int, memory_mib: int, disk_gib: int
    ) -> FlavorView:
        """A new instance type / service offering; only admins shape the catalog."""
        if not caller.is_admin:
            raise NotFound("flavor", name)  # as if the operation did not exist for the caller
        if not name or len(name) > 255:
            raise InvalidArgument("name", "1 to 255 characters")
        for field, value, low, high in (
            ("vcpus", vcpus, 1, 64),
            ("memory", memory_mib, 32, 1024 * 1024),
            ("disk", disk_gib, 1, 16 * 1024),
        ):
            if not low <= value <= high:
                raise InvalidArgument(field, f"must be between {low} and {high}")
        with self._db.transaction() as session:
            if session.scalar(select(Flavor).where(Flavor.name == name)) is not None:
                raise Conflict("flavor", name, "a flavor with this name exists")
            flavor = Flavor(name=name, vcpus=vcpus, memory_mib=memory_mib, disk_gib=disk_gib)
            session.add(flavor)
            session.flush()
            return flavor_view(flavor)

    def get_flavor(self, text: str) -> FlavorView:
        with self._db.transaction() as session:
            return flavor_view(find_flavor(session, text))

    def add_host(self, uri: str, zone_name: str) -> HostView:
        """Connect, probe KVM or TCG and measure capacity, then record the host."""
        with self._db.transaction() as session:
            if session.scalar(select(Host).where(Host.uri == uri)) is not None:
                raise Conflict("host", uri, "this libvirt URI is already registered")
        driver = self._drivers.open(uri)
        try:
            caps = driver.capabilities()
        finally:
            driver.close()
        with self._db.transaction() as session:
            zone = session.scalar(select(Zone).where(Zone.name == zone_name))
            if zone is None:
                raise NotFound("zone", zone_name)
            host = Host(
                zone=zone,
                uri=uri,
                hostname=caps.hostname,
                virt_type=caps.virt_type,
                cpus=caps.cpus,
                memory_mib=caps.memory_mib,
                disk_gib=caps.disk_gib,
            )
            session.add(host)
            session.flush()
            admin = session.scalar(
                select(Account.id).where(Account.is_admin).order_by(Account.created_at).limit(1)
            )
            if admin is None:
                raise NotFound("account", "admin")
            events.record(
                session,
                account_id=admin,
                user_id=None,
                type=EventType.HOST_ADD,
                state=EventState.CREATED,
                description=f"host {uri} added "
                f"({caps.virt_type.value}, {caps.cpus} CPUs, {caps.memory_mib} MiB)",
                resource=(ResourceKind.HOST, host.id),
            )
            return host_view(host, zone)

    def list_hosts(self, caller: Caller) -> list[HostView]:
        if not caller.is_admin:
            return []
        with self._db.transaction() as session:
            rows = session.execute(select(Host, Zone).join(Zone).order_by(Host.created_at))
            return [host_view(host, zone) for host, zone in rows]

    def has_host(self, text: str) -> bool:
        with self._db.transaction() as session:
            query = select(Host.id).where(or_(Host.uri == text, Host.hostname == text))
            return session.scalar(query) is not None
