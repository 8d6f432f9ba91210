"""The two link kinds: ``networkinterface`` (an instance's NIC on a network) and
``storagelink`` (a volume attached to an instance).

A link is the attachment itself, so it takes the attachment's id: a network interface the NIC's
UUID, a storage link the UUID of the volume it attaches (a volume attaches to one instance at a
time). The ``occi.core.id`` a client proposes for a new link is therefore not kept; rOCCI-cli
always proposes a random one, and refusing it would refuse the client.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from core.enums import VolumeState
from core.states import InstanceState
from core.views import (
    AttachedVolume,
    InstanceView,
    InterfaceQuery,
    NicView,
    VolumeQuery,
    VolumeView,
)
from gateway.occi import kinds
from gateway.occi.categories import Category, Value
from gateway.occi.document import Document, Entity
from gateway.occi.kinds import Context
from gateway.occi.protocol import OcciError
from gateway.occi.schema import (
    COMPUTE,
    IPNETWORKINTERFACE_MIXIN,
    NETWORK,
    NETWORKINTERFACE,
    STORAGE,
    STORAGELINK,
)
from translations.occi import link_state


def interface_entity(instance: InstanceView, nic: NicView) -> Entity:
    running = instance.state is InstanceState.RUNNING
    return Entity(
        NETWORKINTERFACE,
        (IPNETWORKINTERFACE_MIXIN,),
        kinds.location(NETWORKINTERFACE, nic.id),
        (
            ("occi.core.id", str(nic.id)),
            ("occi.core.source", kinds.location(COMPUTE, instance.id)),
            ("occi.core.target", kinds.location(NETWORK, nic.network_id)),
            ("occi.networkinterface.interface", f"eth{nic.device_index}"),
            ("occi.networkinterface.mac", nic.mac),
            ("occi.networkinterface.state", link_state(running)),
            ("occi.networkinterface.address", nic.ip or nic.reserved_ip),
            ("occi.networkinterface.gateway", nic.gateway),
            ("occi.networkinterface.allocation", "dynamic"),
        ),
        target_kind=NETWORK,
    )


def storage_link_entity(
    instance_id: uuid.UUID, volume_id: uuid.UUID, device: str | None, state: VolumeState
) -> Entity:
    attributes: list[tuple[str, Value]] = [
        ("occi.core.id", str(volume_id)),
        ("occi.core.source", kinds.location(COMPUTE, instance_id)),
        ("occi.core.target", kinds.location(STORAGE, volume_id)),
    ]
    if device:
        attributes.append(("occi.storagelink.deviceid", f"/dev/{device}"))
    attributes.append(("occi.storagelink.state", link_state(state is VolumeState.IN_USE)))
    return Entity(
        STORAGELINK,
        (),
        kinds.location(STORAGELINK, volume_id),
        tuple(attributes),
        target_kind=STORAGE,
    )


def attached_entity(instance: InstanceView, volume: AttachedVolume) -> Entity:
    return storage_link_entity(instance.id, volume.id, volume.device, volume.state)


def _volume_link(volume: VolumeView) -> Entity:
    if volume.instance_id is None:
        raise OcciError(404, f"storage {volume.id} is attached to nothing")
    return storage_link_entity(volume.instance_id, volume.id, volume.device, volume.state)


class _WithoutActions:
    kind: Category

    def act(
        self,
        ctx: Context,
        ids: Sequence[uuid.UUID],
        action: Category,
        attributes: Mapping[str, Value],
    ) -> None:
        raise OcciError(400, f"a {self.kind.term} link has no actions")


class NetworkInterfaces(_WithoutActions):
    kind = NETWORKINTERFACE

    def list(self, ctx: Context) -> list[Entity]:
        page = ctx.services.compute.list_interfaces(ctx.caller, InterfaceQuery())
        return [interface_entity(i.instance, i.nic) for i in page.items]

    def get(self, ctx: Context, id_: uuid.UUID) -> Entity:
        page = ctx.services.compute.list_interfaces(ctx.caller, InterfaceQuery(ids=[str(id_)]))
        if not page.items:
            raise OcciError(404, f"no networkinterface {id_}")
        found = page.items[0]
        return interface_entity(found.instance, found.nic)

    def create(self, ctx: Context, doc: Document) -> Entity:
        raise OcciError(
            400,
            "a compute gets its network interface when it is created (an inline Link to a "
            "network); adding one to an existing compute is not supported",
        )

    def update(self, ctx: Context, id_: uuid.UUID, doc: Document) -> Entity:
        raise OcciError(400, "a networkinterface has no attribute that can change")

    def delete(
        self, ctx: Context, ids: Sequence[uuid.UUID], *, whole_collection: bool = False
    ) -> None:
        for id_ in ids:
            self.get(ctx, id_)
        raise OcciError(
            400, "a compute keeps its network interface for life: delete the compute instead"
        )


class StorageLinks(_WithoutActions):
    kind = STORAGELINK

    def list(self, ctx: Context) -> list[Entity]:
        page = ctx.services.storage.list_volumes(ctx.caller, VolumeQuery())
        return [_volume_link(v) for v in page.items if v.instance_id is not None]

    def get(self, ctx: Context, id_: uuid.UUID) -> Entity:
        return _volume_link(ctx.services.storage.get_volume(ctx.caller, str(id_)))

    def create(self, ctx: Context, doc: Document) -> Entity:
        source, target = (kinds.string(doc, f"occi.core.{end}") for end in ("source", "target"))
        if not source or not target:
            raise OcciError(400, "a storagelink needs occi.core.source and occi.core.target")
        instance_id = kinds.id_in(source, COMPUTE)
        volume_id = kinds.id_in(target, STORAGE)
        device = (kinds.string(doc, "occi.storagelink.deviceid") or "").removeprefix("/dev/")
        accepted = ctx.services.storage.attach_volume(
            ctx.caller, str(volume_id), str(instance_id), device=device or None
        )
        return _volume_link(accepted.item)

    def update(self, ctx: Context, id_: uuid.UUID, doc: Document) -> Entity:
        raise OcciError(400, "a storagelink has no attribute that can change: relink instead")

    def delete(
        self, ctx: Context, ids: Sequence[uuid.UUID], *, whole_collection: bool = False
    ) -> None:
        for id_ in ids:
            self.get(ctx, id_)
            ctx.services.storage.detach_volume(ctx.caller, str(id_))
