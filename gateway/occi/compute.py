"""``compute``: an instance. Created from an ``os_tpl`` (the image) and a ``resource_tpl`` (the
flavor), with the contextualization mixins' key and user data on the same config drive every
API's launch writes; its links are its network interfaces and attached volumes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from core import LaunchRequest
from core.states import LIVE_INSTANCE_STATES, InstanceState
from core.views import FlavorView, InstanceQuery, InstanceView
from gateway.common import NotBase64, decode_user_data
from gateway.occi import kinds, templates
from gateway.occi.categories import OS_TPL_SCHEME, RESOURCE_TPL_SCHEME, Category, Value
from gateway.occi.document import CategoryRef, Document, Entity
from gateway.occi.kinds import Context
from gateway.occi.links import attached_entity, interface_entity
from gateway.occi.protocol import OcciError
from gateway.occi.schema import (
    COMPUTE,
    CONTEXT_MIXINS,
    ENTITY,
    FIXED,
    NETWORK,
    OS_TPL,
    RESOURCE,
    RESOURCE_TPL,
    RESTART,
    START,
    STOP,
    STORAGELINK,
    SUSPEND,
)
from translations.occi import compute_state

ACTIONS_NOW: Final[Mapping[InstanceState, tuple[Category, ...]]] = {
    InstanceState.RUNNING: (STOP, RESTART),
    InstanceState.STOPPED: (START,),
}
LISTED: Final = LIVE_INSTANCE_STATES
KEY_ATTRIBUTES: Final = (
    "org.openstack.credentials.publickey.data",
    "occi.credentials.ssh.publickey",
)
SET_BY_SERVER: Final = frozenset(
    {"occi.compute.state", "occi.compute.state.message", "occi.compute.architecture"}
)


def compute_entity(instance: InstanceView, version: tuple[int, int]) -> Entity:
    attributes: list[tuple[str, Value]] = [
        ("occi.core.id", str(instance.id)),
        ("occi.core.title", instance.name),
        ("occi.compute.architecture", "x64"),
        ("occi.compute.cores", instance.vcpus),
        ("occi.compute.hostname", instance.hostname),
        ("occi.compute.memory", instance.memory_mib / 1024),
        ("occi.compute.state", compute_state(instance.state, version)),
    ]
    if instance.state_reason:
        attributes.append(("occi.compute.state.message", instance.state_reason))
    links = [interface_entity(instance, nic) for nic in instance.nics]
    links += [attached_entity(instance, volume) for volume in instance.volumes]
    return Entity(
        COMPUTE,
        (
            templates.os_tpl(instance.image_id, instance.image_name),
            templates.resource_tpl(instance.flavor_id, instance.flavor_name),
        ),
        kinds.location(COMPUTE, instance.id),
        tuple(attributes),
        ACTIONS_NOW.get(instance.state, ()),
        tuple(links),
    )


@dataclass(frozen=True, slots=True)
class _Mixins:
    """What a request's mixins say about the compute it makes or changes."""

    image: uuid.UUID | None
    flavor: uuid.UUID | None
    context: tuple[Category, ...]

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(a.name for m in self.context for a in m.attributes)


def _unknown_mixin(ref: CategoryRef) -> OcciError:
    return OcciError(404, f"no mixin {ref.identifier}: GET the query interface for the mixins")


def _mixins(doc: Document) -> _Mixins:
    image = flavor = None
    context = []
    for ref in doc.of_class("mixin"):
        if ref.scheme == OS_TPL_SCHEME:
            image = templates.id_of(ref.term, templates.IMAGE_TERM)
            if image is None:
                raise _unknown_mixin(ref)
        elif ref.scheme == RESOURCE_TPL_SCHEME:
            flavor = templates.id_of(ref.term, templates.FLAVOR_TERM)
            if flavor is None:
                raise _unknown_mixin(ref)
        elif ref.identifier in (OS_TPL.identifier, RESOURCE_TPL.identifier):
            continue  # the families themselves: they name no template
        elif FIXED.get(ref.identifier) in CONTEXT_MIXINS:
            context.append(FIXED[ref.identifier])
        elif ref.identifier in FIXED:
            raise OcciError(400, f"mixin {ref.identifier} does not apply to a compute")
        else:
            raise _unknown_mixin(ref)
    return _Mixins(image, flavor, tuple(context))


def _public_key(doc: Document) -> str | None:
    given = {kinds.string(doc, name) for name in KEY_ATTRIBUTES} - {None}
    if len(given) > 1:
        raise OcciError(400, "two different SSH keys given: send one ssh_key or public_key")
    return given.pop() if given else None


def _user_data(doc: Document) -> bytes:
    """rOCCI-cli base64-encodes the OpenStack-named user data; OCCI 1.2's ``userdata`` is
    carried as the text it is."""
    encoded = kinds.string(doc, "org.openstack.compute.user_data")
    plain = kinds.string(doc, "occi.compute.userdata")
    if encoded is not None and plain is not None:
        raise OcciError(400, "two user data given: send one user_data mixin")
    if plain is not None:
        return plain.encode()
    try:
        return decode_user_data(encoded)
    except NotBase64:
        raise OcciError(400, "org.openstack.compute.user_data is not base64") from None


