"""Core views as CIMI resources: plain values in CIMI's names and units, in JSON's shape, which
the representation layer writes as JSON or as XSD-ordered XML.

Units are CIMI's: memory in kibibytes, disk and volume capacity in kilobytes (DSP0263 §5.x).
Each resource lists only the operations allowed now, for this caller (§4.1: ``operations``).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from core.enums import ImageState, JobStatus, SnapshotState, VolumeState
from core.states import LIVE_INSTANCE_STATES, InstanceState
from core.views import (
    AddressView,
    AttachedVolume,
    DiskOfferingView,
    EventView,
    FlavorView,
    ImageView,
    InstanceView,
    InterfaceView,
    JobView,
    KeyPairView,
    LaunchTemplateView,
    NetworkView,
    NicView,
    SnapshotView,
    VolumeTemplateView,
    VolumeView,
)
from gateway.cimi import representation
from gateway.cimi.paths import Urls, type_uri
from translations.cimi import (
    ACTION,
    EVENT,
    EVENT_OUTCOMES,
    EVENT_SEVERITIES,
    EVENT_TYPES,
    JOB_ACTIONS,
    JOB_STATES,
    NETWORK_STATES,
    SNAPSHOT_STATES,
    VOLUME_STATES,
)
from translations.states import INSTANCE_STATES

__all__ = ["ACTION"]

Values = dict[str, Any]
KIB_PER_MIB: Final = 1024
KB_PER_GIB: Final = 1024 * 1024  # CIMI's "kilobytes" are 1024 bytes, as every anchor counts
MACHINE_ACTIONS: Final[Mapping[InstanceState, tuple[str, ...]]] = {
    InstanceState.RUNNING: ("stop", "restart"),
    InstanceState.STOPPED: ("start",),
}
IMAGE_STATES: Final[Mapping[ImageState, str]] = {
    ImageState.PENDING: "CREATING",
    ImageState.AVAILABLE: "AVAILABLE",
    ImageState.FAILED: "ERROR",
    ImageState.DEREGISTERED: "DELETING",
}


# A machine being deleted is gone for CIMI at once (its Job says how the deletion ends).
LISTED_MACHINES: Final = LIVE_INSTANCE_STATES


def instance_states(name: str) -> list[InstanceState]:
    """The core states a CIMI Machine state stands for, for ``$filter``."""
    return [s for s in LISTED_MACHINES if INSTANCE_STATES[s].cimi == name]


def job_states(name: str) -> list[JobStatus]:
    return [s for s, cimi in JOB_STATES.items() if cimi == name]


def when(moment: dt.datetime | None) -> str | None:
    """xs:dateTime with an offset, as the spec wants every date."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.isoformat(timespec="seconds")


def _common(
    urls: Urls,
    kind: str,
    collection: str,
    id_: uuid.UUID,
    name: str | None,
    created: dt.datetime | None,
    updated: dt.datetime | None = None,
    properties: Mapping[str, str] | None = None,
) -> Values:
    return {
        "resourceURI": type_uri(kind),
        "id": urls.of(collection, id_),
        "name": name,
        "created": when(created),
        "updated": when(updated or created),
        "properties": dict(properties or {}),
    }


def _operation(rel: str, href: str) -> Values:
    return {"rel": rel, "href": href}


def machine(urls: Urls, view: InstanceView) -> Values:
    self_href = urls.of("machines", view.id)
    actions = MACHINE_ACTIONS.get(view.state, ())
    operations = [_operation("edit", self_href), _operation("delete", self_href)]
    operations += [_operation(f"{ACTION}{a}", self_href) for a in actions]
    if view.state in (InstanceState.RUNNING, InstanceState.STOPPED):
        operations.append(_operation(f"{ACTION}capture", urls.collection("machineImages")))
    return {
        **_common(
            urls,
            "Machine",
            "machines",
            view.id,
            view.name,
            view.created_at,
            view.launched_at,
            view.tags,
        ),
        "state": INSTANCE_STATES[view.state].cimi,
        "cpu": view.vcpus,
        "memory": view.memory_mib * KIB_PER_MIB,
        "disks": {"href": urls.below("machines", view.id, "disks")},
        "cpuArch": "x86_64",
        "volumes": {"href": urls.below("machines", view.id, "volumes")},
        "networkInterfaces": {"href": urls.below("machines", view.id, "networkInterfaces")},
        "eventLog": {"href": urls.of("eventLogs", view.id)},
        "operations": operations,
    }


