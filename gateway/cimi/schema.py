"""The CIMI 1.x resource types the gateway reads and writes, as data: each type's attributes in
the order of its ``xs:sequence`` in DMTF DSP8009 1.0.2, with the kind of value each holds.

One table serves both media types. JSON uses an attribute's ``name`` (``disks``, ``operations``,
``properties``); XML uses its ``xml`` element name (``disk``, ``operation``, ``property``) and
the table's order, which the schema makes strict. The order is the XSD's, not the model's:
a Credential lists its operations before ``userName``, an Event has none, a Disk of a
Machine has no common attributes, and a Network's ``networkPorts`` holds NetworkNetworkPort
associations (each naming its NetworkPort), not the NetworkPorts themselves.
``tests/unit/test_cimi_representation.py`` checks every table against the schema file.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

NAMESPACE: Final = "http://schemas.dmtf.org/cimi/1"


class Kind(enum.Enum):
    STRING = "string"  # xs:string and xs:anyURI text
    INTEGER = "integer"  # xs:long: a JSON number
    BOOLEAN = "boolean"
    DATETIME = "dateTime"  # with its offset
    BYTES = "bytes"  # byte[]: xs:hexBinary in XML, base64 in JSON
    REF = "ref"  # {"href": ...}, or the resource itself when expanded or given by value
    COLLECTION = "collection"  # a ref to a collection, or the collection when expanded
    STRUCT = "struct"  # a nested value with no identity of its own (a configuration's disk)
    PROPERTIES = "properties"  # string → string; XML <property key="k">v</property>
    OPERATIONS = "operations"  # [{"rel", "href"}]; XML <operation rel="" href=""/>
    ANY = "any"  # an Event's content: a flat mapping written as child elements


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the JSON key
    kind: Kind
    xml: str  # the XML element (or attribute) name
    target: str | None = None  # the type a REF, COLLECTION or STRUCT holds; None: any type
    many: bool = False  # a JSON array; a repeated XML element
    attribute: bool = False  # an XML attribute rather than a child element


@dataclass(frozen=True, slots=True)
class Type:
    name: str
    fields: tuple[Field, ...]
    items: str | None = None  # the JSON key of its collection's member array
    collection_ref_operations: bool = True  # JobCollRef, NetworkNetworkPortCollRef have none
    is_collection: bool = False  # written as <Collection resourceURI="..."> at the root

    @property
    def uri(self) -> str:
        return f"{NAMESPACE}/{self.name}"

    def field(self, name: str) -> Field | None:
        """The attribute named ``name`` in JSON."""
        return next((field for field in self.fields if field.name == name), None)

    def xml_field(self, name: str, *, attribute: bool) -> Field | None:
        """The attribute written as the XML element (or attribute) ``name``."""
        return next(
            (f for f in self.fields if f.xml == name and f.attribute == attribute),
            None,
        )


def string(name: str, xml: str | None = None, *, many: bool = False) -> Field:
    return Field(name, Kind.STRING, xml or name, many=many)


def integer(name: str) -> Field:
    return Field(name, Kind.INTEGER, name)


def boolean(name: str) -> Field:
    return Field(name, Kind.BOOLEAN, name)


def date_time(name: str) -> Field:
    return Field(name, Kind.DATETIME, name)


def ref(name: str, target: str | None, xml: str | None = None, *, many: bool = False) -> Field:
    """``target`` None is the XSD's expRef: a reference to a resource of any type."""
    return Field(name, Kind.REF, xml or name, target, many=many)


def collection_ref(name: str, item_type: str) -> Field:
    return Field(name, Kind.COLLECTION, name, item_type)


def struct(name: str, target: str, xml: str | None = None, *, many: bool = False) -> Field:
    return Field(name, Kind.STRUCT, xml or name, target, many=many)


def xml_attribute(name: str) -> Field:
    return Field(name, Kind.STRING, name, attribute=True)


COMMON: Final = (
    string("id"),
    string("name"),
    string("description"),
    date_time("created"),
    date_time("updated"),
    Field("properties", Kind.PROPERTIES, "property"),
)
OPERATIONS: Final = Field("operations", Kind.OPERATIONS, "operation")

