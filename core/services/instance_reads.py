"""Reading instances: an ``InstanceQuery`` becomes one SQL statement, and its rows become full
views in a fixed number of statements however many there are.

Every API renders an instance with its interfaces, networks, groups, volumes and public
address; reading those per instance cost two statements an instance, and filtering after
rendering made a page of five cost as much as the whole listing. Here the filters and the
window are SQL, and each kind of related row is read once for the whole page.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Row, Select, and_, false, or_, select
from sqlalchemy.orm import Session, joinedload

from core import filtering, paging, tags
from core.db.models import (
    Account,
    Address,
    Flavor,
    Image,
    Instance,
    InstanceSecurityGroup,
    Network,
    Nic,
    SecurityGroup,
    Volume,
    Vpc,
    Zone,
)
from core.enums import NetworkState, ResourceKind, VolumeState, VolumeType
from core.errors import NotFound
from core.network import addressing
from core.services.lookup import contains_text, identity_clause, identity_clauses, zone_clause
from core.states import InstanceState
from core.views import (
    AddressRef,
    AttachedVolume,
    Caller,
    GroupRef,
    InstanceQuery,
    InstanceView,
    InterfaceQuery,
    InterfaceView,
    NicView,
    Page,
)


def scoped(caller: Caller) -> Select[Instance]:
    """The instances ``caller`` may see, with what every view needs from their own row."""
    statement = select(Instance).options(
        joinedload(Instance.account),
        joinedload(Instance.image).lazyload(Image.account),
        joinedload(Instance.flavor),
        joinedload(Instance.zone),
    )
    return (
        statement if caller.is_admin else statement.where(Instance.account_id == caller.account_id)
    )


def find(session: Session, caller: Caller, ref: str) -> Instance:
    """The instance ``ref`` (a ref or UUID) names, if ``caller`` may see it."""
    clause = identity_clause(Instance, ref)
    found = None if clause is None else session.scalars(scoped(caller).where(clause)).first()
    if found is None:
        raise NotFound("instance", ref)
    return found


def _ids_in(model: type[Image] | type[Network], texts: Sequence[str]) -> Select[uuid.UUID]:
    return select(model.id).where(identity_clauses(model, tuple(texts)))


def conditions(query: InstanceQuery) -> list[ColumnElement[bool]]:
    """The query's filters as SQL, AND-ed by the caller."""
    where: list[ColumnElement[bool]] = []
    if query.ids:
        where.append(identity_clauses(Instance, tuple(query.ids)))
    if query.states:
        where.append(Instance.state.in_(query.states))
    if not query.include_terminated:
        where.append(Instance.state != InstanceState.TERMINATED)
    if query.terminated_since is not None:
        where.append(
            or_(
                Instance.state != InstanceState.TERMINATED,
                Instance.terminated_at.is_(None),
                Instance.terminated_at >= query.terminated_since,
            )
        )
    if query.names:
        where.append(Instance.name.in_(query.names))
    if query.name_contains:
        where.append(contains_text(query.name_contains, Instance.name))
    where.extend(tags.selecting(Instance.id, query))
    if query.zones:
        where.append(zone_clause(Instance.zone_id, query.zones))
    if query.images:
        where.append(Instance.image_id.in_(_ids_in(Image, query.images)))
    if query.flavors:
        where.append(
            Instance.flavor_id.in_(
                select(Flavor.id).where(
                    or_(
                        Flavor.name.in_(query.flavors),
                        identity_clauses(Flavor, tuple(query.flavors)),
                    )
                )
            )
        )
    if query.networks:
        where.append(
            select(Nic.id)
            .where(
                Nic.instance_id == Instance.id,
                Nic.network_id.in_(_ids_in(Network, query.networks)),
            )
            .exists()
        )
    if query.key_names:
        where.append(Instance.key_name.in_(query.key_names))
    if query.reservations:
        where.append(Instance.reservation_ref.in_(query.reservations))
    if query.accounts:
        where.append(Instance.account_id.in_(query.accounts))
    if query.created_after is not None:
        where.append(Instance.created_at >= query.created_after)
    if query.created_before is not None:
        where.append(Instance.created_at < query.created_before)
    return where


def list_page(session: Session, caller: Caller, query: InstanceQuery) -> Page[InstanceView]:
    """One window of the instances ``query`` selects, with the total that match."""
    statement = _own_rows(caller).where(*conditions(query), *FIELDS.selecting(query.where))
    return paging.read_rows(
        session,
        FIELDS.ordered(statement, query),
        Instance,
        query.window,
        lambda shown: _views(session, shown),
    )


#: What ``InterfaceQuery.where`` can name: the interface's own columns and its instance's
#: (the listing joins it); interfaces carry no tags of their own.
INTERFACE_FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(Nic, name)
            for name in ("id", "ref", "created_at", "mac", "device_index", "network_id")
        },
        "ip": Nic.lease_ip,
        "instance_id": Instance.id,
        "instance_name": Instance.name,
        "instance_state": Instance.state,
        "account_id": Instance.account_id,
    }
)