def machine_configuration(urls: Urls, flavor: FlavorView) -> Values:
    return {
        **_common(
            urls,
            "MachineConfiguration",
            "machineConfigs",
            flavor.id,
            flavor.name,
            flavor.created_at,
        ),
        "cpu": flavor.vcpus,
        "memory": flavor.memory_mib * KIB_PER_MIB,
        "disks": [{"capacity": flavor.disk_gib * KB_PER_GIB, "format": "qcow2"}],
        "cpuArch": "x86_64",
    }


def machine_image(urls: Urls, image: ImageView, caller_account: uuid.UUID | None = None) -> Values:
    """``caller_account``: whose the listing is; only an image's owner may delete it."""
    href = urls.of("machineImages", image.id)
    mine = caller_account == image.owner_account_id
    return {
        **_common(
            urls,
            "MachineImage",
            "machineImages",
            image.id,
            image.name,
            image.created_at,
            properties=image.tags,
        ),
        "description": image.description or None,
        "state": IMAGE_STATES[image.state],
        "type": "IMAGE",
        "imageLocation": href,
        "operations": [_operation("edit", href), _operation("delete", href)] if mine else [],
    }


def machine_template(
    urls: Urls, view: LaunchTemplateView, credential_id: uuid.UUID | None
) -> Values:
    href = urls.of("machineTemplates", view.id)
    return {
        **_common(
            urls,
            "MachineTemplate",
            "machineTemplates",
            view.id,
            view.name,
            view.created_at,
            view.updated_at,
            view.tags,
        ),
        "description": view.description or None,
        "initialState": "STARTED" if view.start else "STOPPED",
        "machineConfig": {"href": urls.of("machineConfigs", view.flavor_id)},
        "machineImage": {"href": urls.of("machineImages", view.image_id)},
        "credential": {"href": urls.of("credentials", credential_id)} if credential_id else None,
        "userData": base64.b64encode(view.user_data).decode() if view.user_data else None,
        "operations": [_operation("edit", href), _operation("delete", href)],
    }


def credential(urls: Urls, key: KeyPairView) -> Values:
    href = urls.of("credentials", key.id)
    return {
        **_common(urls, "Credential", "credentials", key.id, key.name, key.created_at),
        "key": key.public_key,
        "operations": [_operation("delete", href)],
    }


def volume(urls: Urls, view: VolumeView) -> Values:
    href = urls.of("volumes", view.id)
    deletable = view.instance_id is None and view.state in (
        VolumeState.AVAILABLE,
        VolumeState.ERROR,
    )
    return {
        **_common(
            urls,
            "Volume",
            "volumes",
            view.id,
            view.name,
            view.created_at,
            view.attached_at,
            view.tags,
        ),
        "state": VOLUME_STATES[view.state],
        "type": type_uri("mapped"),
        "capacity": view.size_gib * KB_PER_GIB,
        "bootable": view.volume_type.value == "root",
        "eventLog": {"href": urls.of("eventLogs", view.id)},
        "operations": [_operation("edit", href)]
        + ([_operation("delete", href)] if deletable else []),
    }


def volume_configuration(urls: Urls, offering: DiskOfferingView) -> Values:
    return {
        **_common(
            urls,
            "VolumeConfiguration",
            "volumeConfigs",
            offering.id,
            offering.name,
            offering.created_at,
        ),
        "description": offering.description or None,
        "type": type_uri("mapped"),
        "format": "qcow2",
        "capacity": offering.size_gib * KB_PER_GIB if offering.size_gib else None,
    }


def volume_template(urls: Urls, view: VolumeTemplateView) -> Values:
    href = urls.of("volumeTemplates", view.id)
    config: Values | None = None
    if view.disk_offering_id:
        config = {"href": urls.of("volumeConfigs", view.disk_offering_id)}
    elif view.size_gib:
        config = {"type": type_uri("mapped"), "format": "qcow2",
                  "capacity": view.size_gib * KB_PER_GIB}  # fmt: skip
    return {
        **_common(
            urls,
            "VolumeTemplate",
            "volumeTemplates",
            view.id,
            view.name,
            view.created_at,
            view.updated_at,
            view.tags,
        ),
        "description": view.description or None,
        "volumeConfig": config,
        "volumeImage": (
            {"href": urls.of("volumeImages", view.snapshot_id)} if view.snapshot_id else None
        ),
        "operations": [_operation("edit", href), _operation("delete", href)],
    }


