"""Networks and public addresses.

A network is a row first and a libvirt network (bridge + dnsmasq) on a host once an instance
there needs it, as CloudStack implements a network on first use. Every network is isolated: no
NAT, no route out. Each NIC gets a MAC and a DHCP reservation; the address APIs report is the
one the DHCP server has leased, read back from libvirt.

Public addresses are model only on these hosts: allocation, association and release are
recorded and shown by every API, but nothing routes or translates them.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core import events, filtering, ids, paging, tags
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Account, Address, Instance, Network, Nic, Vpc, Zone
from core.enums import EventState, EventType, JobKind, NetworkState, ResourceKind, Settle
from core.errors import Conflict, InUse, InvalidArgument, InvalidState, NotFound
from core.jobs import queue, settling
from core.network import addressing
from core.services.lookup import (
    chosen_id,
    contains_text,
    identity_clause,
    identity_clauses,
    zone_clause,
)
from core.settings import CoreSettings
from core.states import NETWORKS, VPCS, InstanceState, NetworkTransition
from core.views import (
    Accepted,
    AddressQuery,
    AddressView,
    Caller,
    NetworkQuery,
    NetworkView,
    Page,
    VpcQuery,
    VpcView,
)

DEFAULT_NETWORK: Final = "default"
VPC_PREFIXES: Final = (16, 28)  # EC2's range of VPC sizes
SUBNET_PREFIX: Final = 24


def network_view(
    network: Network, network_tags: Mapping[str, str], addresses_in_use: int, vpc_ref: str | None
) -> NetworkView:
    return NetworkView(
        id=network.id,
        ref=network.ref,
        account_id=network.account_id,
        account_name=network.account.name,
        name=network.name,
        description=network.description,
        cidr=network.cidr,
        gateway=addressing.gateway_of(ipaddress.IPv4Network(network.cidr)),
        is_default=network.is_default,
        shared=network.shared,
        state=network.state,
        zone_name=network.zone.name,
        zone_id=network.zone_id,
        tags=dict(network_tags),
        created_at=network.created_at,
        vpc_id=network.vpc_id,
        addresses_in_use=addresses_in_use,
        vpc_ref=vpc_ref,
    )


def vpc_view(vpc: Vpc, vpc_tags: Mapping[str, str]) -> VpcView:
    return VpcView(
        id=vpc.id,
        ref=vpc.ref,
        account_id=vpc.account_id,
        cidr=vpc.cidr,
        is_default=vpc.is_default,
        state=vpc.state,
        zone_name=vpc.zone.name,
        tags=dict(vpc_tags),
        created_at=vpc.created_at,
    )


def default_vpc(session: Session, zone: Zone, settings: CoreSettings) -> Vpc:
    """The zone's shared default VPC, spanning the network supernet, made on first use."""
    found = session.scalar(
        select(Vpc).where(
            Vpc.zone_id == zone.id, Vpc.is_default.is_(True), Vpc.state != NetworkState.DELETED
        )
    )
    if found is not None:
        return found
    owner = _cloud_owner(session)
    vpc = Vpc(
        account_id=owner,
        zone=zone,
        cidr=str(ipaddress.IPv4Network(settings.network_supernet)),
        is_default=True,
        state=NetworkState.AVAILABLE,
    )
    session.add(vpc)
    session.flush()
    return vpc


def find_vpc(session: Session, caller: Caller, text: str, *, lock: bool = False) -> Vpc:
    """A live VPC the caller owns, or the shared default one."""
    clause = identity_clause(Vpc, text)
    statement = (
        select(Vpc)
        .options(joinedload(Vpc.zone))
        .where(clause if clause is not None else false(), Vpc.state != NetworkState.DELETED)
    )
    if not caller.is_admin:
        statement = statement.where((Vpc.account_id == caller.account_id) | Vpc.is_default)
    if lock:
        statement = statement.with_for_update(of=Vpc)
    found = session.scalars(statement).first()
    if found is None:
        raise NotFound("vpc", text)
    return found


def _live_networks() -> Select[Network]:
    return select(Network).where(Network.state != NetworkState.DELETED)


