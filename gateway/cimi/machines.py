"""Machines and MachineTemplates: instances, launched from a template given by value or by
reference (core's launch templates), and what hangs below a Machine: its disks, network
interfaces and MachineVolumes."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.responses import Response

from core import LaunchRequest
from core.enums import ResourceKind
from core.views import Accepted, InstanceQuery, LaunchTemplateQuery, VolumeQuery
from gateway.cimi import editing, interfaces, representation, resources, wire
from gateway.cimi import filter as cimi_filter
from gateway.cimi.credentials import key_ids_by_name, key_of
from gateway.cimi.kit import (
    DATED,
    CimiError,
    Context,
    Document,
    Listed,
    Selection,
    accepted,
    allowed,
    href_id,
    members,
    one,
    uuid_of,
)

MACHINE_ATTRIBUTES: Final[Mapping[str, cimi_filter.Attribute]] = {
    "name": cimi_filter.StringAttribute("name"),
    "created": cimi_filter.DateTimeAttribute("created_at"),
    "state": cimi_filter.StringAttribute("state", resources.instance_states),
    "cpu": cimi_filter.IntegerAttribute("vcpus"),
    "memory": cimi_filter.IntegerAttribute("memory_mib", resources.KIB_PER_MIB),
}


MACHINE_VOLUME_ATTRIBUTES: Final[Mapping[str, cimi_filter.Attribute]] = {
    "created": cimi_filter.DateTimeAttribute("attached_at"),
    "initialLocation": cimi_filter.StringAttribute(
        "device", lambda location: [location.removeprefix("/dev/")]
    ),
}


def machines(ctx: Context, rest: list[str]) -> Response:
    compute = ctx.services.compute
    if not rest:

        def read(selection: Selection) -> Listed:
            query = InstanceQuery(**selection, states=resources.LISTED_MACHINES)
            page = compute.list_instances(ctx.caller, query)
            return [resources.machine(ctx.urls, i) for i in page.items], page.total

        return members(ctx, "Machine", read, MACHINE_ATTRIBUTES, lambda: _create_machine(ctx))
    machine_id = uuid_of(rest[0])
    if len(rest) > 1:
        return _machine_part(ctx, machine_id, rest[1:])
    allowed(ctx, "GET", "PUT", "POST", "DELETE")
    href = ctx.urls.of("machines", machine_id)
    match ctx.request.method:
        case "GET":
            return one(ctx, resources.machine(ctx.urls, _machine(ctx, machine_id)))
        case "DELETE":
            _machine(ctx, machine_id)
            [done] = compute.terminate_instances(ctx.caller, [str(machine_id)])
            return accepted(ctx, href, done.job_id, created=False)
        case "PUT":
            machine = editing.Editable.of(
                ResourceKind.INSTANCE,
                str(machine_id),
                _machine(ctx, machine_id),
                frozenset({"name"}),
                compute.update_instance,
            )
            return editing.put(
                ctx,
                "Machine",
                machine,
                lambda: resources.machine(ctx.urls, _machine(ctx, machine_id)),
            )
        case _:
            return _machine_action(ctx, machine_id, wire.read(ctx.request, "Action"))


def _machine(ctx: Context, machine_id: uuid.UUID) -> Any:
    instance = ctx.services.compute.get_instance(ctx.caller, str(machine_id))
    if instance.state not in resources.LISTED_MACHINES:
        raise CimiError(404, f"machine {machine_id} is deleted")
    return instance


def _machine_action(ctx: Context, machine_id: uuid.UUID, body: Document) -> Response:
    action = str(body.get("action", ""))
    compute, refs = ctx.services.compute, [str(machine_id)]
    _machine(ctx, machine_id)
    verbs: Mapping[str, Callable[[], list[Accepted[Any]]]] = {
        "start": lambda: compute.start_instances(ctx.caller, refs),
        "stop": lambda: compute.stop_instances(ctx.caller, refs, force=bool(body.get("force"))),
        "restart": lambda: compute.reboot_instances(ctx.caller, refs),
    }
    verb = action.removeprefix(resources.ACTION)
    if verb not in verbs:
        raise CimiError(400, f"action {action!r} is not offered: see the Machine's operations")
    [done] = verbs[verb]()
    return accepted(ctx, ctx.urls.of("machines", machine_id), done.job_id, created=False)


@dataclass(frozen=True)
class _Launch:
    """What a MachineTemplate says, given by value or by reference with overrides."""

    config: uuid.UUID
    image: uuid.UUID
    key_name: str | None
    user_data: bytes
    start: bool


def _template(ctx: Context, given: Mapping[str, Any]) -> _Launch:
    """A template by value, or the stored one its href names with the attributes beside the
    href overriding it (DSP0263 §4.2.1.1)."""
    stored = None
    if given.get("href"):
        template_id = href_id(ctx, given, "machineTemplates", "machineTemplate")
        stored = ctx.services.launch_templates.get_launch_template(ctx.caller, str(template_id))

    def ref(name: str, key: str, default: uuid.UUID | None) -> uuid.UUID | None:
        return href_id(ctx, given[name], key, name) if given.get(name) else default

    config = ref("machineConfig", "machineConfigs", stored.flavor_id if stored else None)
    image = ref("machineImage", "machineImages", stored.image_id if stored else None)
    if config is None or image is None:
        raise CimiError(400, "a machineTemplate needs a machineConfig and a machineImage")
    key_name = stored.key_name if stored else None
    if given.get("credential"):
        key_name = key_of(ctx, href_id(ctx, given["credential"], "credentials", "credential")).name
    user_data = (
        _user_data(given["userData"])
        if "userData" in given
        else (stored.user_data if stored else b"")
    )
    initial = given.get("initialState") or (
        "STARTED" if stored is None or stored.start else "STOPPED"
    )
    if initial not in ("STARTED", "STOPPED"):
        raise CimiError(400, f"initialState {initial!r}: STARTED or STOPPED")
    return _Launch(config, image, key_name, user_data, initial == "STARTED")


def _create_machine(ctx: Context) -> Response:
    body = wire.read(ctx.request, "MachineCreate")
    given = body.get("machineTemplate")
    if not isinstance(given, Mapping):
        raise CimiError(400, "a MachineCreate needs a machineTemplate")
    launch = _template(ctx, given)
    reservation = ctx.services.compute.launch(
        ctx.caller,
        LaunchRequest(
            image=str(launch.image),
            flavor=str(launch.config),
            name=body.get("name"),
            key_name=launch.key_name,
            user_data=launch.user_data,
            tags=dict(body.get("properties") or {}),
            start=launch.start,
        ),
    )
    [instance] = reservation.instances
    [job_id] = reservation.job_ids
    return accepted(ctx, ctx.urls.of("machines", instance.id), job_id, created=True)


def _user_data(text: object) -> bytes:
    if text is None:
        return b""
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise CimiError(400, "userData is base64") from None


def _machine_part(ctx: Context, machine_id: uuid.UUID, rest: list[str]) -> Response:
    machine = _machine(ctx, machine_id)
    if rest == ["disks"]:
        allowed(ctx, "GET")
        href = ctx.urls.below("machines", machine.id, "disks")
        disks = representation.collection("Disk", href, resources.disks(machine))
        return wire.respond(ctx.request, disks)
    if rest[0] == "networkInterfaces":
        return interfaces.machine_interfaces(ctx, machine, rest[1:])
    if rest[0] != "volumes":
        raise CimiError(404, f"no {'/'.join(rest)} below a machine")
    storage = ctx.services.storage
    if len(rest) == 1:

        def read(selection: Selection) -> Listed:
            query = VolumeQuery(**selection, instance=str(machine.id))
            page = storage.list_volumes(ctx.caller, query)
            return [
                resources.machine_volume(ctx.urls, machine.id, v) for v in page.items
            ], page.total

        return members(
            ctx, "MachineVolume", read, MACHINE_VOLUME_ATTRIBUTES, lambda: _attach(ctx, machine.id)
        )
    attached = storage.get_volume(ctx.caller, str(uuid_of(rest[1])))
    if attached.instance_id != machine.id:
        raise CimiError(404, f"volume {attached.id} is not attached to machine {machine.id}")
    allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return one(ctx, resources.machine_volume(ctx.urls, machine.id, attached))
    done = storage.detach_volume(ctx.caller, str(attached.id))
    return accepted(ctx, ctx.urls.of("volumes", attached.id), done.job_id, created=False)


def _attach(ctx: Context, machine_id: uuid.UUID) -> Response:
    """A MachineVolume POSTed to a Machine's volumes: the volume it names, attached."""
    body = wire.read(ctx.request, "MachineVolume")
    volume = href_id(ctx, body.get("volume"), "volumes", "volume")
    device = str(body.get("initialLocation") or "").removeprefix("/dev/") or None
    done = ctx.services.storage.attach_volume(
        ctx.caller, str(volume), str(machine_id), device=device
    )
    href = ctx.urls.below("machines", machine_id, "volumes", volume)
    return accepted(ctx, href, done.job_id, created=True)