def _check_size(doc: Document, flavor: FlavorView | None) -> None:
    """Cores and memory come from the resource_tpl; a client may repeat them, not change them."""
    cores = doc.attributes.get("occi.compute.cores")
    memory = doc.attributes.get("occi.compute.memory")
    if (cores is None and memory is None) or flavor is None:
        return
    if (cores is not None and cores != flavor.vcpus) or (
        memory is not None and memory != flavor.memory_mib / 1024
    ):
        raise OcciError(
            400, f"cores and memory are the resource_tpl's ({flavor.name}): choose another one"
        )


def _network(doc: Document) -> str | None:
    """The network of the one interface a compute gets, from an inline Link."""
    networks = []
    for link in doc.links:
        if "/storage/" in link.target:
            raise OcciError(
                400,
                "storage is linked once the compute is active: POST a storagelink to "
                f"{STORAGELINK.location}",
            )
        networks.append(kinds.id_in(link.target, NETWORK))
    if len(networks) > 1:
        raise OcciError(400, "a compute gets one network interface: link one network")
    return str(networks[0]) if networks else None


class Computes:
    kind = COMPUTE

    def list(self, ctx: Context) -> list[Entity]:
        page = ctx.services.compute.list_instances(ctx.caller, InstanceQuery(states=LISTED))
        return [compute_entity(i, ctx.version) for i in page.items]

    def get(self, ctx: Context, id_: uuid.UUID) -> Entity:
        instance = ctx.services.compute.get_instance(ctx.caller, str(id_))
        kinds.require_listed(instance.state in LISTED, COMPUTE, id_)
        return compute_entity(instance, ctx.version)

    def create(self, ctx: Context, doc: Document) -> Entity:
        mixins = _mixins(doc)
        kinds.refuse_unknown(doc, _known(mixins))
        if mixins.image is None or mixins.flavor is None:
            raise OcciError(
                400,
                "a compute needs an os_tpl and a resource_tpl mixin: GET the query interface "
                "for the templates",
            )
        flavor = next((f for f in ctx.templates.flavors if f.id == mixins.flavor), None)
        if flavor is None:
            raise OcciError(404, f"no resource_tpl for flavor {mixins.flavor}")
        _check_size(doc, flavor)
        for name in SET_BY_SERVER & set(doc.attributes):
            if name != "occi.compute.architecture" or doc.attributes[name] != "x64":
                raise OcciError(400, f"{name} is set by the server")
        title = kinds.string(doc, "occi.core.title")
        hostname = kinds.string(doc, "occi.compute.hostname")
        reservation = ctx.services.compute.launch(
            ctx.caller,
            LaunchRequest(
                image=str(mixins.image),
                flavor=str(mixins.flavor),
                name=title,
                hostname=None if hostname in (None, title) else hostname,
                instance_id=kinds.chosen_id(doc),
                public_key=_public_key(doc),
                user_data=_user_data(doc),
                network=_network(doc),
            ),
        )
        return compute_entity(reservation.instances[0], ctx.version)

    def update(self, ctx: Context, id_: uuid.UUID, doc: Document) -> Entity:
        current = ctx.services.compute.get_instance(ctx.caller, str(id_))
        mixins = _mixins(doc)
        kinds.refuse_unknown(doc, frozenset({"occi.core.id", "occi.core.title"}))
        if mixins.image not in (None, current.image_id):
            raise OcciError(400, "the os_tpl of a compute cannot change: create another compute")
        if mixins.context:
            raise OcciError(400, "the key and user data are given once, at creation")
        if kinds.chosen_id(doc) not in (None, id_):
            raise OcciError(400, "occi.core.id cannot change")
        if mixins.flavor not in (None, current.flavor_id):
            ctx.services.compute.change_flavor(ctx.caller, str(id_), str(mixins.flavor))
        title = kinds.string(doc, "occi.core.title")
        if title is not None and title != current.name:
            ctx.services.compute.update_instance(ctx.caller, str(id_), name=title)
        return self.get(ctx, id_)

    def delete(
        self, ctx: Context, ids: Sequence[uuid.UUID], *, whole_collection: bool = False
    ) -> None:
        ctx.services.compute.terminate_instances(ctx.caller, [str(i) for i in ids])

    def act(
        self,
        ctx: Context,
        ids: Sequence[uuid.UUID],
        action: Category,
        attributes: Mapping[str, Value],
    ) -> None:
        refs = [str(i) for i in ids]
        compute = ctx.services.compute
        if action == START:
            compute.start_instances(ctx.caller, refs)
        elif action == STOP:
            compute.stop_instances(ctx.caller, refs, force=attributes.get("method") == "poweroff")
        elif action == RESTART:
            compute.reboot_instances(ctx.caller, refs)
        elif action == SUSPEND:
            raise OcciError(
                400, "suspend is not supported: guests are stopped (stop) and started again"
            )


def _known(mixins: _Mixins) -> frozenset[str]:
    return (
        frozenset(a.name for c in (ENTITY, RESOURCE, COMPUTE) for a in c.attributes)
        | mixins.attributes
    )
