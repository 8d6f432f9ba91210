"""The fixed part of the model this server offers: OCCI Core, OCCI Infrastructure (GFD.184 and
its 1.2 successor GFD.224), the contextualization mixins, and where each kind lives.

Every location is an absolute path under ``PREFIX``, where ``gateway.app`` mounts the API:
rOCCI-cli keeps only the path of a location and resolves it against the endpoint's host, and
follows a resource link only when it starts with ``/`` or with the endpoint itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from gateway.occi.categories import (
    COMPUTE_ACTION,
    COMPUTE_MIXINS,
    CORE,
    CREDENTIALS,
    INFRA,
    IPNETWORK,
    IPNETWORKINTERFACE,
    NETWORK_ACTION,
    OPENSTACK_CREDENTIALS,
    OPENSTACK_INSTANCE,
    STORAGE_ACTION,
    Attribute,
    Category,
    Class,
    Type,
)

PREFIX: Final = "/occi"
# No title or description here holds a comma: rOCCI splits text/occi headers at every comma,
# inside quotes too (tests/unit/test_occi_text.py checks).

_S, _N, _B = Type.STRING, Type.NUMBER, Type.BOOLEAN


def _immutable(name: str, kind: Type = _S, description: str = "") -> Attribute:
    return Attribute(name, kind, mutable=False, description=description)


def _action(scheme: str, term: str, title: str, *attributes: Attribute) -> Category:
    return Category(scheme, term, Class.ACTION, title, attributes=attributes)


def _kind(
    term: str,
    title: str,
    parent: str | None,
    attributes: tuple[Attribute, ...],
    actions: tuple[Category, ...] = (),
    location: str | None = None,
    scheme: str = INFRA,
) -> Category:
    return Category(
        scheme,
        term,
        Class.KIND,
        title,
        related=(parent,) if parent else (),
        attributes=attributes,
        actions=tuple(a.identifier for a in actions),
        location=location,
    )


def _mixin(
    scheme: str,
    term: str,
    title: str,
    applies: tuple[Category, ...],
    attributes: tuple[Attribute, ...] = (),
    location: str | None = None,
    depends: tuple[str, ...] = (),
) -> Category:
    return Category(
        scheme,
        term,
        Class.MIXIN,
        title,
        related=depends,
        applies=tuple(k.identifier for k in applies),
        attributes=attributes,
        location=location or f"{PREFIX}/mixin/{term}/",
    )


ENTITY: Final = _kind(
    "entity",
    "Entity",
    None,
    (
        _immutable("occi.core.id", description="the entity's UUID"),
        Attribute("occi.core.title"),
    ),
    scheme=CORE,
)
RESOURCE: Final = _kind(
    "resource", "Resource", ENTITY.identifier, (Attribute("occi.core.summary"),), scheme=CORE
)
LINK: Final = _kind(
    "link",
    "Link",
    ENTITY.identifier,
    (
        Attribute("occi.core.source", required=True),
        Attribute("occi.core.target", required=True),
    ),
    scheme=CORE,
)

START = _action(COMPUTE_ACTION, "start", "Start the compute resource")
STOP = _action(
    COMPUTE_ACTION, "stop", "Stop the compute resource", Attribute("method", description="graceful")
)
RESTART = _action(
    COMPUTE_ACTION,
    "restart",
    "Restart the compute resource",
    Attribute("method", description="graceful or warm or cold"),
)
SUSPEND = _action(
    COMPUTE_ACTION,
    "suspend",
    "Suspend the compute resource (refused: guests stop and start instead)",
    Attribute("method"),
)
COMPUTE_ACTIONS: Final = (START, STOP, RESTART, SUSPEND)

ONLINE = _action(STORAGE_ACTION, "online", "Bring the storage online")
OFFLINE = _action(STORAGE_ACTION, "offline", "Take the storage offline (refused: detach instead)")
BACKUP = _action(STORAGE_ACTION, "backup", "Back up the storage (refused: take a snapshot)")
SNAPSHOT = _action(STORAGE_ACTION, "snapshot", "Take a snapshot of the storage")
RESIZE = _action(
    STORAGE_ACTION, "resize", "Grow the storage", Attribute("size", _N, description="GiB")
)
STORAGE_ACTIONS: Final = (ONLINE, OFFLINE, BACKUP, SNAPSHOT, RESIZE)

UP = _action(NETWORK_ACTION, "up", "Bring the network up")
DOWN = _action(NETWORK_ACTION, "down", "Take the network down (refused: networks stay up)")
NETWORK_ACTIONS: Final = (UP, DOWN)

COMPUTE: Final = _kind(
    "compute",
    "Compute Resource",
    RESOURCE.identifier,
    (
        _immutable("occi.compute.architecture", description="x86 or x64"),
        _immutable("occi.compute.cores", _N),
        Attribute("occi.compute.hostname"),
        _immutable("occi.compute.memory", _N, "GiB"),
        _immutable("occi.compute.state", description="active or inactive or suspended or error"),
        _immutable("occi.compute.state.message"),
    ),
    COMPUTE_ACTIONS,
    f"{PREFIX}/compute/",
)
STORAGE: Final = _kind(
    "storage",
    "Storage Resource",
    RESOURCE.identifier,
    (
        Attribute("occi.storage.size", _N, required=True, description="GiB"),
        _immutable("occi.storage.state", description="online or offline or error"),
        _immutable("occi.storage.state.message"),
    ),
    STORAGE_ACTIONS,
    f"{PREFIX}/storage/",
)
NETWORK: Final = _kind(
    "network",
    "Network Resource",
    RESOURCE.identifier,
    (
        _immutable("occi.network.vlan", _N),
        Attribute("occi.network.label"),
        _immutable("occi.network.state", description="active or inactive"),
        _immutable("occi.network.state.message"),
    ),
    NETWORK_ACTIONS,
    f"{PREFIX}/network/",
)
NETWORKINTERFACE: Final = _kind(
    "networkinterface",
    "Network Interface",
    LINK.identifier,
    (
        _immutable("occi.networkinterface.interface"),
        _immutable("occi.networkinterface.mac"),
        _immutable("occi.networkinterface.state"),
        _immutable("occi.networkinterface.state.message"),
    ),
    location=f"{PREFIX}/link/networkinterface/",
)
STORAGELINK: Final = _kind(
    "storagelink",
    "Storage Link",
    LINK.identifier,
    (
        Attribute("occi.storagelink.deviceid"),
        _immutable("occi.storagelink.mountpoint"),
        _immutable("occi.storagelink.state"),
        _immutable("occi.storagelink.state.message"),
    ),
    location=f"{PREFIX}/link/storagelink/",
)

KINDS: Final = (ENTITY, RESOURCE, LINK, COMPUTE, STORAGE, NETWORK, NETWORKINTERFACE, STORAGELINK)
ACTIONS: Final = COMPUTE_ACTIONS + STORAGE_ACTIONS + NETWORK_ACTIONS

OS_TPL: Final = _mixin(INFRA, "os_tpl", "Operating system template", (COMPUTE,))
RESOURCE_TPL: Final = _mixin(INFRA, "resource_tpl", "Resource template", (COMPUTE,))
IPNETWORK_MIXIN: Final = _mixin(
    IPNETWORK,
    "ipnetwork",
    "IP network",
    (NETWORK,),
    (
        _immutable("occi.network.address", description="CIDR"),
        _immutable("occi.network.gateway"),
        _immutable("occi.network.allocation", description="dynamic"),
    ),
)
IPNETWORKINTERFACE_MIXIN: Final = _mixin(
    IPNETWORKINTERFACE,
    "ipnetworkinterface",
    "IP network interface",
    (NETWORKINTERFACE,),
    (
        _immutable("occi.networkinterface.address"),
        _immutable("occi.networkinterface.gateway"),
        _immutable("occi.networkinterface.allocation", description="dynamic"),
    ),
)
SSH_KEY: Final = _mixin(
    CREDENTIALS,
    "ssh_key",
    "An SSH public key for the compute (OCCI 1.2)",
    (COMPUTE,),
    (Attribute("occi.credentials.ssh.publickey", required=True),),
)
USER_DATA: Final = _mixin(
    COMPUTE_MIXINS,
    "user_data",
    "User data for the compute in base64 (OCCI 1.2)",
    (COMPUTE,),
    (Attribute("occi.compute.userdata", required=True),),
)
PUBLIC_KEY: Final = _mixin(
    OPENSTACK_CREDENTIALS,
    "public_key",
    "An SSH public key for the compute (OpenStack name: rOCCI-cli --context public_key)",
    (COMPUTE,),
    (
        Attribute("org.openstack.credentials.publickey.name"),
        Attribute("org.openstack.credentials.publickey.data", required=True),
    ),
)
OPENSTACK_USER_DATA: Final = _mixin(
    OPENSTACK_INSTANCE,
    "user_data",
    "User data for the compute in base64 (OpenStack name: rOCCI-cli --context user_data)",
    (COMPUTE,),
    (Attribute("org.openstack.compute.user_data", required=True),),
    location=f"{PREFIX}/mixin/openstack/user_data/",
)
CONTEXT_MIXINS: Final = (SSH_KEY, USER_DATA, PUBLIC_KEY, OPENSTACK_USER_DATA)
MIXINS: Final = (OS_TPL, RESOURCE_TPL, IPNETWORK_MIXIN, IPNETWORKINTERFACE_MIXIN, *CONTEXT_MIXINS)

FIXED: Final[Mapping[str, Category]] = MappingProxyType(
    {c.identifier: c for c in (*KINDS, *MIXINS, *ACTIONS)}
)