def _free_cidr(session: Session, settings: CoreSettings) -> ipaddress.IPv4Network:
    """A /24 of the supernet used by no network of ours and no interface of this machine
    (libvirt refuses a network whose subnet is already on an interface)."""
    used = [ipaddress.IPv4Network(c) for c in session.scalars(select(Network.cidr))]
    return addressing.free_subnet(
        ipaddress.IPv4Network(settings.network_supernet),
        SUBNET_PREFIX,
        used,
        addressing.host_networks(),
    )


def _addresses_in_use(session: Session, network_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(Nic.network_id, func.count())
        .where(Nic.network_id.in_(network_ids), Nic.released.is_(False))
        .group_by(Nic.network_id)
    ).all()
    return {network_id: count for network_id, count in rows}


def _cloud_owner(session: Session) -> uuid.UUID:
    """Who owns what the cloud itself provides (default networks and VPCs): the first admin."""
    owner = session.scalar(select(Account.id).where(Account.is_admin).order_by(Account.created_at))
    if owner is None:
        raise NotFound("account", "admin")
    return owner


def default_network(session: Session, zone: Zone, settings: CoreSettings) -> Network:
    """The zone's shared default network, made on first use with the default VPC it lies in
    (so every network outside a VPC of its own shows that VPC)."""
    found = session.scalar(
        _live_networks().where(Network.zone_id == zone.id, Network.is_default.is_(True))
    )
    if found is not None:
        return found
    default_vpc(session, zone, settings)
    owner = _cloud_owner(session)
    network = Network(
        account_id=owner,
        zone=zone,
        name=DEFAULT_NETWORK,
        description=f"default network of {zone.name}",
        cidr=str(_free_cidr(session, settings)),
        is_default=True,
        shared=True,
        state=NetworkState.AVAILABLE,
    )
    session.add(network)
    session.flush()
    return network


def _visible(caller: Caller) -> Select[Network]:
    query = _live_networks().options(joinedload(Network.zone))
    if caller.is_admin:
        return query
    return query.where((Network.account_id == caller.account_id) | Network.shared.is_(True))


#: What ``NetworkQuery.where`` can name: the view's fields but the gateway (worked out from
#: the CIDR in Python), those of other rows by correlated subqueries. ``vpc_ref`` is the
#: network's own VPC's, or its zone's default VPC's for a network outside any, as shown.
NETWORK_FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(Network, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "name",
                "description",
                "cidr",
                "is_default",
                "shared",
                "state",
                "zone_id",
                "created_at",
                "vpc_id",
            )
        },
        "account_name": filtering.scalar(Account.name, Account.id == Network.account_id),
        "zone_name": filtering.scalar(Zone.name, Zone.id == Network.zone_id),
        "addresses_in_use": select(func.count(Nic.id))
        .where(Nic.network_id == Network.id, Nic.released.is_(False))
        .scalar_subquery(),
        "vpc_ref": case(
            (
                Network.vpc_id.is_(None),
                select(Vpc.ref)
                .where(
                    Vpc.is_default.is_(True),
                    Vpc.zone_id == Network.zone_id,
                    Vpc.state != NetworkState.DELETED,
                )
                .limit(1)
                .scalar_subquery(),
            ),
            else_=filtering.scalar(Vpc.ref, Vpc.id == Network.vpc_id),
        ),
    },
    filtering.Tagged(ResourceKind.NETWORK, Network.id),
)


#: What ``AddressQuery.where`` can name: the view's fields but the bound instance's
#: interface, those of other rows by correlated subqueries.
ADDRESS_FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(Address, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "ip",
                "zone_id",
                "instance_id",
                "created_at",
                "associated_at",
            )
        },
        "account_name": filtering.scalar(Account.name, Account.id == Address.account_id),
        "zone_name": filtering.scalar(Zone.name, Zone.id == Address.zone_id),
        "instance_ref": filtering.scalar(Instance.ref, Instance.id == Address.instance_id),
        "instance_name": filtering.scalar(Instance.name, Instance.id == Address.instance_id),
    },
    filtering.Tagged(ResourceKind.ADDRESS, Address.id),
)


def find_network(session: Session, caller: Caller, text: str, *, lock: bool = False) -> Network:
    clause = identity_clause(Network, text)
    statement = _visible(caller).where(clause if clause is not None else Network.name == text)
    if lock:
        statement = statement.with_for_update(of=Network)
    rows = session.scalars(statement).unique().all()
    if not rows:
        raise NotFound("network", text)
    own = [n for n in rows if n.account_id == caller.account_id]
    return (own or rows)[0]


