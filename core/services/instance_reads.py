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

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload

from core import paging, tags
from core.db.models import (
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
)
from core.enums import NetworkState, VolumeState, VolumeType
from core.errors import NotFound
from core.network import addressing
from core.services.lookup import identity_clause, identity_clauses, zone_clause
from core.states import InstanceState
from core.views import (
    AddressRef,
    AttachedVolume,
    Caller,
    GroupRef,
    InstanceQuery,
    InstanceView,
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
        where.append(
            func.lower(Instance.name).contains(query.name_contains.lower(), autoescape=True)
        )
    where.extend(tags.filter_clauses(Instance.id, query.tags))
    if query.tag_keys:
        where.append(tags.having(Instance.id, keys=query.tag_keys))
    if query.tag_values:
        where.append(tags.having(Instance.id, values=query.tag_values))
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
    statement = scoped(caller).where(*conditions(query))
    return paging.read_page(
        session, statement, Instance, query.window, lambda shown: views(session, shown)
    )


@dataclass(frozen=True, slots=True)
class _Related:
    """Each kind of related row for a set of instances, read in one statement per kind."""

    nics: Mapping[uuid.UUID, list[Nic]]
    vpcs: Mapping[uuid.UUID, Vpc]
    default_vpcs: Mapping[uuid.UUID, Vpc]  # by zone
    groups: Mapping[uuid.UUID, list[SecurityGroup]]
    volumes: Mapping[uuid.UUID, list[Volume]]
    addresses: Mapping[uuid.UUID, Address]
    tags: Mapping[uuid.UUID, Mapping[str, str]]

    @classmethod
    def read(cls, session: Session, instances: Sequence[Instance]) -> _Related:
        ids = [i.id for i in instances]
        nics: dict[uuid.UUID, list[Nic]] = defaultdict(list)
        for nic in session.scalars(
            select(Nic)
            .options(joinedload(Nic.network).lazyload(Network.account))
            .where(Nic.instance_id.in_(ids))
            .order_by(Nic.device_index)
        ):
            nics[nic.instance_id].append(nic)
        vpc_ids = {n.network.vpc_id for found in nics.values() for n in found} - {None}
        zones = {i.zone_id for i in instances}
        vpcs = session.scalars(
            select(Vpc).where(
                or_(
                    Vpc.id.in_(vpc_ids) if vpc_ids else false(),
                    and_(
                        Vpc.is_default.is_(True),
                        Vpc.zone_id.in_(zones),
                        Vpc.state != NetworkState.DELETED,
                    ),
                )
            )
        ).all()
        groups: dict[uuid.UUID, list[SecurityGroup]] = defaultdict(list)
        for instance_id, group in session.execute(
            select(InstanceSecurityGroup.instance_id, SecurityGroup)
            .options(lazyload(SecurityGroup.account))
            .join(SecurityGroup, SecurityGroup.id == InstanceSecurityGroup.group_id)
            .where(InstanceSecurityGroup.instance_id.in_(ids))
            .order_by(SecurityGroup.name)
        ):
            groups[instance_id].append(group)
        volumes: dict[uuid.UUID, list[Volume]] = defaultdict(list)
        for volume in session.scalars(
            select(Volume)
            .options(lazyload(Volume.account))
            .where(Volume.instance_id.in_(ids), Volume.state != VolumeState.DELETED)
        ):
            if volume.instance_id is not None:
                volumes[volume.instance_id].append(volume)
        addresses = {
            a.instance_id: a
            for a in session.scalars(
                select(Address)
                .options(lazyload(Address.account))
                .where(Address.instance_id.in_(ids))
            )
            if a.instance_id is not None
        }
        return cls(
            nics=nics,
            vpcs={v.id: v for v in vpcs},
            default_vpcs={v.zone_id: v for v in vpcs if v.is_default},
            groups=groups,
            volumes=volumes,
            addresses=addresses,
            tags=tags.of(session, ids),
        )

    def vpc_of(self, network: Network) -> Vpc | None:
        if network.vpc_id is None:
            return self.default_vpcs.get(network.zone_id)
        return self.vpcs.get(network.vpc_id)


def _nic(nic: Nic, related: _Related) -> NicView:
    network = nic.network
    vpc = related.vpc_of(network)
    return NicView(
        id=nic.id,
        mac=nic.mac,
        network_id=nic.network_id,
        network_name=network.name,
        device_index=nic.device_index,
        ip=nic.lease_ip,
        reserved_ip=nic.ip,
        ref=nic.ref,
        network_ref=network.ref,
        cidr=network.cidr,
        gateway=addressing.gateway_of(ipaddress.IPv4Network(network.cidr)),
        shared=network.shared,
        vpc_id=vpc.id if vpc else None,
        vpc_ref=vpc.ref if vpc else None,
    )


def _attached(volumes: Sequence[Volume]) -> list[AttachedVolume]:
    ordered = sorted(volumes, key=lambda v: (v.volume_type is not VolumeType.ROOT, v.device or ""))
    return [
        AttachedVolume(v.id, v.ref, v.volume_type, v.state, v.device, v.attached_at)
        for v in ordered
    ]


def _view(instance: Instance, related: _Related) -> InstanceView:
    address = related.addresses.get(instance.id)
    return InstanceView(
        id=instance.id,
        ref=instance.ref,
        account_id=instance.account_id,
        account_name=instance.account.name,
        name=instance.name,
        hostname=instance.hostname,
        state=instance.state,
        state_reason=instance.state_reason,
        zone_id=instance.zone_id,
        zone_name=instance.zone.name,
        host_id=instance.host_id,
        image_id=instance.image_id,
        image_ref=instance.image.ref,
        image_name=instance.image.name,
        flavor_id=instance.flavor_id,
        flavor_name=instance.flavor.name,
        vcpus=instance.flavor.vcpus,
        memory_mib=instance.flavor.memory_mib,
        disk_gib=instance.flavor.disk_gib,
        key_name=instance.key_name,
        user_data=instance.user_data,
        reservation_ref=instance.reservation_ref,
        launch_index=instance.launch_index,
        client_token=instance.client_token,
        tags=dict(related.tags.get(instance.id, {})),
        created_at=instance.created_at,
        launched_at=instance.launched_at,
        terminated_at=instance.terminated_at,
        nics=[_nic(n, related) for n in related.nics.get(instance.id, ())],
        groups=[
            GroupRef(g.id, g.ref, g.name, g.description)
            for g in related.groups.get(instance.id, ())
        ],
        volumes=_attached(related.volumes.get(instance.id, ())),
        address=AddressRef(address.id, address.ref, address.ip) if address else None,
        termination_protected=instance.termination_protected,
        stop_protected=instance.stop_protected,
    )


def views(session: Session, instances: Sequence[Instance]) -> list[InstanceView]:
    """Full views of ``instances``, in their order."""
    if not instances:
        return []
    related = _Related.read(session, instances)
    return [_view(i, related) for i in instances]
