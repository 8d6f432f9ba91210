"""``storage``: a volume. OCCI 1.1's storage actions map to what core does with volumes:
``snapshot`` takes a snapshot, ``resize`` grows it; a volume is always online, so ``online``
succeeds on a usable one, while ``offline`` and ``backup`` name what to do instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Final

from core.enums import VolumeState, VolumeType
from core.views import VolumeQuery, VolumeView
from gateway.occi import kinds
from gateway.occi.categories import Category, Value
from gateway.occi.document import Document, Entity
from gateway.occi.kinds import Context
from gateway.occi.protocol import OcciError
from gateway.occi.schema import BACKUP, ENTITY, OFFLINE, ONLINE, RESIZE, RESOURCE, SNAPSHOT, STORAGE
from translations.occi import storage_state

USABLE: Final = (VolumeState.AVAILABLE, VolumeState.IN_USE)
LISTED: Final = tuple(
    s for s in VolumeState if s not in (VolumeState.DELETING, VolumeState.DELETED)
)
KNOWN: Final = frozenset(a.name for c in (ENTITY, RESOURCE, STORAGE) for a in c.attributes)


def storage_entity(volume: VolumeView, version: tuple[int, int]) -> Entity:
    attributes: list[tuple[str, Value]] = [
        ("occi.core.id", str(volume.id)),
        ("occi.core.title", volume.name),
        ("occi.storage.size", volume.size_gib),
        ("occi.storage.state", storage_state(volume.state, version)),
    ]
    if volume.state_reason:
        attributes.append(("occi.storage.state.message", volume.state_reason))
    return Entity(
        STORAGE,
        (),
        kinds.location(STORAGE, volume.id),
        tuple(attributes),
        (SNAPSHOT, RESIZE) if volume.state in USABLE else (),
    )


def _size(attributes: Mapping[str, Value], name: str) -> int:
    value = attributes.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise OcciError(400, f"{name} is a whole number of GiB")
    return int(value)


class Storages:
    kind = STORAGE

    def list(self, ctx: Context) -> list[Entity]:
        page = ctx.services.storage.list_volumes(ctx.caller, VolumeQuery(states=LISTED))
        return [storage_entity(v, ctx.version) for v in page.items]

    def get(self, ctx: Context, id_: uuid.UUID) -> Entity:
        volume = ctx.services.storage.get_volume(ctx.caller, str(id_))
        kinds.require_listed(volume.state in LISTED, STORAGE, id_)
        return storage_entity(volume, ctx.version)

    def create(self, ctx: Context, doc: Document) -> Entity:
        if doc.of_class("mixin"):
            raise OcciError(400, "a storage takes no mixins")
        kinds.refuse_unknown(doc, KNOWN)
        if "occi.storage.size" not in doc.attributes:
            raise OcciError(400, "a storage needs occi.storage.size (GiB)")
        accepted = ctx.services.storage.create_volume(
            ctx.caller,
            size_gib=_size(doc.attributes, "occi.storage.size"),
            name=kinds.string(doc, "occi.core.title"),
            volume_id=kinds.chosen_id(doc),
        )
        return storage_entity(accepted.item, ctx.version)

    def update(self, ctx: Context, id_: uuid.UUID, doc: Document) -> Entity:
        current = ctx.services.storage.get_volume(ctx.caller, str(id_))
        kinds.refuse_unknown(
            doc, frozenset({"occi.core.id", "occi.core.title", "occi.storage.size"})
        )
        if kinds.string(doc, "occi.core.title") not in (None, current.name):
            raise OcciError(400, "a storage keeps the title it was created with")
        if "occi.storage.size" in doc.attributes:
            size = _size(doc.attributes, "occi.storage.size")
            if size != current.size_gib:
                ctx.services.storage.resize_volume(ctx.caller, str(id_), size_gib=size)
        return self.get(ctx, id_)

    def delete(
        self, ctx: Context, ids: Sequence[uuid.UUID], *, whole_collection: bool = False
    ) -> None:
        """Refuses the whole batch up front when one of its volumes cannot go (a root disk, an
        attached volume), so a collection's DELETE removes all or nothing."""
        storage = ctx.services.storage
        for volume in [storage.get_volume(ctx.caller, str(id_)) for id_ in ids]:
            if volume.volume_type is VolumeType.ROOT:
                raise OcciError(409, f"storage {volume.id} is a compute's root disk")
            if volume.instance_id is not None:
                raise OcciError(409, f"storage {volume.id} is linked: delete its storagelink")
        for id_ in ids:
            storage.delete_volume(ctx.caller, str(id_))

    def act(
        self,
        ctx: Context,
        ids: Sequence[uuid.UUID],
        action: Category,
        attributes: Mapping[str, Value],
    ) -> None:
        for id_ in ids:
            self._act(ctx, id_, action, attributes)

    def _act(
        self, ctx: Context, id_: uuid.UUID, action: Category, attributes: Mapping[str, Value]
    ) -> None:
        storage = ctx.services.storage
        if action == SNAPSHOT:
            storage.create_snapshot(ctx.caller, str(id_))
        elif action == RESIZE:
            storage.resize_volume(ctx.caller, str(id_), size_gib=_size(attributes, "size"))
        elif action == ONLINE:
            if storage.get_volume(ctx.caller, str(id_)).state not in USABLE:
                raise OcciError(409, f"storage {id_} is not usable now: wait until it is online")
        elif action == OFFLINE:
            raise OcciError(400, "a storage cannot be taken offline: delete its storagelink")
        elif action == BACKUP:
            raise OcciError(400, "backup is not supported: trigger snapshot instead")