# MachineTemplates (core's launch templates)


def machine_templates(ctx: Context, rest: list[str]) -> Response:
    templates = ctx.services.launch_templates
    if not rest:

        def read(selection: Selection) -> Listed:
            query = LaunchTemplateQuery(**selection)
            page = templates.list_launch_templates(ctx.caller, query)
            keys = key_ids_by_name(ctx, [t.key_name for t in page.items if t.key_name])
            return [
                resources.machine_template(ctx.urls, t, keys.get(t.key_name or ""))
                for t in page.items
            ], page.total

        return members(ctx, "MachineTemplate", read, DATED, lambda: _create_template(ctx))
    template_id = str(uuid_of(rest[0]))
    allowed(ctx, "GET", "PUT", "DELETE")
    if ctx.request.method == "DELETE":
        templates.delete_launch_template(ctx.caller, template_id)
        return wire.respond(ctx.request, None, 200)

    def show() -> Document:
        found = templates.get_launch_template(ctx.caller, template_id)
        keys = key_ids_by_name(ctx, [found.key_name] if found.key_name else [])
        return resources.machine_template(ctx.urls, found, keys.get(found.key_name or ""))

    if ctx.request.method == "GET":
        return one(ctx, show())
    template = editing.Editable.of(
        ResourceKind.LAUNCH_TEMPLATE,
        template_id,
        templates.get_launch_template(ctx.caller, template_id),
        frozenset({"name", "description"}),
        templates.update_launch_template,
    )
    return editing.put(ctx, "MachineTemplate", template, show)


def _create_template(ctx: Context) -> Response:
    body = wire.read(ctx.request, "MachineTemplate")
    if body.get("href"):
        raise CimiError(400, "a MachineTemplate is created by value, not by reference")
    launch = _template(ctx, body)
    made = ctx.services.launch_templates.create_launch_template(
        ctx.caller,
        body.get("name") or f"template-{uuid.uuid4().hex[:8]}",
        image=str(launch.image),
        flavor=str(launch.config),
        key_name=launch.key_name,
        user_data=launch.user_data,
        start=launch.start,
        description=body.get("description") or "",
        tags=body.get("properties"),
    )
    keys = key_ids_by_name(ctx, [made.key_name] if made.key_name else [])
    document = resources.machine_template(ctx.urls, made, keys.get(made.key_name or ""))
    return wire.respond(ctx.request, document, 201, {"Location": document["id"]})