def interface_page(session: Session, caller: Caller, query: InterfaceQuery) -> Page[InterfaceView]:
    """One window of the interfaces ``query`` selects, each with its instance's view, read
    for the whole page at once."""
    statement = (
        select(Nic)
        .join(Instance, Instance.id == Nic.instance_id)
        .where(Instance.terminated_at.is_(None), *INTERFACE_FIELDS.selecting(query.where))
    )
    if not caller.is_admin:
        statement = statement.where(Instance.account_id == caller.account_id)
    if query.ids:
        statement = statement.where(identity_clauses(Nic, tuple(query.ids)))
    if query.instances:
        statement = statement.where(identity_clauses(Instance, tuple(query.instances)))
    if query.networks:
        statement = statement.where(Nic.network_id.in_(_ids_in(Network, query.networks)))
    if query.macs:
        statement = statement.where(Nic.mac.in_(query.macs))
    if query.accounts:
        statement = statement.where(Instance.account_id.in_(query.accounts))

    def interfaces(shown: Sequence[Nic]) -> list[InterfaceView]:
        owners = {nic.instance_id for nic in shown}
        rows = session.execute(_own_rows(None).where(Instance.id.in_(owners))).all()
        instances = {view.id: view for view in _views(session, rows)}
        return [
            InterfaceView(nic.id, nic.ref, nic.created_at, instances[nic.instance_id])
            for nic in shown
        ]

    ordered = INTERFACE_FIELDS.ordered(statement, query)
    return paging.read_page(session, ordered, Nic, query.window, interfaces)


def views(session: Session, instances: Sequence[Instance]) -> list[InstanceView]:
    """Full views of ``instances`` (rows a caller has just read or changed), in their order.

    Their own rows are read again as columns, so that one code path builds every view; the
    caller has already found them, so that read is not scoped again."""
    if not instances:
        return []
    ids = [i.id for i in instances]
    statement = _own_rows(None).where(Instance.id.in_(ids))
    by_id = {row.id: row for row in session.execute(statement)}
    return _views(session, [by_id[i] for i in ids])


# The view's fields read from the instance's own row, by the same name.
_OWN: Final = (
    "id",
    "ref",
    "account_id",
    "name",
    "hostname",
    "state",
    "state_reason",
    "zone_id",
    "host_id",
    "image_id",
    "flavor_id",
    "key_name",
    "user_data",
    "reservation_ref",
    "launch_index",
    "client_token",
    "created_at",
    "launched_at",
    "terminated_at",
    "termination_protected",
    "stop_protected",
)


#: What ``InstanceQuery.where`` can name: the view's fields of the instance's own row and of
#: the rows ``_own_rows`` joins.
FIELDS: Final = filtering.Fields(
    {
        **{name: getattr(Instance, name) for name in _OWN if name != "user_data"},
        "account_name": Account.name,
        "zone_name": Zone.name,
        "image_ref": Image.ref,
        "image_name": Image.name,
        "flavor_name": Flavor.name,
        "vcpus": Flavor.vcpus,
        "memory_mib": Flavor.memory_mib,
        "disk_gib": Flavor.disk_gib,
    },
    filtering.Tagged(ResourceKind.INSTANCE, Instance.id),
)


def _own_rows(caller: Caller | None) -> Select[*tuple[Any, ...]]:
    """Each instance's own columns and what a view shows of its account, zone, image and
    flavor, as plain columns (see ``paging.read_rows``); only ``caller``'s, unless None
    or an admin."""
    statement = (
        select(
            *(getattr(Instance, name) for name in _OWN),
            Account.name.label("account_name"),
            Zone.name.label("zone_name"),
            Image.ref.label("image_ref"),
            Image.name.label("image_name"),
            Flavor.name.label("flavor_name"),
            Flavor.vcpus,
            Flavor.memory_mib,
            Flavor.disk_gib,
        )
        .join(Account, Account.id == Instance.account_id)
        .join(Zone, Zone.id == Instance.zone_id)
        .join(Image, Image.id == Instance.image_id)
        .join(Flavor, Flavor.id == Instance.flavor_id)
    )
    if caller is None or caller.is_admin:
        return statement
    return statement.where(Instance.account_id == caller.account_id)


@dataclass(frozen=True, slots=True)
class _Related:
    """Each kind of related row for a set of instances, read as plain columns in one
    statement per kind and turned into the view's parts once for the whole page."""

    nics: Mapping[uuid.UUID, list[NicView]]
    groups: Mapping[uuid.UUID, list[GroupRef]]
    volumes: Mapping[uuid.UUID, list[AttachedVolume]]
    addresses: Mapping[uuid.UUID, AddressRef]
    tags: Mapping[uuid.UUID, Mapping[str, str]]

    @classmethod
    def read(cls, session: Session, instances: Sequence[Row[Any]]) -> _Related:
        ids = [i.id for i in instances]
        return cls(
            nics=_nics(session, ids, {i.zone_id for i in instances}),
            groups=_groups(session, ids),
            volumes=_volumes(session, ids),
            addresses={
                a.instance_id: AddressRef(a.id, a.ref, a.ip)
                for a in session.execute(
                    select(Address.instance_id, Address.id, Address.ref, Address.ip).where(
                        Address.instance_id.in_(ids)
                    )
                )
            },
            tags=tags.of(session, ids),
        )


