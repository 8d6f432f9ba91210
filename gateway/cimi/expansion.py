"""``$expand`` of references (DSP0263 §4.1.6.3): each named reference (or every one, for ``*``)
that points at a resource of this cloud's top-level collections is replaced by that resource,
read with one query per kind for a whole page. The collections below a Machine (its disks,
volumes, interfaces) are expanded by the Machine itself (``resources.expanded_machine``);
nested paths (``a/b``) are not offered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from core.views import (
    ImageQuery,
    InstanceQuery,
    KeyPairQuery,
    NetworkQuery,
    SnapshotQuery,
    VolumeQuery,
)
from gateway.cimi import resources
from gateway.cimi.context import Context
from gateway.cimi.paths import NotOurs

Document = dict[str, Any]
Reader = Callable[[Context, list[str]], Iterable[Document]]


def _machines(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.compute.list_instances(ctx.caller, InstanceQuery(ids=ids))
    return [resources.machine(ctx.urls, i) for i in page.items]


def _configs(ctx: Context, ids: list[str]) -> Iterable[Document]:
    flavors = ctx.services.catalog.list_flavors()
    return [resources.machine_configuration(ctx.urls, f) for f in flavors if str(f.id) in ids]


def _images(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.images.list_images(ctx.caller, ImageQuery(ids=ids))
    return [resources.machine_image(ctx.urls, i, ctx.caller.account_id) for i in page.items]


def _credentials(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.key_pairs.list_key_pairs(ctx.caller, KeyPairQuery(ids=ids))
    return [resources.credential(ctx.urls, k) for k in page.items]


def _volumes(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.storage.list_volumes(ctx.caller, VolumeQuery(ids=ids))
    return [resources.volume(ctx.urls, v) for v in page.items]


def _volume_images(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.storage.list_snapshots(ctx.caller, SnapshotQuery(ids=ids))
    return [resources.volume_image(ctx.urls, s) for s in page.items]


def _networks(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.networks.list_networks(ctx.caller, NetworkQuery(ids=ids))
    return [resources.network(ctx.urls, n) for n in page.items]


READERS: Final[Mapping[str, Reader]] = {
    "machines": _machines,
    "machineConfigs": _configs,
    "machineImages": _images,
    "credentials": _credentials,
    "volumes": _volumes,
    "volumeImages": _volume_images,
    "networks": _networks,
}


def _target(ctx: Context, value: object) -> tuple[str, uuid.UUID] | None:
    """The collection and id a reference names, when it is one this module can read."""
    if not isinstance(value, Mapping) or set(value) != {"href"}:
        return None
    href = str(value["href"])
    for key in READERS:
        try:
            return key, ctx.urls.id_in(href, key)
        except NotOurs:
            continue
    return None


def expand(ctx: Context, documents: Sequence[Document], names: frozenset[str]) -> list[Document]:
    """``documents`` with the references ``names`` picks replaced by what they name."""
    if not names:
        return list(documents)
    wanted: dict[str, set[uuid.UUID]] = {}
    for document in documents:
        for name, value in document.items():
            target = _target(ctx, value) if name in names or "*" in names else None
            if target is not None:
                wanted.setdefault(target[0], set()).add(target[1])
    found: dict[str, Document] = {}
    for key, ids in wanted.items():
        found |= {str(d["id"]): d for d in READERS[key](ctx, [str(i) for i in ids])}
    return [
        {
            name: found.get(value["href"], value)
            if (name in names or "*" in names) and _target(ctx, value)
            else value
            for name, value in document.items()
        }
        for document in documents
    ]
