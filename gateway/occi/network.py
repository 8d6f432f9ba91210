"""``network``: a libvirt network of the zone, with the ``ipnetwork`` mixin for its address
block. Networks are always up in this cloud: ``up`` succeeds on one, ``down`` is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Final

from core.enums import NetworkState
from core.views import NetworkQuery, NetworkView
from gateway.occi import kinds
from gateway.occi.categories import Category, Value
from gateway.occi.document import Document, Entity
from gateway.occi.kinds import Context
from gateway.occi.protocol import OcciError
from gateway.occi.schema import DOWN, ENTITY, IPNETWORK_MIXIN, NETWORK, RESOURCE, UP
from translations.occi import NETWORK_STATES

KNOWN: Final = frozenset(
    a.name for c in (ENTITY, RESOURCE, NETWORK, IPNETWORK_MIXIN) for a in c.attributes
)


def network_entity(network: NetworkView) -> Entity:
    return Entity(
        NETWORK,
        (IPNETWORK_MIXIN,),
        kinds.location(NETWORK, network.id),
        (
            ("occi.core.id", str(network.id)),
            ("occi.core.title", network.name),
            ("occi.core.summary", network.description),
            ("occi.network.state", NETWORK_STATES[network.state]),
            ("occi.network.address", network.cidr),
            ("occi.network.gateway", network.gateway),
            ("occi.network.allocation", "dynamic"),
        ),
    )


class Networks:
    kind = NETWORK

    def list(self, ctx: Context) -> list[Entity]:
        query = NetworkQuery(states=(NetworkState.AVAILABLE,))
        page = ctx.services.networks.list_networks(ctx.caller, query)
        return [network_entity(n) for n in page.items]

    def get(self, ctx: Context, id_: uuid.UUID) -> Entity:
        network = ctx.services.networks.get_network(ctx.caller, str(id_))
        kinds.require_listed(network.state is NetworkState.AVAILABLE, NETWORK, id_)
        return network_entity(network)

    def create(self, ctx: Context, doc: Document) -> Entity:
        for mixin in doc.of_class("mixin"):
            if mixin.identifier != IPNETWORK_MIXIN.identifier:
                raise OcciError(400, f"mixin {mixin.identifier} does not apply to a network")
        kinds.refuse_unknown(doc, KNOWN)
        if "occi.network.vlan" in doc.attributes:
            raise OcciError(400, "occi.network.vlan is not supported: networks are bridges")
        title = kinds.string(doc, "occi.core.title")
        if not title:
            raise OcciError(400, "a network needs occi.core.title")
        network = ctx.services.networks.create_network(
            ctx.caller,
            title,
            cidr=kinds.string(doc, "occi.network.address"),
            description=kinds.string(doc, "occi.core.summary") or "",
            network_id=kinds.chosen_id(doc),
        )
        return network_entity(network)

    def update(self, ctx: Context, id_: uuid.UUID, doc: Document) -> Entity:
        current = ctx.services.networks.get_network(ctx.caller, str(id_))
        kinds.refuse_unknown(doc, frozenset({"occi.core.id", "occi.core.title"}))
        if kinds.string(doc, "occi.core.title") not in (None, current.name):
            raise OcciError(400, "a network keeps the title it was created with")
        return network_entity(current)

    def delete(
        self, ctx: Context, ids: Sequence[uuid.UUID], *, whole_collection: bool = False
    ) -> None:
        """A collection's DELETE removes the caller's own networks: the zone's shared network
        is listed to every account and belongs to none of them."""
        networks = ctx.services.networks
        for id_ in ids:
            network = networks.get_network(ctx.caller, str(id_))
            if whole_collection and network.account_id != ctx.caller.account_id:
                continue
            networks.delete_network(ctx.caller, str(id_))

    def act(
        self,
        ctx: Context,
        ids: Sequence[uuid.UUID],
        action: Category,
        attributes: Mapping[str, Value],
    ) -> None:
        for id_ in ids:
            network = ctx.services.networks.get_network(ctx.caller, str(id_))
            if action == DOWN:
                raise OcciError(400, "a network cannot be taken down: delete it instead")
            if action == UP and network.state is not NetworkState.AVAILABLE:
                raise OcciError(409, f"network {id_} is being deleted")
