"""CIMI documents by id, one core query per kind for any number of ids: what ``$expand`` puts in
place of a reference, for each collection a reference can point into (``machines/volumes``: the
MachineVolume collection of each Machine named)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from core.views import (
    ImageQuery,
    InstanceQuery,
    InterfaceQuery,
    KeyPairQuery,
    NetworkQuery,
    SnapshotQuery,
    VolumeQuery,
)
from gateway.cimi import resources
from gateway.cimi.context import Context

Document = dict[str, Any]
Reader = Callable[[Context, list[str]], Iterable[Document]]


def event_log(ctx: Context, log_id: uuid.UUID) -> Document:
    """The caller's account log (its id is the account's), or one resource's. A log begins
    with its oldest event (the newest come first: it is the last of them); one with none yet
    begins now."""
    resource = None if log_id == ctx.caller.account_id else log_id
    events = ctx.services.events
    count = events.list_events(ctx.caller, resource_id=resource, limit=0).total
    oldest = events.list_events(ctx.caller, resource_id=resource, offset=max(0, count - 1), limit=1)
    created = oldest.items[0].created_at if oldest.items else dt.datetime.now(dt.UTC)
    name = "account" if resource is None else f"events of {resource}"
    return resources.event_log(ctx.urls, log_id, name, created)


def _machines(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.compute.list_instances(ctx.caller, InstanceQuery(ids=ids))
    return [resources.machine(ctx.urls, i) for i in page.items]


def _machine_collection(name: str) -> Reader:
    def read(ctx: Context, ids: list[str]) -> Iterable[Document]:
        page = ctx.services.compute.list_instances(ctx.caller, InstanceQuery(ids=ids))
        return [resources.machine_collection(ctx.urls, i, name) for i in page.items]

    return read


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


def _volume_configs(ctx: Context, ids: list[str]) -> Iterable[Document]:
    offerings = ctx.services.catalog.list_disk_offerings()
    return [resources.volume_configuration(ctx.urls, o) for o in offerings if str(o.id) in ids]


def _volume_images(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.storage.list_snapshots(ctx.caller, SnapshotQuery(ids=ids))
    return [resources.volume_image(ctx.urls, s) for s in page.items]


def _networks(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.networks.list_networks(ctx.caller, NetworkQuery(ids=ids))
    return [resources.network(ctx.urls, n) for n in page.items]


def _network_ports(ctx: Context, ids: list[str]) -> Iterable[Document]:
    page = ctx.services.compute.list_interfaces(ctx.caller, InterfaceQuery(ids=ids))
    return [resources.network_port(ctx.urls, i) for i in page.items]


def _event_logs(ctx: Context, ids: list[str]) -> Iterable[Document]:
    return [event_log(ctx, uuid.UUID(i)) for i in ids]


READERS: Final[Mapping[str, Reader]] = {
    "machines": _machines,
    "machineConfigs": _configs,
    "machineImages": _images,
    "credentials": _credentials,
    "volumes": _volumes,
    "volumeConfigs": _volume_configs,
    "volumeImages": _volume_images,
    "networks": _networks,
    "networkPorts": _network_ports,
    "eventLogs": _event_logs,
    **{f"machines/{name}": _machine_collection(name) for name in resources.MACHINE_COLLECTIONS},
}
