"""One handler per CIMI collection: each translates a request into one core call and core's
answer into resources (``resources``), and each listing passes the whole ``$filter`` into core's
query, with ``$first``/``$last`` as its window.

Asynchronous changes answer 202 with the Job that carries them out (``Location`` names the
resource, ``CIMI-Job-URI`` the Job); changes core makes at once answer 200 or 201.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from starlette.responses import Response

from core import LaunchRequest, Services
from core.enums import ImageState
from core.predicates import Predicate
from core.views import (
    Accepted,
    Caller,
    ImageQuery,
    InstanceQuery,
    KeyPairQuery,
    KeyPairView,
    LaunchTemplateQuery,
    VolumeQuery,
)
from gateway.cimi import filter as cimi_filter
from gateway.cimi import representation, resources, wire
from gateway.cimi.paths import NotOurs, Urls
from gateway.cimi.query import Query
from gateway.common import ApiRequest

Document = dict[str, Any]


class CimiError(Exception):
    def __init__(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Context:
    services: Services
    caller: Caller
    urls: Urls
    request: ApiRequest

    def query(self) -> Query:
        return Query.of(self.request)


def _allowed(ctx: Context, *methods: str) -> None:
    if ctx.request.method not in methods:
        allowed = ", ".join(methods)
        raise CimiError(405, f"allowed here: {allowed}", {"Allow": allowed})


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CimiError(404, f"no resource {text!r}") from None


def _href_id(ctx: Context, ref: object, key: str, what: str) -> uuid.UUID:
    if not isinstance(ref, Mapping) or not isinstance(ref.get("href"), str):
        raise CimiError(400, f"{what} must be a reference: {{'href': …}}")
    try:
        return ctx.urls.id_in(ref["href"], key)
    except NotOurs as exc:
        raise CimiError(400, str(exc)) from None


# the CloudEntryPoint


def cloud_entry_point(ctx: Context) -> Document:
    return {
        "resourceURI": "http://schemas.dmtf.org/cimi/1/CloudEntryPoint",
        "id": ctx.urls.of("cloudEntryPoint", "").rstrip("/"),
        "name": "Cloudgate",
        "description": "One KVM cloud, four APIs",
        "baseURI": ctx.urls.base,
        **{key: {"href": ctx.urls.collection(key)} for key in HANDLERS},
    }


# listings


def _listed(
    ctx: Context,
    kind: str,
    key: str,
    read: Callable[[Predicate, int, int | None], tuple[Sequence[Document], int]],
    attributes: Mapping[str, cimi_filter.Attribute],
    operations: Sequence[Document] = (),
) -> Response:
    query = ctx.query()
    try:
        where = cimi_filter.query_predicate(query.filters, attributes)
    except cimi_filter.FilterError as exc:
        raise CimiError(400, str(exc)) from None
    items, total = read(where, query.offset, query.limit)
    document = representation.collection(
        kind, ctx.urls.collection(key), [query.selected(i) for i in items], total, operations
    )
    return wire.respond(ctx.request, query.selected_collection(document))


def _add(ctx: Context, key: str) -> list[Document]:
    return [{"rel": "add", "href": ctx.urls.collection(key)}]


def _accepted(ctx: Context, location: str, job_id: uuid.UUID | None, created: bool) -> Response:
    """202 with the Job, or 201/200 when core had nothing to queue."""
    headers = {"Location": location}
    if job_id is None:
        return wire.respond(ctx.request, None, 201 if created else 200, headers)
    job = resources.job(ctx.urls, ctx.services.jobs.get_job(ctx.caller, str(job_id)))
    headers["CIMI-Job-URI"] = job["id"]
    return wire.respond(ctx.request, job, 202, headers)


# Machines

MACHINE_ATTRIBUTES: Final[Mapping[str, cimi_filter.Attribute]] = {
    "name": cimi_filter.StringAttribute("name"),
    "created": cimi_filter.DateTimeAttribute("created_at"),
    "state": cimi_filter.StringAttribute("state", resources.instance_states),
    "cpu": cimi_filter.IntegerAttribute("vcpus"),
    "memory": cimi_filter.IntegerAttribute("memory_mib", resources.KIB_PER_MIB),
}


def machines(ctx: Context, rest: list[str]) -> Response:
    compute = ctx.services.compute
    if not rest:
        _allowed(ctx, "GET", "POST")
        if ctx.request.method == "POST":
            return _create_machine(ctx)

        def read(where: Predicate, offset: int, limit: int | None) -> Any:
            query = InstanceQuery(
                offset=offset, limit=limit, where=where, states=resources.LISTED_MACHINES
            )
            page = compute.list_instances(ctx.caller, query)
            return [resources.machine(ctx.urls, i) for i in page.items], page.total

        return _listed(ctx, "Machine", "machines", read, MACHINE_ATTRIBUTES, _add(ctx, "machines"))
    machine_id = _uuid(rest[0])
    if len(rest) > 1:
        return _machine_part(ctx, machine_id, rest[1:])
    _allowed(ctx, "GET", "PUT", "POST", "DELETE")
    href = ctx.urls.of("machines", machine_id)
    match ctx.request.method:
        case "GET":
            return _one(ctx, resources.machine(ctx.urls, _machine(ctx, machine_id)))
        case "DELETE":
            _machine(ctx, machine_id)
            [done] = compute.terminate_instances(ctx.caller, [str(machine_id)])
            return _accepted(ctx, href, done.job_id, created=False)
        case "PUT":
            body = wire.read(ctx.request, "Machine")
            if body.get("name"):
                compute.update_instance(ctx.caller, str(machine_id), name=body["name"])
            return _one(ctx, resources.machine(ctx.urls, _machine(ctx, machine_id)))
        case _:
            return _machine_action(ctx, machine_id, wire.read(ctx.request, "Action"))


def _machine(ctx: Context, machine_id: uuid.UUID) -> Any:
    instance = ctx.services.compute.get_instance(ctx.caller, str(machine_id))
    if instance.state not in resources.LISTED_MACHINES:
        raise CimiError(404, f"machine {machine_id} is deleted")
    return instance


def _one(ctx: Context, document: Document) -> Response:
    return wire.respond(ctx.request, ctx.query().selected(document))


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
    return _accepted(ctx, ctx.urls.of("machines", machine_id), done.job_id, created=False)


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
        template_id = _href_id(ctx, given, "machineTemplates", "machineTemplate")
        stored = ctx.services.launch_templates.get_launch_template(ctx.caller, str(template_id))

    def ref(name: str, key: str, default: uuid.UUID | None) -> uuid.UUID | None:
        return _href_id(ctx, given[name], key, name) if given.get(name) else default

    config = ref("machineConfig", "machineConfigs", stored.flavor_id if stored else None)
    image = ref("machineImage", "machineImages", stored.image_id if stored else None)
    if config is None or image is None:
        raise CimiError(400, "a machineTemplate needs a machineConfig and a machineImage")
    key_name = stored.key_name if stored else None
    if given.get("credential"):
        key_name = _key(ctx, _href_id(ctx, given["credential"], "credentials", "credential")).name
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
    return _accepted(ctx, ctx.urls.of("machines", instance.id), job_id, created=True)


def _user_data(text: object) -> bytes:
    if text is None:
        return b""
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise CimiError(400, "userData is base64") from None


def _machine_part(ctx: Context, machine_id: uuid.UUID, rest: list[str]) -> Response:
    machine = _machine(ctx, machine_id)
    if rest in (["disks"], ["networkInterfaces"]):
        _allowed(ctx, "GET")
        kind = "Disk" if rest == ["disks"] else "MachineNetworkInterface"
        items = (
            resources.disks(machine)
            if kind == "Disk"
            else resources.network_interfaces(ctx.urls, machine)
        )
        href = ctx.urls.below("machines", machine.id, rest[0])
        return wire.respond(ctx.request, representation.collection(kind, href, items))
    if rest[0] != "volumes":
        raise CimiError(404, f"no {'/'.join(rest)} below a machine")
    storage = ctx.services.storage
    if len(rest) == 1:
        _allowed(ctx, "GET", "POST")
        if ctx.request.method == "POST":
            body = wire.read(ctx.request, "MachineVolume")
            volume = _href_id(ctx, body.get("volume"), "volumes", "volume")
            device = str(body.get("initialLocation") or "").removeprefix("/dev/") or None
            done = storage.attach_volume(ctx.caller, str(volume), str(machine.id), device=device)
            href = ctx.urls.below("machines", machine.id, "volumes", volume)
            return _accepted(ctx, href, done.job_id, created=True)

        def read(where: Predicate, offset: int, limit: int | None) -> Any:
            query = VolumeQuery(offset=offset, limit=limit, where=where, instance=str(machine.id))
            page = storage.list_volumes(ctx.caller, query)
            return [
                resources.machine_volume(ctx.urls, machine.id, v) for v in page.items
            ], page.total

        operations = [{"rel": "add", "href": ctx.urls.below("machines", machine.id, "volumes")}]
        return _listed(ctx, "MachineVolume", "machines", read, {}, operations)
    attached = storage.get_volume(ctx.caller, str(_uuid(rest[1])))
    if attached.instance_id != machine.id:
        raise CimiError(404, f"volume {attached.id} is not attached to machine {machine.id}")
    _allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return _one(ctx, resources.machine_volume(ctx.urls, machine.id, attached))
    done = storage.detach_volume(ctx.caller, str(attached.id))
    return _accepted(ctx, ctx.urls.of("volumes", attached.id), done.job_id, created=False)


# catalogue: configurations and images

NAMED: Final[Mapping[str, cimi_filter.Attribute]] = {
    "name": cimi_filter.StringAttribute("name"),
}


def machine_configs(ctx: Context, rest: list[str]) -> Response:
    _allowed(ctx, "GET")
    if rest:
        wanted = _uuid(rest[0])
        found = [f for f in ctx.services.catalog.list_flavors() if f.id == wanted]
        if not found:
            raise CimiError(404, f"no machine configuration {wanted}")
        return _one(ctx, resources.machine_configuration(ctx.urls, found[0]))
    attributes = {
        **NAMED,
        "cpu": cimi_filter.IntegerAttribute("vcpus"),
        "memory": cimi_filter.IntegerAttribute("memory_mib", resources.KIB_PER_MIB),
    }

    def read(where: Predicate, offset: int, limit: int | None) -> Any:
        flavors = ctx.services.catalog.list_flavors(where=where)
        shown = flavors[offset : None if limit is None else offset + limit]
        return [resources.machine_configuration(ctx.urls, f) for f in shown], len(flavors)

    return _listed(ctx, "MachineConfiguration", "machineConfigs", read, attributes)


def machine_images(ctx: Context, rest: list[str]) -> Response:
    _allowed(ctx, "GET")
    images = ctx.services.images
    if rest:
        return _one(
            ctx,
            resources.machine_image(ctx.urls, images.get_image(ctx.caller, str(_uuid(rest[0])))),
        )
    attributes = {**NAMED, "created": cimi_filter.DateTimeAttribute("created_at")}

    def read(where: Predicate, offset: int, limit: int | None) -> Any:
        query = ImageQuery(offset=offset, limit=limit, where=where, states=(ImageState.AVAILABLE,))
        page = images.list_images(ctx.caller, query)
        return [resources.machine_image(ctx.urls, i) for i in page.items], page.total

    return _listed(ctx, "MachineImage", "machineImages", read, attributes)


# MachineTemplates (core's launch templates)


def machine_templates(ctx: Context, rest: list[str]) -> Response:
    templates = ctx.services.launch_templates
    if not rest:
        _allowed(ctx, "GET", "POST")
        if ctx.request.method == "POST":
            return _create_template(ctx)

        def read(where: Predicate, offset: int, limit: int | None) -> Any:
            query = LaunchTemplateQuery(offset=offset, limit=limit, where=where)
            page = templates.list_launch_templates(ctx.caller, query)
            keys = _keys_by_name(ctx, [t.key_name for t in page.items if t.key_name])
            return [
                resources.machine_template(ctx.urls, t, keys.get(t.key_name or ""))
                for t in page.items
            ], page.total

        attributes = {**NAMED, "created": cimi_filter.DateTimeAttribute("created_at")}
        return _listed(
            ctx, "MachineTemplate", "machineTemplates", read, attributes,
            _add(ctx, "machineTemplates"),
        )  # fmt: skip
    template_id = str(_uuid(rest[0]))
    _allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "DELETE":
        templates.delete_launch_template(ctx.caller, template_id)
        return wire.respond(ctx.request, None, 200)
    found = templates.get_launch_template(ctx.caller, template_id)
    keys = _keys_by_name(ctx, [found.key_name] if found.key_name else [])
    return _one(ctx, resources.machine_template(ctx.urls, found, keys.get(found.key_name or "")))


def _keys_by_name(ctx: Context, names: Sequence[str]) -> dict[str, uuid.UUID]:
    if not names:
        return {}
    page = ctx.services.key_pairs.list_key_pairs(ctx.caller, KeyPairQuery(names=list(names)))
    return {k.name: k.id for k in page.items}


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
    keys = _keys_by_name(ctx, [made.key_name] if made.key_name else [])
    document = resources.machine_template(ctx.urls, made, keys.get(made.key_name or ""))
    return wire.respond(ctx.request, document, 201, {"Location": document["id"]})


# Credentials (key pairs)


def credentials(ctx: Context, rest: list[str]) -> Response:
    keys = ctx.services.key_pairs
    if not rest:
        _allowed(ctx, "GET", "POST")
        if ctx.request.method == "POST":
            return _create_credential(ctx)

        def read(where: Predicate, offset: int, limit: int | None) -> Any:
            page = keys.list_key_pairs(
                ctx.caller, KeyPairQuery(offset=offset, limit=limit, where=where)
            )
            return [resources.credential(ctx.urls, k) for k in page.items], page.total

        attributes = {**NAMED, "created": cimi_filter.DateTimeAttribute("created_at")}
        return _listed(ctx, "Credential", "credentials", read, attributes, _add(ctx, "credentials"))
    _allowed(ctx, "GET", "DELETE")
    key = _key(ctx, _uuid(rest[0]))
    if ctx.request.method == "DELETE":
        keys.delete_key_pair(ctx.caller, key.name)
        return wire.respond(ctx.request, None, 200)
    return _one(ctx, resources.credential(ctx.urls, key))


def _key(ctx: Context, id_: uuid.UUID) -> KeyPairView:
    page = ctx.services.key_pairs.list_key_pairs(ctx.caller, KeyPairQuery(ids=[str(id_)]))
    if not page.items:
        raise CimiError(404, f"no credential {id_}")
    return page.items[0]


def _create_credential(ctx: Context) -> Response:
    body = wire.read(ctx.request, "CredentialCreate")
    template = body.get("credentialTemplate")
    if not isinstance(template, Mapping):
        raise CimiError(400, "a CredentialCreate needs a credentialTemplate")
    name = body.get("name") or f"credential-{uuid.uuid4().hex[:8]}"
    key = template.get("key")
    keys = ctx.services.key_pairs
    made = (
        keys.import_key_pair(ctx.caller, name, key)
        if key
        else keys.create_key_pair(ctx.caller, name).key_pair
    )
    href = ctx.urls.of("credentials", made.id)
    return wire.respond(ctx.request, resources.credential(ctx.urls, made), 201, {"Location": href})


# Volumes


def volumes(ctx: Context, rest: list[str]) -> Response:
    storage = ctx.services.storage
    if not rest:
        _allowed(ctx, "GET", "POST")
        if ctx.request.method == "POST":
            return _create_volume(ctx)

        def read(where: Predicate, offset: int, limit: int | None) -> Any:
            query = VolumeQuery(offset=offset, limit=limit, where=where)
            page = storage.list_volumes(ctx.caller, query)
            return [resources.volume(ctx.urls, v) for v in page.items], page.total

        attributes = {**NAMED, "created": cimi_filter.DateTimeAttribute("created_at")}
        return _listed(ctx, "Volume", "volumes", read, attributes, _add(ctx, "volumes"))
    volume_id = _uuid(rest[0])
    _allowed(ctx, "GET", "DELETE")
    if ctx.request.method == "GET":
        return _one(ctx, resources.volume(ctx.urls, storage.get_volume(ctx.caller, str(volume_id))))
    done = storage.delete_volume(ctx.caller, str(volume_id))
    return _accepted(ctx, ctx.urls.of("volumes", volume_id), done.job_id, created=False)


def _create_volume(ctx: Context) -> Response:
    body = wire.read(ctx.request, "VolumeCreate")
    template = body.get("volumeTemplate")
    config = template.get("volumeConfig") if isinstance(template, Mapping) else None
    capacity = config.get("capacity") if isinstance(config, Mapping) else None
    if not isinstance(capacity, int) or capacity <= 0:
        raise CimiError(400, "a VolumeCreate needs volumeTemplate.volumeConfig.capacity (KB)")
    size_gib = -(-capacity // resources.KB_PER_GIB)
    done = ctx.services.storage.create_volume(
        ctx.caller, size_gib=size_gib, name=body.get("name"), volume_tags=body.get("properties")
    )
    return _accepted(ctx, ctx.urls.of("volumes", done.item.id), done.job_id, created=True)


# Jobs


def jobs(ctx: Context, rest: list[str]) -> Response:
    _allowed(ctx, "GET")
    queue = ctx.services.jobs
    if rest:
        return _one(ctx, resources.job(ctx.urls, queue.get_job(ctx.caller, str(_uuid(rest[0])))))

    def read(where: Predicate, offset: int, limit: int | None) -> Any:
        page = queue.list_jobs(ctx.caller, offset=offset, limit=limit, where=where)
        return [resources.job(ctx.urls, j) for j in page.items], page.total

    attributes: dict[str, cimi_filter.Attribute] = {
        "created": cimi_filter.DateTimeAttribute("created_at"),
        "state": cimi_filter.StringAttribute("status", resources.job_states),
    }
    return _listed(ctx, "Job", "jobs", read, attributes)


HANDLERS: Final[Mapping[str, Callable[[Context, list[str]], Response]]] = {
    "machines": machines,
    "machineTemplates": machine_templates,
    "machineConfigs": machine_configs,
    "machineImages": machine_images,
    "credentials": credentials,
    "volumes": volumes,
    "jobs": jobs,
}


def route(ctx: Context, key: str, rest: list[str]) -> Response:
    handler = HANDLERS.get(key)
    if handler is None:
        raise CimiError(404, f"no collection {key!r}: start from the CloudEntryPoint")
    return handler(ctx, rest)