def volume_image(urls: Urls, snapshot: SnapshotView) -> Values:
    href = urls.of("volumeImages", snapshot.id)
    done = snapshot.state in (SnapshotState.COMPLETED, SnapshotState.ERROR)
    return {
        **_common(
            urls,
            "VolumeImage",
            "volumeImages",
            snapshot.id,
            snapshot.name,
            snapshot.created_at,
            properties=snapshot.tags,
        ),
        "description": snapshot.description or None,
        "state": SNAPSHOT_STATES[snapshot.state],
        "imageLocation": urls.of("volumes", snapshot.volume_id),
        "bootable": snapshot.volume_type.value == "root",
        "operations": [_operation("edit", href)] + ([_operation("delete", href)] if done else []),
    }


def network(urls: Urls, view: NetworkView) -> Values:
    href = urls.of("networks", view.id)
    own = not view.shared
    return {
        **_common(
            urls, "Network", "networks", view.id, view.name, view.created_at, properties=view.tags
        ),
        "description": view.description or None,
        "state": NETWORK_STATES[view.state],
        "networkType": "PRIVATE",
        "eventLog": {"href": urls.of("eventLogs", view.id)},
        "operations": [_operation("edit", href), _operation("delete", href)] if own else [],
    }


def port_state(machine: InstanceState) -> str:
    """A port is up while its machine runs."""
    return "STARTED" if machine is InstanceState.RUNNING else "STOPPED"


def port_states(name: str) -> list[InstanceState]:
    """The machine states a CIMI NetworkPort state stands for, for ``$filter``."""
    return [s for s in InstanceState if port_state(s) == name]


def network_port(urls: Urls, interface: InterfaceView) -> Values:
    """A NIC as the network sees it: a port, up while its machine runs."""
    nic, machine = interface.nic, interface.instance
    return {
        **_common(
            urls,
            "NetworkPort",
            "networkPorts",
            nic.id,
            f"eth{nic.device_index} of {machine.name}",
            interface.created_at,
        ),
        "state": port_state(machine.state),
        "network": {"href": urls.of("networks", nic.network_id)},
        "portType": "ACCESS",
    }


# The id of the one NetworkConfiguration: derived from its name, so every replica and every
# release gives the same one.
PRIVATE_NETWORK: Final = uuid.uuid5(uuid.NAMESPACE_URL, "cloudgate:cimi:networkConfig:private")


def network_configuration(urls: Urls, since: dt.datetime) -> Values:
    """``since``: when the cloud first made a network of this configuration (its zone's
    default network)."""
    return {
        "resourceURI": type_uri("NetworkConfiguration"),
        "id": urls.of("networkConfigs", PRIVATE_NETWORK),
        "name": "private",
        "created": when(since),
        "updated": when(since),
        "description": "an isolated network with DHCP: a /24 the cloud picks",
        "networkType": "PRIVATE",
    }


def address(urls: Urls, view: AddressView) -> Values:
    href = urls.of("addresses", view.id)
    return {
        **_common(
            urls,
            "Address",
            "addresses",
            view.id,
            view.ip,
            view.created_at,
            view.associated_at,
            view.tags,
        ),
        "ip": view.ip,
        "allocation": "static",
        "protocol": "IPv4",
        "resource": ({"href": urls.of("machines", view.instance_id)} if view.instance_id else None),
        "operations": [_operation("edit", href)]
        + ([] if view.instance_id else [_operation("delete", href)]),
    }


def event_log(urls: Urls, id_: uuid.UUID, name: str, created: dt.datetime) -> Values:
    return {
        "resourceURI": type_uri("EventLog"),
        "id": urls.of("eventLogs", id_),
        "name": name,
        "created": when(created),
        "updated": when(created),
        "events": {"href": urls.below("eventLogs", id_, "events")},
        "persistence": "durable",
    }


def event(urls: Urls, log_id: uuid.UUID, view: EventView) -> Values:
    collection = RESOURCE_COLLECTIONS.get(view.resource_kind.value) if view.resource_kind else None
    target = urls.of(collection, view.resource_id) if collection and view.resource_id else None
    return {
        "resourceURI": type_uri("Event"),
        "id": urls.below("eventLogs", log_id, "events", view.id),
        "name": view.type.value,
        "description": view.description,
        "created": when(view.created_at),
        "updated": when(view.created_at),
        "timestamp": when(view.created_at),
        "type": f"{EVENT}{EVENT_TYPES[view.level]}",
        "content": {"resource": target or "", "state": view.state.value, "type": view.type.value},
        "outcome": EVENT_OUTCOMES[view.state],
        "severity": EVENT_SEVERITIES[view.level],
    }