def new_nic(session: Session, instance: Instance, network: Network, index: int = 0) -> Nic:
    """A NIC with a fresh MAC and the lowest free address of the network reserved for it."""
    macs = set(session.scalars(select(Nic.mac)))
    taken = set(
        session.scalars(select(Nic.ip).where(Nic.network_id == network.id, Nic.released.is_(False)))
    )
    nic = Nic(
        ref=ids.new_ref(),
        instance_id=instance.id,
        network=network,
        device_index=index,
        mac=addressing.new_mac(macs),
        ip=addressing.allocate_ip(ipaddress.IPv4Network(network.cidr), taken),
    )
    session.add(nic)
    return nic


def _address_view(address: Address, address_tags: Mapping[str, str]) -> AddressView:
    private = nic = None
    if address.instance is not None:
        nics = address.instance.nics
        private = next((n.lease_ip for n in nics if not n.released and n.lease_ip), None)
        nic = nics[0].ref if nics else None
    return AddressView(
        id=address.id,
        ref=address.ref,
        account_id=address.account_id,
        account_name=address.account.name,
        ip=address.ip,
        zone_name=address.zone.name,
        zone_id=address.zone_id,
        instance_id=address.instance_id,
        instance_ref=address.instance.ref if address.instance else None,
        private_ip=private,
        tags=dict(address_tags),
        created_at=address.created_at,
        associated_at=address.associated_at,
        nic_ref=nic,
        instance_name=address.instance.name if address.instance else None,
    )


def _vpc_refs(session: Session, networks: Sequence[Network]) -> dict[uuid.UUID, str]:
    """Each network's VPC ref, the zone's default VPC's for networks outside any: one
    statement for all of them."""
    own = {n.vpc_id for n in networks} - {None}
    zones = {n.zone_id for n in networks if n.vpc_id is None}
    rows = session.execute(
        select(Vpc.id, Vpc.ref, Vpc.zone_id, Vpc.is_default).where(
            or_(
                Vpc.id.in_(own),
                and_(
                    Vpc.is_default.is_(True),
                    Vpc.zone_id.in_(zones),
                    Vpc.state != NetworkState.DELETED,
                ),
            )
        )
    ).all()
    by_id = {row.id: row.ref for row in rows}
    by_zone = {row.zone_id: row.ref for row in rows if row.is_default}
    found = {n.id: by_id.get(n.vpc_id) if n.vpc_id else by_zone.get(n.zone_id) for n in networks}
    return {network_id: ref for network_id, ref in found.items() if ref is not None}


def _network_views(session: Session, networks: Sequence[Network]) -> list[NetworkView]:
    """Full views of ``networks``: their tags, addresses in use and VPCs are read once for
    all of them."""
    if not networks:
        return []
    ids = [n.id for n in networks]
    found = tags.of(session, ids)
    in_use = _addresses_in_use(session, ids)
    vpcs = _vpc_refs(session, networks)
    return [
        network_view(n, found.get(n.id, {}), in_use.get(n.id, 0), vpcs.get(n.id)) for n in networks
    ]


def _in_vpcs(vpcs: Sequence[str]) -> ColumnElement[bool]:
    """The network lies in one of ``vpcs``: its own, or the default one of its zone."""
    named = select(Vpc.id).where(identity_clauses(Vpc, tuple(vpcs)))
    default_zones = select(Vpc.zone_id).where(
        identity_clauses(Vpc, tuple(vpcs)), Vpc.is_default.is_(True)
    )
    return or_(
        Network.vpc_id.in_(named),
        and_(Network.vpc_id.is_(None), Network.zone_id.in_(default_zones)),
    )


def _common_conditions(
    model: type[Network] | type[Vpc] | type[Address],
    query: NetworkQuery | VpcQuery | AddressQuery,
) -> list[ColumnElement[bool]]:
    """Zone, tags and owners, alike for networks, VPCs and addresses."""
    where: list[ColumnElement[bool]] = []
    if query.zones:
        where.append(zone_clause(model.zone_id, query.zones))
    where.extend(tags.selecting(model.id, query))
    if query.accounts:
        where.append(model.account_id.in_(query.accounts))
    return where