_Vpcs = dict[uuid.UUID, tuple[uuid.UUID, str]]


def _nics(
    session: Session, ids: Sequence[uuid.UUID], zones: set[uuid.UUID]
) -> dict[uuid.UUID, list[NicView]]:
    """Each instance's interfaces in device order, with their networks and VPCs (a network
    outside any VPC is in its zone's default one): two statements."""
    rows = session.execute(
        select(
            Nic.instance_id,
            Nic.id,
            Nic.mac,
            Nic.network_id,
            Nic.device_index,
            Nic.lease_ip,
            Nic.ip,
            Nic.ref,
            Network.name.label("network_name"),
            Network.ref.label("network_ref"),
            Network.cidr,
            Network.shared,
            Network.vpc_id,
            Network.zone_id,
        )
        .join(Network, Network.id == Nic.network_id)
        .where(Nic.instance_id.in_(ids))
        .order_by(Nic.device_index)
    ).all()
    vpcs, default_vpcs = _vpcs(session, {r.vpc_id for r in rows} - {None}, zones)
    gateways = {
        cidr: addressing.gateway_of(ipaddress.IPv4Network(cidr)) for cidr in {r.cidr for r in rows}
    }
    nics: dict[uuid.UUID, list[NicView]] = defaultdict(list)
    for row in rows:
        vpc = default_vpcs.get(row.zone_id) if row.vpc_id is None else vpcs.get(row.vpc_id)
        nics[row.instance_id].append(
            NicView(
                id=row.id,
                mac=row.mac,
                network_id=row.network_id,
                network_name=row.network_name,
                device_index=row.device_index,
                ip=row.lease_ip,
                reserved_ip=row.ip,
                ref=row.ref,
                network_ref=row.network_ref,
                cidr=row.cidr,
                gateway=gateways[row.cidr],
                shared=row.shared,
                vpc_id=vpc[0] if vpc else None,
                vpc_ref=vpc[1] if vpc else None,
            )
        )
    return nics


def _vpcs(session: Session, ids: set[uuid.UUID], zones: set[uuid.UUID]) -> tuple[_Vpcs, _Vpcs]:
    """(id, ref) of the VPCs ``ids`` names, by id, and of each zone's default VPC, by zone."""
    by_id: _Vpcs = {}
    by_zone: _Vpcs = {}
    for vpc in session.execute(
        select(Vpc.id, Vpc.ref, Vpc.zone_id, Vpc.is_default).where(
            or_(
                Vpc.id.in_(ids) if ids else false(),
                and_(
                    Vpc.is_default.is_(True),
                    Vpc.zone_id.in_(zones),
                    Vpc.state != NetworkState.DELETED,
                ),
            )
        )
    ):
        by_id[vpc.id] = (vpc.id, vpc.ref)
        if vpc.is_default:
            by_zone[vpc.zone_id] = (vpc.id, vpc.ref)
    return by_id, by_zone


def _groups(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[GroupRef]]:
    groups: dict[uuid.UUID, list[GroupRef]] = defaultdict(list)
    for row in session.execute(
        select(
            InstanceSecurityGroup.instance_id,
            SecurityGroup.id,
            SecurityGroup.ref,
            SecurityGroup.name,
            SecurityGroup.description,
        )
        .join(SecurityGroup, SecurityGroup.id == InstanceSecurityGroup.group_id)
        .where(InstanceSecurityGroup.instance_id.in_(ids))
        .order_by(SecurityGroup.name)
    ):
        groups[row.instance_id].append(GroupRef(row.id, row.ref, row.name, row.description))
    return groups


def _volumes(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[AttachedVolume]]:
    """Each instance's volumes that are not deleted: the root first, then by device."""
    volumes: dict[uuid.UUID, list[AttachedVolume]] = defaultdict(list)
    for row in session.execute(
        select(
            Volume.instance_id,
            Volume.id,
            Volume.ref,
            Volume.volume_type,
            Volume.state,
            Volume.device,
            Volume.attached_at,
        ).where(Volume.instance_id.in_(ids), Volume.state != VolumeState.DELETED)
    ):
        volumes[row.instance_id].append(
            AttachedVolume(row.id, row.ref, row.volume_type, row.state, row.device, row.attached_at)
        )
    for attached in volumes.values():
        attached.sort(key=lambda v: (v.volume_type is not VolumeType.ROOT, v.device or ""))
    return volumes


def _view(row: Row[Any], related: _Related) -> InstanceView:
    """The row's columns are named as the view's fields (``_own_rows``)."""
    instance_id = row.id
    return InstanceView(
        **row._asdict(),
        tags=related.tags.get(instance_id, {}),
        nics=related.nics.get(instance_id, []),
        groups=related.groups.get(instance_id, []),
        volumes=related.volumes.get(instance_id, []),
        address=related.addresses.get(instance_id),
    )


def _views(session: Session, rows: Sequence[Row[Any]]) -> list[InstanceView]:
    if not rows:
        return []
    related = _Related.read(session, rows)
    return [_view(row, related) for row in rows]