# What every 1.x template ends with: the meters and the event log its resources will have
_TEMPLATE_TAIL: Final = (
    ref("meterTemplates", "MeterTemplate", "meterTemplate", many=True),
    ref("eventLogTemplate", "EventLogTemplate"),
    OPERATIONS,
)
_VOLUME_TEMPLATE: Final = (
    *COMMON,
    ref("volumeConfig", "VolumeConfiguration"),
    ref("volumeImage", "VolumeImage"),
    *_TEMPLATE_TAIL,
)
# An Address and its AddressTemplate share these, in this order; only the Address has a resource
_ADDRESS_VALUES: Final = (
    *COMMON,
    string("ip"),
    string("hostname"),
    string("allocation"),
    string("defaultGateway"),
    string("dns", many=True),
    string("protocol"),
    string("mask"),
    ref("network", "Network"),
)
_CREDENTIAL: Final = (
    *COMMON,
    OPERATIONS,
    string("userName"),
    string("password"),
    Field("key", Kind.BYTES, "key"),
)

TYPES: Final[Mapping[str, Type]] = {
    t.name: t
    for t in (
        Type(
            "CloudEntryPoint",
            (
                *COMMON,
                string("baseURI"),
                collection_ref("machines", "Machine"),
                collection_ref("machineTemplates", "MachineTemplate"),
                collection_ref("machineConfigs", "MachineConfiguration"),
                collection_ref("machineImages", "MachineImage"),
                collection_ref("credentials", "Credential"),
                collection_ref("volumes", "Volume"),
                collection_ref("volumeTemplates", "VolumeTemplate"),
                collection_ref("volumeConfigs", "VolumeConfiguration"),
                collection_ref("volumeImages", "VolumeImage"),
                collection_ref("networks", "Network"),
                collection_ref("networkTemplates", "NetworkTemplate"),
                collection_ref("networkConfigs", "NetworkConfiguration"),
                collection_ref("networkPorts", "NetworkPort"),
                collection_ref("networkPortTemplates", "NetworkPortTemplate"),
                collection_ref("networkPortConfigs", "NetworkPortConfiguration"),
                collection_ref("addresses", "Address"),
                collection_ref("addressTemplates", "AddressTemplate"),
                collection_ref("jobs", "Job"),
                collection_ref("eventLogs", "EventLog"),
                OPERATIONS,
            ),
        ),
        Type(
            "Machine",
            (
                *COMMON,
                string("state"),
                integer("cpu"),
                integer("memory"),  # KiB
                collection_ref("disks", "Disk"),
                string("cpuArch"),
                integer("cpuSpeed"),  # MHz
                collection_ref("volumes", "MachineVolume"),
                collection_ref("networkInterfaces", "MachineNetworkInterface"),
                ref("latestSnapshot", "MachineImage"),
                collection_ref("snapshots", "MachineSnapshot"),
                collection_ref("meters", "Meter"),
                ref("eventLog", "EventLog"),
                OPERATIONS,
            ),
            items="machines",
        ),
        Type("Disk", (integer("capacity"), string("initialLocation")), items="disks"),
        Type(
            "MachineVolume",
            (*COMMON, string("initialLocation"), ref("volume", "Volume"), OPERATIONS),
            items="machineVolumes",
        ),
        Type(
            "MachineNetworkInterface",
            (
                *COMMON,
                collection_ref("addresses", "MachineNetworkInterfaceAddress"),
                ref("network", "Network"),
                ref("networkPort", "NetworkPort"),
                string("state"),
                string("macAddress"),
                integer("mtu"),
                OPERATIONS,
            ),
            items="machineNetworkInterfaces",
        ),
        Type(
            "MachineNetworkInterfaceAddress",
            (*COMMON, ref("address", "Address"), OPERATIONS),
            items="machineNetworkInterfaceAddresses",
        ),
        Type("MachineCreate", (*COMMON, ref("machineTemplate", "MachineTemplate"))),
        Type(
            "MachineTemplate",
            (
                *COMMON,
                string("initialState"),
                ref("machineConfig", "MachineConfiguration"),
                ref("machineImage", "MachineImage"),
                ref("credential", "CredentialTemplate"),
                struct("volumes", "MachineTemplateVolume", "volume", many=True),
                struct(
                    "volumeTemplates", "MachineTemplateVolumeTemplate", "volumeTemplate", many=True
                ),
                struct("networkInterfaces", "NetworkInterface", "networkInterface", many=True),
                string("userData"),  # xs:string holding base64 text, kept as sent
                *_TEMPLATE_TAIL,
            ),
            items="machineTemplates",
        ),
        Type("MachineTemplateVolume", (xml_attribute("href"), xml_attribute("initialLocation"))),
        Type(
            "MachineTemplateVolumeTemplate",
            (xml_attribute("href"), xml_attribute("initialLocation"), *_VOLUME_TEMPLATE),
        ),
        Type(
            "NetworkInterface",
            (
                ref("addresses", "Address", "address", many=True),
                ref("network", "Network"),
                ref("networkPort", "NetworkPort"),
                string("state"),
                integer("mtu"),
            ),
        ),
        Type(
            "MachineConfiguration",
            (
                *COMMON,
                integer("cpu"),
                integer("memory"),  # KiB
                struct("disks", "DiskConfiguration", "disk", many=True),
                string("cpuArch"),
                integer("cpuSpeed"),
                OPERATIONS,
            ),
            items="machineConfigurations",
        ),
        Type(
            "DiskConfiguration",
            (integer("capacity"), string("format"), string("initialLocation")),  # capacity in KB
        ),
        Type(
            "MachineImage",
            (
                *COMMON,
                string("state"),
                string("type"),
                string("imageLocation"),  # an anyURI as text, not an href
                ref("relatedImage", "MachineImage"),
                OPERATIONS,
            ),
            items="machineImages",
        ),
        Type("Credential", _CREDENTIAL, items="credentials"),
        Type("CredentialTemplate", _CREDENTIAL, items="credentialTemplates"),
        Type("CredentialCreate", (*COMMON, ref("credentialTemplate", "CredentialTemplate"))),
        Type(
            "Volume",
            (
                *COMMON,
                string("state"),
                string("type"),
                integer("capacity"),  # KB
                boolean("bootable"),
                collection_ref("images", "VolumeVolumeImage"),
                collection_ref("meters", "Meter"),
                ref("eventLog", "EventLog"),
                OPERATIONS,
            ),
            items="volumes",
        ),
        Type("VolumeCreate", (*COMMON, ref("volumeTemplate", "VolumeTemplate"))),
        Type("VolumeTemplate", _VOLUME_TEMPLATE, items="volumeTemplates"),
        Type(
            "VolumeConfiguration",
            (*COMMON, string("type"), string("format"), integer("capacity"), OPERATIONS),
            items="volumeConfigurations",
        ),
        Type(
            "VolumeImage",
            (*COMMON, string("state"), string("imageLocation"), boolean("bootable"), OPERATIONS),
            items="volumeImages",
        ),
        Type(
            "Network",
            (
                *COMMON,
                string("state"),
                string("networkType"),
                integer("mtu"),
                string("classOfService"),
                collection_ref("networkPorts", "NetworkNetworkPort"),
                ref("forwardingGroup", "ForwardingGroup"),
                collection_ref("meters", "Meter"),
                ref("eventLog", "EventLog"),
                OPERATIONS,
            ),
            items="networks",
        ),
        Type(
            "NetworkNetworkPort",  # a Network's networkPorts: each names its NetworkPort
            (*COMMON, ref("networkPort", "NetworkPort"), OPERATIONS),
            items="networkNetworkPorts",
            collection_ref_operations=False,
        ),
        Type("NetworkCreate", (*COMMON, ref("networkTemplate", "NetworkTemplate"))),
        Type(
            "NetworkTemplate",
            (
                *COMMON,
                string("initialState"),
                ref("networkConfig", "NetworkConfiguration"),
                ref("forwardingGroup", "ForwardingGroup"),
                *_TEMPLATE_TAIL,
            ),
            items="networkTemplates",
        ),
        Type(
            "NetworkConfiguration",
            (
                *COMMON,
                string("networkType"),
                integer("mtu"),
                string("classOfService"),
                OPERATIONS,
            ),
            items="networkConfigurations",
        ),
        Type(
            "NetworkPort",
            (
                *COMMON,
                string("state"),
                ref("network", "Network"),
                string("portType"),
                string("classOfService"),
                collection_ref("meters", "Meter"),
                ref("eventLog", "EventLog"),
                OPERATIONS,
            ),
            items="networkPorts",
        ),
        Type("NetworkPortCreate", (*COMMON, ref("networkPortTemplate", "NetworkPortTemplate"))),
        Type(
            "NetworkPortTemplate",
            (
                *COMMON,
                ref("network", "Network"),
                ref("networkPortConfig", "NetworkPortConfiguration"),
                *_TEMPLATE_TAIL,
            ),
            items="networkPortTemplates",
        ),
        Type(
            "NetworkPortConfiguration",
            (*COMMON, string("portType"), string("classOfService"), OPERATIONS),
            items="networkPortConfigurations",
        ),
        Type(
            "Address",
            (*_ADDRESS_VALUES, ref("resource", None), OPERATIONS),
            items="addresses",
        ),
        Type("AddressCreate", (*COMMON, ref("addressTemplate", "AddressTemplate"))),
        Type("AddressTemplate", (*_ADDRESS_VALUES, OPERATIONS), items="addressTemplates"),
        Type(
            "Job",
            (
                *COMMON,
                string("state"),
                ref("targetResource", None),
                ref("affectedResources", None, "affectedResource", many=True),
                string("action"),
                integer("returnCode"),
                integer("progress"),
                string("statusMessage"),
                date_time("timeOfStatusChange"),
                ref("parentJob", "Job"),
                ref("nestedJobs", "Job", "nestedJob", many=True),
                OPERATIONS,
            ),
            items="jobs",
            collection_ref_operations=False,
        ),
        Type(
            "EventLog",
            (
                *COMMON,
                ref("targetResource", None),
                collection_ref("events", "Event"),
                string("persistence"),
                struct("summary", "EventLogSummary"),
                OPERATIONS,
            ),
            items="eventLogs",
        ),
        Type(
            "EventLogSummary",
            (integer("low"), integer("medium"), integer("high"), integer("critical")),
        ),
        Type(
            "Event",
            (
                *COMMON,
                date_time("timestamp"),
                string("type"),
                Field("content", Kind.ANY, "content"),
                string("outcome"),
                string("severity"),
                string("contact"),
            ),
            items="events",
        ),
        Type(
            "Action",
            (
                string("action"),
                boolean("force"),
                ref("image", "MachineImage"),
                string("source"),
                string("format"),
                string("destination"),
                Field("properties", Kind.PROPERTIES, "property"),
            ),
        ),
    )
}