def _network_conditions(query: NetworkQuery) -> list[ColumnElement[bool]]:
    where = _common_conditions(Network, query)
    if query.ids:
        where.append(identity_clauses(Network, tuple(query.ids)))
    if query.names:
        where.append(Network.name.in_(query.names))
    if query.text_contains:
        where.append(contains_text(query.text_contains, Network.name, Network.description))
    if query.states:
        where.append(Network.state.in_(query.states))
    if query.vpcs:
        where.append(_in_vpcs(query.vpcs))
    if query.cidrs:
        where.append(Network.cidr.in_(query.cidrs))
    if query.shared is not None:
        where.append(Network.shared.is_(query.shared))
    if query.is_default is not None:
        where.append(Network.is_default.is_(query.is_default))
    return where


def _vpc_conditions(query: VpcQuery) -> list[ColumnElement[bool]]:
    where = _common_conditions(Vpc, query)
    if query.ids:
        where.append(identity_clauses(Vpc, tuple(query.ids)))
    if query.states:
        where.append(Vpc.state.in_(query.states))
    if query.cidrs:
        where.append(Vpc.cidr.in_(query.cidrs))
    if query.is_default is not None:
        where.append(Vpc.is_default.is_(query.is_default))
    return where


def _address_conditions(query: AddressQuery) -> list[ColumnElement[bool]]:
    where = _common_conditions(Address, query)
    if query.ids:  # like every address lookup: by UUID, ref or the address itself
        where.append(or_(identity_clauses(Address, tuple(query.ids)), Address.ip.in_(query.ids)))
    if query.ips:
        where.append(Address.ip.in_(query.ips))
    if query.associated is not None:
        bound = Address.instance_id.is_not(None)
        where.append(bound if query.associated else ~bound)
    if query.instances:
        named = select(Instance.id).where(identity_clauses(Instance, tuple(query.instances)))
        where.append(Address.instance_id.in_(named))
    if query.networks:
        on_networks = select(Nic.instance_id).where(
            Nic.released.is_(False),
            Nic.network_id.in_(
                select(Network.id).where(identity_clauses(Network, tuple(query.networks)))
            ),
        )
        where.append(Address.instance_id.in_(on_networks))
    return where