def machine_volume(urls: Urls, machine_id: uuid.UUID, view: VolumeView | AttachedVolume) -> Values:
    """A volume as attached to a machine, from the volume's view or from the machine's."""
    href = urls.below("machines", machine_id, "volumes", view.id)
    attached = when(view.attached_at)
    return {
        "resourceURI": type_uri("MachineVolume"),
        "id": href,
        "created": attached,
        "updated": attached,
        "initialLocation": f"/dev/{view.device}" if view.device else None,
        "volume": {"href": urls.of("volumes", view.id)},
        "operations": [] if view.volume_type.value == "root" else [_operation("delete", href)],
    }


MACHINE_COLLECTIONS: Final = {
    "disks": "Disk",
    "volumes": "MachineVolume",
    "networkInterfaces": "MachineNetworkInterface",
}


def machine_collection(urls: Urls, view: InstanceView, name: str) -> Values:
    """One of a Machine's collections (``MACHINE_COLLECTIONS``) whole, as ``$expand`` inlines
    it: each comes from the instance's own view."""
    items: dict[str, Callable[[], list[Values]]] = {
        "disks": lambda: disks(view),
        "volumes": lambda: [machine_volume(urls, view.id, v) for v in view.volumes],
        "networkInterfaces": lambda: network_interfaces(urls, view),
    }
    return representation.collection(
        MACHINE_COLLECTIONS[name], urls.below("machines", view.id, name), items[name]()
    )


def disks(view: InstanceView) -> list[Values]:
    """A Machine's disks: its root disk, as its flavor made it (attached volumes are its
    MachineVolumes)."""
    return [{"resourceURI": type_uri("Disk"), "capacity": view.disk_gib * KB_PER_GIB,
             "initialLocation": "/dev/vda"}]  # fmt: skip


def network_interfaces(urls: Urls, view: InstanceView) -> list[Values]:
    return [network_interface(urls, view, nic) for nic in view.nics]


def network_interface(urls: Urls, view: InstanceView, nic: NicView) -> Values:
    href = urls.below("machines", view.id, "networkInterfaces", nic.id)
    return {
        "resourceURI": type_uri("MachineNetworkInterface"),
        "id": href,
        "name": f"eth{nic.device_index}",
        "created": when(view.created_at),
        "updated": when(view.created_at),
        "addresses": {"href": f"{href}/addresses"},
        "network": {"href": urls.of("networks", nic.network_id)},
        "networkPort": {"href": urls.of("networkPorts", nic.id)},
        "state": "ACTIVE" if view.state is InstanceState.RUNNING else "STANDBY",
        "macAddress": nic.mac,
    }


def interface_address(urls: Urls, interface_href: str, view: AddressView) -> Values:
    """The public address bound to a machine, as its interface shows it."""
    href = f"{interface_href}/addresses/{view.id}"
    return {
        "resourceURI": type_uri("MachineNetworkInterfaceAddress"),
        "id": href,
        "created": when(view.associated_at),
        "updated": when(view.associated_at),
        "address": {"href": urls.of("addresses", view.id)},
        "operations": [_operation("delete", href)],
    }


RESOURCE_COLLECTIONS: Final = {
    "instance": "machines",
    "volume": "volumes",
    "snapshot": "volumeImages",
    "image": "machineImages",
    "key-pair": "credentials",
    "network": "networks",
}


def job(urls: Urls, view: JobView) -> Values:
    collection = RESOURCE_COLLECTIONS.get(view.resource_kind.value)
    target = urls.of(collection, view.resource_id) if collection else None
    finished = view.finished_at is not None
    failed = view.error_kind is not None
    return {
        **_common(urls, "Job", "jobs", view.id, view.kind.value, view.created_at, view.updated_at),
        "state": JOB_STATES[view.status],
        "targetResource": {"href": target} if target else None,
        "affectedResources": [{"href": target}] if target else [],
        "action": JOB_ACTIONS[view.kind],
        "returnCode": (1 if failed else 0) if finished else None,
        "progress": 100 if finished else 0,
        "statusMessage": view.error_text or None,
        "timeOfStatusChange": when(view.finished_at or view.updated_at),
        "operations": [],
    }