COLLECTION_SUFFIX: Final = "Collection"


def type_named(name: str) -> Type:
    """The table of a type; a name it lacks is a programming error, not bad input."""
    try:
        return TYPES[name]
    except KeyError:
        raise KeyError(f"no CIMI type {name!r} in gateway.cimi.schema") from None


def collection_of(item: Type, *, in_ref: bool = False) -> Type:
    """The 1.x Collection of ``item``: id, count, the members, then the collection's operations
    (which an expanded Job collection ref may not carry)."""
    if item.items is None:
        raise KeyError(f"CIMI type {item.name!r} has no collection")
    fields: tuple[Field, ...] = (
        string("id"),
        integer("count"),
        struct(item.items, item.name, item.name, many=True),
    )
    if item.collection_ref_operations or not in_ref:
        fields += (OPERATIONS,)
    return Type(item.name + COLLECTION_SUFFIX, fields, is_collection=True)


def type_of_uri(uri: str) -> Type:
    """``http://schemas.dmtf.org/cimi/1/Machine`` → Machine's table, ``…/MachineCollection`` →
    its collection's."""
    prefix = f"{NAMESPACE}/"
    if not uri.startswith(prefix):
        raise KeyError(f"{uri!r} is not a CIMI 1 type URI")
    name = uri.removeprefix(prefix)
    if name not in TYPES and name.endswith(COLLECTION_SUFFIX):
        return collection_of(type_named(name.removesuffix(COLLECTION_SUFFIX)))
    return type_named(name)