class NetworkService:
    def __init__(
        self, db: Database, settings: CoreSettings, wake_workers: Callable[[], None]
    ) -> None:
        self._db = db
        self._settings = settings
        self._wake = wake_workers

    def _zone(self, session: Session) -> Zone:
        zone = session.scalar(select(Zone).where(Zone.name == self._settings.zone))
        if zone is None:
            raise NotFound("zone", self._settings.zone)
        return zone

    # networks

    def create_network(
        self,
        caller: Caller,
        name: str,
        *,
        cidr: str | None = None,
        description: str = "",
        network_tags: Mapping[str, str] | None = None,
        vpc: str | None = None,
        network_id: uuid.UUID | None = None,
    ) -> NetworkView:
        """A network of the zone, in ``vpc`` (its CIDR must lie inside the VPC's) or, without
        one, in the default VPC with a free /24 of the supernet when no CIDR is given."""
        wanted = dict(network_tags or {})
        tags.validate(wanted)
        if not 1 <= len(name) <= 255:
            raise InvalidArgument("name", "1-255 characters")
        block = None if cidr is None else addressing.parse_cidr(cidr)
        with self._db.transaction() as session:
            zone = self._zone(session)
            default_network(session, zone, self._settings)
            parent = None if vpc is None else find_vpc(session, caller, vpc)
            if parent is not None and parent.is_default:
                parent = None
            if parent is not None:
                if block is None:
                    raise InvalidArgument("cidr", "a network in a VPC of its own needs a CIDR")
                if not block.subnet_of(ipaddress.IPv4Network(parent.cidr)):
                    raise InvalidArgument("cidr", f"{block} is not inside the VPC's {parent.cidr}")
            if block is None:
                block = _free_cidr(session, self._settings)
            for other in session.scalars(_live_networks().where(Network.zone_id == zone.id)):
                if ipaddress.IPv4Network(other.cidr).overlaps(block):
                    raise Conflict("network", str(block), f"overlaps network {other.name}")
            for taken in addressing.host_networks():
                if taken.overlaps(block):
                    raise Conflict("network", str(block), f"overlaps {taken} on the host")
            network = Network(
                id=chosen_id(session, Network, network_id),
                account_id=caller.account_id,
                zone=zone,
                vpc_id=None if parent is None else parent.id,
                name=name,
                description=description,
                cidr=str(block),
                state=NetworkState.AVAILABLE,
            )
            session.add(network)
            session.flush()
            tags.add(session, caller.account_id, ResourceKind.NETWORK, network.id, wanted)
            events.record(
                session,
                account_id=caller.account_id,
                user_id=caller.user_id,
                type=EventType.NETWORK_CREATE,
                state=EventState.COMPLETED,
                description=f"network {name} ({block}) created",
                resource=(ResourceKind.NETWORK, network.id),
            )
            return _network_views(session, [network])[0]

    def delete_network(
        self, caller: Caller, ref: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[NetworkView]:
        return settling.settle_on(
            self._db,
            caller,
            settle,
            lambda: self._delete_network(caller, ref),
            kind=JobKind.DELETE_NETWORK,
            event=EventType.NETWORK_DELETE,
            resource=ResourceKind.NETWORK,
            read=lambda: self.get_network(caller, ref),
            text=lambda found: f"deleting network {found.name}",
        )

    def _delete_network(self, caller: Caller, ref: str) -> Accepted[NetworkView]:
        with self._db.transaction() as session:
            network = find_network(session, caller, ref, lock=True)
            if network.is_default:
                raise InvalidState("network", network.ref, "default", "delete")
            if network.account_id != caller.account_id and not caller.is_admin:
                raise NotFound("network", ref)
            in_use = session.scalar(
                select(func.count())
                .select_from(Nic)
                .where(Nic.network_id == network.id, Nic.released.is_(False))
            )
            if in_use:
                raise InUse("network", network.ref, "is in use by instances")
            network.state = NETWORKS.next_state(
                network.state, NetworkTransition.DELETE, ref=network.ref
            )
            job = queue.enqueue(
                session,
                caller,
                kind=JobKind.DELETE_NETWORK,
                resource=(ResourceKind.NETWORK, network.id),
                account_id=network.account_id,
                event_type=EventType.NETWORK_DELETE,
                description=f"deleting network {network.name}",
            )
            accepted = Accepted(_network_views(session, [network])[0], job.id)
        self._wake()
        return accepted

    def get_network(self, caller: Caller, ref: str) -> NetworkView:
        with self._db.transaction() as session:
            default_network(session, self._zone(session), self._settings)
            return _network_views(session, [find_network(session, caller, ref)])[0]

    def list_networks(self, caller: Caller, query: NetworkQuery) -> Page[NetworkView]:
        """The live networks ``query`` selects, filtered and windowed in SQL (the zone's
        default network is made on first use, so it is always among them)."""
        statement = _visible(caller).where(
            *_network_conditions(query), *NETWORK_FIELDS.selecting(query.where)
        )
        with self._db.transaction() as session:
            default_network(session, self._zone(session), self._settings)
            return paging.read_page(
                session,
                NETWORK_FIELDS.ordered(statement, query),
                Network,
                query.window,
                lambda shown: _network_views(session, shown),
            )

    # VPCs

    def create_vpc(
        self, caller: Caller, cidr: str, vpc_tags: Mapping[str, str] | None = None
    ) -> VpcView:
        """An address space of the caller's own; networks are then made inside it."""
        wanted = dict(vpc_tags or {})
        tags.validate(wanted)
        block = addressing.parse_cidr(cidr)
        if not VPC_PREFIXES[0] <= block.prefixlen <= VPC_PREFIXES[1]:
            raise InvalidArgument("cidr", f"a /{VPC_PREFIXES[0]} to /{VPC_PREFIXES[1]} block")
        with self._db.transaction() as session:
            zone = self._zone(session)
            default_vpc(session, zone, self._settings)
            vpc = Vpc(
                account_id=caller.account_id,
                zone=zone,
                cidr=str(block),
                state=NetworkState.AVAILABLE,
            )
            session.add(vpc)
            session.flush()
            tags.add(session, caller.account_id, ResourceKind.VPC, vpc.id, wanted)
            events.record(
                session,
                account_id=caller.account_id,
                user_id=caller.user_id,
                type=EventType.VPC_CREATE,
                state=EventState.COMPLETED,
                description=f"vpc vpc-{vpc.ref} ({block}) created",
                resource=(ResourceKind.VPC, vpc.id),
            )
            return vpc_view(vpc, wanted)

    def delete_vpc(self, caller: Caller, ref: str) -> None:
        """Refused for the default VPC and while a network is still inside."""
        with self._db.transaction() as session:
            vpc = find_vpc(session, caller, ref, lock=True)
            if vpc.is_default:
                raise InvalidState("vpc", vpc.ref, "default", "delete")
            if vpc.account_id != caller.account_id and not caller.is_admin:
                raise NotFound("vpc", ref)
            if session.scalar(_live_networks().where(Network.vpc_id == vpc.id)) is not None:
                raise InUse("vpc", vpc.ref, "still has networks")
            vpc.state = VPCS.next_state(vpc.state, NetworkTransition.DELETE, ref=vpc.ref)
            vpc.deleted_at = utcnow()
            tags.remove_all(session, vpc.id)
            events.record(
                session,
                account_id=vpc.account_id,
                user_id=caller.user_id,
                type=EventType.VPC_DELETE,
                state=EventState.COMPLETED,
                description=f"vpc vpc-{vpc.ref} deleted",
                resource=(ResourceKind.VPC, vpc.id),
            )

    def list_vpcs(self, caller: Caller, query: VpcQuery) -> Page[VpcView]:
        """The live VPCs ``query`` selects (the caller's and the zone's default one, made on
        first use), filtered and windowed in SQL."""
        statement = (
            select(Vpc)
            .options(joinedload(Vpc.zone))
            .where(Vpc.state != NetworkState.DELETED, *_vpc_conditions(query))
        )
        if not caller.is_admin:
            statement = statement.where((Vpc.account_id == caller.account_id) | Vpc.is_default)
        with self._db.transaction() as session:
            default_vpc(session, self._zone(session), self._settings)

            def views(shown: Sequence[Vpc]) -> list[VpcView]:
                found = tags.of(session, [v.id for v in shown])
                return [vpc_view(v, found.get(v.id, {})) for v in shown]

            return paging.read_page(session, statement, Vpc, query.window, views)

    # public addresses

    def _address(self, session: Session, caller: Caller, ref: str, *, lock: bool = True) -> Address:
        """By UUID, ref or the address itself."""
        clause = identity_clause(Address, ref)
        statement = select(Address).options(joinedload(Address.zone))
        statement = statement.where(clause if clause is not None else Address.ip == ref)
        if not caller.is_admin:
            statement = statement.where(Address.account_id == caller.account_id)
        if lock:
            statement = statement.with_for_update(of=Address)
        found = session.scalars(statement).first()
        if found is None:
            raise NotFound("address", ref)
        return found

    def _address_event(
        self, session: Session, caller: Caller, address: Address, kind: EventType, text: str
    ) -> None:
        events.record(
            session,
            account_id=address.account_id,
            user_id=caller.user_id,
            type=kind,
            state=EventState.COMPLETED,
            description=text,
            resource=(ResourceKind.ADDRESS, address.id),
        )

    def _address_settled(
        self,
        caller: Caller,
        ref: str,
        how: Settle,
        run: Callable[[], AddressView],
        kind: JobKind,
        event: EventType,
        verb: str,
    ) -> Accepted[AddressView]:
        """An address action, done within the call; settled as a job, the job is over."""
        return settling.settle_on(
            self._db,
            caller,
            how,
            lambda: Accepted(run(), None),
            kind=kind,
            event=event,
            resource=ResourceKind.ADDRESS,
            read=lambda: self.get_address(caller, ref),
            text=lambda found: f"address {found.ip} {verb}",
            done_at_once=True,
        )

    def allocate_address(
        self,
        caller: Caller,
        address_tags: Mapping[str, str] | None = None,
        *,
        settle: Settle = Settle.RAISE,
    ) -> Accepted[AddressView]:
        return self._address_settled(
            caller,
            "",
            settle,
            lambda: self._allocate(caller, address_tags),
            JobKind.ALLOCATE_ADDRESS,
            EventType.NET_IP_ASSIGN,
            "allocated",
        )

    def _allocate(self, caller: Caller, address_tags: Mapping[str, str] | None) -> AddressView:
        wanted = dict(address_tags or {})
        tags.validate(wanted)
        with self._db.transaction() as session:
            zone = self._zone(session)
            taken = set(session.scalars(select(Address.ip)))
            ip = addressing.allocate_public_ip(
                ipaddress.IPv4Network(self._settings.public_pool), taken
            )
            address = Address(account_id=caller.account_id, zone=zone, ip=ip)
            session.add(address)
            session.flush()
            tags.add(session, caller.account_id, ResourceKind.ADDRESS, address.id, wanted)
            self._address_event(
                session, caller, address, EventType.NET_IP_ASSIGN, f"address {ip} allocated"
            )
            return _address_view(address, wanted)

    def associate_address(self, caller: Caller, ref: str, instance_ref: str) -> AddressView:
        with self._db.transaction() as session:
            address = self._address(session, caller, ref)
            clause = identity_clause(Instance, instance_ref)
            instance = (
                None
                if clause is None
                else session.scalar(
                    select(Instance).where(clause, Instance.account_id == address.account_id)
                )
            )
            if instance is None:
                raise NotFound("instance", instance_ref)
            if instance.state in (InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN):
                raise InvalidState("instance", instance.ref, instance.state.value, "associate")
            holder = session.scalar(select(Address).where(Address.instance_id == instance.id))
            if holder is not None and holder.id != address.id:
                raise Conflict("instance", instance.ref, f"already has address {holder.ip}")
            address.instance = instance
            address.associated_at = utcnow()
            self._address_event(
                session,
                caller,
                address,
                EventType.STATIC_NAT_ENABLE,
                f"address {address.ip} associated with instance {instance.name}",
            )
            return _address_view(address, tags.of(session, [address.id]).get(address.id, {}))

    def disassociate_address(
        self, caller: Caller, ref: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[AddressView]:
        return self._address_settled(
            caller,
            ref,
            settle,
            lambda: self._disassociate(caller, ref),
            JobKind.DISASSOCIATE_ADDRESS,
            EventType.STATIC_NAT_DISABLE,
            "disassociated",
        )

    def _disassociate(self, caller: Caller, ref: str) -> AddressView:
        with self._db.transaction() as session:
            address = self._address(session, caller, ref)
            if address.instance_id is None:
                raise InvalidState("address", address.ref, "unassociated", "disassociate")
            address.instance_id = None
            address.associated_at = None
            self._address_event(
                session,
                caller,
                address,
                EventType.STATIC_NAT_DISABLE,
                f"address {address.ip} disassociated",
            )
            session.flush()
            session.refresh(address)
            return _address_view(address, tags.of(session, [address.id]).get(address.id, {}))

    def release_address(
        self, caller: Caller, ref: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[AddressView]:
        """Back to the pool; the answer is the address as it was."""
        return self._address_settled(
            caller,
            ref,
            settle,
            lambda: self._release(caller, ref),
            JobKind.RELEASE_ADDRESS,
            EventType.NET_IP_RELEASE,
            "released",
        )

    def _release(self, caller: Caller, ref: str) -> AddressView:
        with self._db.transaction() as session:
            address = self._address(session, caller, ref)
            if address.instance_id is not None:
                raise InUse("address", address.ip, "is associated with an instance")
            self._address_event(
                session, caller, address, EventType.NET_IP_RELEASE, f"address {address.ip} released"
            )
            released = _address_view(address, tags.of(session, [address.id]).get(address.id, {}))
            tags.remove_all(session, address.id)
            session.delete(address)
            return released

    def get_address(self, caller: Caller, ref: str) -> AddressView:
        with self._db.transaction() as session:
            address = self._address(session, caller, ref, lock=False)
            return _address_view(address, tags.of(session, [address.id]).get(address.id, {}))

    def list_addresses(self, caller: Caller, query: AddressQuery) -> Page[AddressView]:
        """The addresses ``query`` selects, filtered and windowed in SQL, in allocation
        order; each page reads its instances and their interfaces once."""
        statement = (
            select(Address)
            .options(
                joinedload(Address.zone),
                selectinload(Address.instance).selectinload(Instance.nics),
            )
            .where(*_address_conditions(query), *ADDRESS_FIELDS.selecting(query.where))
        )
        if not caller.is_admin:
            statement = statement.where(Address.account_id == caller.account_id)
        with self._db.transaction() as session:

            def views(shown: Sequence[Address]) -> list[AddressView]:
                found = tags.of(session, [a.id for a in shown])
                return [_address_view(a, found.get(a.id, {})) for a in shown]

            ordered = ADDRESS_FIELDS.ordered(statement, query)
            return paging.read_page(session, ordered, Address, query.window, views)
