"""Which handler serves which CloudEntryPoint collection, and the CloudEntryPoint itself,
which lists exactly those."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from starlette.responses import Response

from gateway.cimi.catalog import machine_configs, machine_images
from gateway.cimi.credentials import credentials
from gateway.cimi.events import event_logs
from gateway.cimi.jobs import jobs
from gateway.cimi.kit import CimiError, Context, Document
from gateway.cimi.machines import machine_templates, machines
from gateway.cimi.networks import addresses, network_configs, network_ports, networks
from gateway.cimi.storage import volume_configs, volume_images, volume_templates, volumes

HANDLERS: Final[Mapping[str, Callable[[Context, list[str]], Response]]] = {
    "machines": machines,
    "machineTemplates": machine_templates,
    "machineConfigs": machine_configs,
    "machineImages": machine_images,
    "credentials": credentials,
    "volumes": volumes,
    "volumeTemplates": volume_templates,
    "volumeConfigs": volume_configs,
    "volumeImages": volume_images,
    "networks": networks,
    "networkConfigs": network_configs,
    "networkPorts": network_ports,
    "addresses": addresses,
    "jobs": jobs,
    "eventLogs": event_logs,
}


def route(ctx: Context, key: str, rest: list[str]) -> Response:
    handler = HANDLERS.get(key)
    if handler is None:
        raise CimiError(404, f"no collection {key!r}: start from the CloudEntryPoint")
    return handler(ctx, rest)


def cloud_entry_point(ctx: Context) -> Document:
    return {
        "resourceURI": "http://schemas.dmtf.org/cimi/1/CloudEntryPoint",
        "id": ctx.urls.of("cloudEntryPoint", "").rstrip("/"),
        "name": "Cloudgate",
        "description": "One KVM cloud, four APIs",
        "baseURI": ctx.urls.base,
        **{key: {"href": ctx.urls.collection(key)} for key in HANDLERS},
    }
