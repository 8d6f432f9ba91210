"""The CIMI representation layer: its tables follow DSP8009 1.0.2, every type it writes is valid
XML against that schema (full, minimal, expanded, in a Collection) and the same content in JSON,
and request bodies read the same from JSON and XML, with hostile XML refused."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, Final

import pytest
from lxml import etree

from gateway.cimi.representation import (
    RepresentationError,
    collection,
    parse,
    to_json,
    to_xml,
)
from gateway.cimi.schema import NAMESPACE, TYPES, Kind, Type
from tests.cimi_schema import XSD, validate

XS: Final = "{http://www.w3.org/2001/XMLSchema}"
BASE: Final = "http://127.0.0.1/cimi/"
WHEN: Final = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
KEY: Final = b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0 user@host"


def uri(type_: str) -> str:
    return f"{NAMESPACE}/{type_}"


def href(path: str) -> dict[str, str]:
    return {"href": BASE + path}


def common(type_: str, path: str) -> dict[str, Any]:
    return {
        "resourceURI": uri(type_),
        "id": BASE + path,
        "name": f"a {type_}",
        "description": "made by the tests",
        "created": WHEN,
        "updated": "2024-05-06T07:08:10+00:00",
        "properties": {"owner": "tests", "tier": "gold"},
    }


def operations(path: str, *rels: str) -> list[dict[str, str]]:
    return [{"rel": rel, "href": BASE + path} for rel in rels]


# Tables against the schema file


def _xsd() -> etree._Element:
    return etree.parse(str(XSD)).getroot()


def _named(root: etree._Element, kind: str, name: str) -> etree._Element:
    found = root.find(f"{XS}{kind}[@name='{name}']")
    assert found is not None, f"no xs:{kind} {name} in the XSD"
    return found


def _declaration(root: etree._Element, type_name: str) -> etree._Element:
    """The XSD content model each table transcribes."""
    anonymous = {
        "DiskConfiguration": ("MachineConfigurationElements", "disk"),
        "MachineTemplateVolume": ("MachineTemplateElements", "volume"),
        "MachineTemplateVolumeTemplate": ("MachineTemplateElements", "volumeTemplate"),
        "EventLogSummary": ("EventLogElements", "summary"),
    }
    if type_name in anonymous:
        group, element = anonymous[type_name]
        found = _named(root, "group", group).find(f".//{XS}element[@name='{element}']")
        assert found is not None
        return found
    if type_name == "NetworkInterface":
        return _named(root, "complexType", type_name)
    return _named(root, "element", type_name)


def _xsd_elements(root: etree._Element, node: etree._Element) -> Iterator[etree._Element]:
    """The element declarations of a content model in document order, groups inlined."""
    for child in node:
        if child.tag == f"{XS}element":
            yield child
        elif child.tag == f"{XS}group" and child.get("ref"):
            yield from _xsd_elements(root, _named(root, "group", child.get("ref", "")[4:]))
        elif child.tag in {f"{XS}{t}" for t in ("complexType", "sequence", "choice")}:
            yield from _xsd_elements(root, child)


def _xsd_attributes(node: etree._Element) -> set[str]:
    return {a.get("name", "") for a in node.iter(f"{XS}attribute")}


def _kind_of(declaration: etree._Element) -> Kind:
    xsd_type = declaration.get("type", "")
    simple = {
        "xs:string": Kind.STRING,
        "xs:anyURI": Kind.STRING,
        "xs:long": Kind.INTEGER,
        "xs:boolean": Kind.BOOLEAN,
        "xs:dateTime": Kind.DATETIME,
        "xs:hexBinary": Kind.BYTES,
        "tns:propertyType": Kind.PROPERTIES,
        "tns:operationType": Kind.OPERATIONS,
    }
    if xsd_type in simple:
        return simple[xsd_type]
    if xsd_type.endswith("CollRef"):
        return Kind.COLLECTION
    if xsd_type.endswith("Ref"):
        return Kind.REF
    if declaration.get("name") == "content":
        return Kind.ANY
    return Kind.STRUCT


@pytest.mark.parametrize("type_", TYPES.values(), ids=lambda t: t.name)
def test_each_table_is_its_xsd_sequence_with_the_xsd_kinds(type_: Type) -> None:
    root = _xsd()
    declaration = _declaration(root, type_.name)
    elements = [e for e in _xsd_elements(root, declaration) if e.get("name")]
    xsd_order = [e.get("name") for e in elements]
    ours = [f for f in type_.fields if not f.attribute]
    if type_.name == "CloudEntryPoint":  # only the collections served, in the XSD's order
        positions = [xsd_order.index(f.xml) for f in ours]
        assert positions == sorted(positions)
    else:
        assert [f.xml for f in ours] == xsd_order
    by_name = {e.get("name"): e for e in elements}
    for field in ours:
        declared = by_name[field.xml]
        assert field.kind is _kind_of(declared), field.name
        repeated = field.many or field.kind in {Kind.PROPERTIES, Kind.OPERATIONS}
        assert repeated == (declared.get("maxOccurs") == "unbounded"), field.name
    attributes = {f.xml for f in type_.fields if f.attribute}
    assert attributes <= _xsd_attributes(declaration)


# Writing: one fully populated document of every type


def examples() -> dict[str, dict[str, Any]]:
    machine_path = "machines/m1"
    image = {
        **common("MachineImage", "machineImages/i1"),
        "state": "AVAILABLE",
        "type": "IMAGE",
        "imageLocation": BASE + "machineImages/i1",
        "relatedImage": href("machineImages/i0"),
        "operations": operations("machineImages/i1", "delete"),
    }
    configuration = {
        **common("MachineConfiguration", "machineConfigs/c1"),
        "cpu": 2,
        "memory": 2 * 1024 * 1024,
        "disks": [
            {"capacity": 10 * 1024 * 1024, "format": "qcow2", "initialLocation": "/dev/vda"},
            {"capacity": 1024, "format": "raw"},
        ],
        "cpuArch": "x86_64",
        "cpuSpeed": 2000,
        "operations": operations("machineConfigs/c1", "edit"),
    }
    credential = {
        **common("Credential", "credentials/k1"),
        "operations": operations("credentials/k1", "delete"),
        "userName": "debian",
        "password": "secret",
        "key": KEY,
    }
    volume = {
        **common("Volume", "volumes/v1"),
        "state": "AVAILABLE",
        "type": uri("mapped"),
        "capacity": 1024 * 1024,
        "bootable": False,
        "images": href("volumes/v1/images"),
        "meters": href("volumes/v1/meters"),
        "eventLog": href("eventLogs/v1"),
        "operations": operations("volumes/v1", "delete"),
    }
    volume_configuration = {
        **common("VolumeConfiguration", "volumeConfigs/vc1"),
        "type": uri("mapped"),
        "format": "qcow2",
        "capacity": 1024,
        "operations": operations("volumeConfigs/vc1", "delete"),
    }
    volume_image = {
        **common("VolumeImage", "volumeImages/s1"),
        "state": "AVAILABLE",
        "imageLocation": BASE + "volumeImages/s1",
        "bootable": True,
        "operations": operations("volumeImages/s1", "delete"),
    }
    volume_template = {
        **common("VolumeTemplate", "volumeTemplates/t1"),
        "volumeConfig": volume_configuration,
        "volumeImage": href("volumeImages/s1"),
        "meterTemplates": [href("meterTemplates/1"), href("meterTemplates/2")],
        "eventLogTemplate": href("eventLogTemplates/1"),
        "operations": operations("volumeTemplates/t1", "edit", "delete"),
    }
    machine_volume = {
        **common("MachineVolume", f"{machine_path}/volumes/v1"),
        "initialLocation": "/dev/vdb",
        "volume": href("volumes/v1"),
        "operations": operations(f"{machine_path}/volumes/v1", "delete"),
    }
    event = {
        **common("Event", "eventLogs/l1/events/e1"),
        "timestamp": WHEN,
        "type": uri("event/state"),
        "content": {"resName": "m1", "resource": BASE + machine_path, "state": "STARTED"},
        "outcome": "Success",
        "severity": "low",
        "contact": "ops@example.org",
    }
    event_log = {
        **common("EventLog", "eventLogs/l1"),
        "targetResource": href(machine_path),
        "events": collection("Event", BASE + "eventLogs/l1/events", [event]),
        "persistence": "durable",
        "summary": {"low": 1, "medium": 0, "high": 0, "critical": 0},
        "operations": operations("eventLogs/l1", "delete"),
    }
    network_port = {
        **common("NetworkPort", "networkPorts/p1"),
        "state": "STARTED",
        "network": href("networks/n1"),
        "portType": "ACCESS",
        "classOfService": "default",
        "meters": href("networkPorts/p1/meters"),
        "eventLog": href("eventLogs/p1"),
        "operations": operations("networkPorts/p1", "delete"),
    }
    network_network_port = {
        **common("NetworkNetworkPort", "networks/n1/networkPorts/1"),
        "networkPort": network_port,
        "operations": operations("networks/n1/networkPorts/1", "delete"),
    }
    network = {
        **common("Network", "networks/n1"),
        "state": "STARTED",
        "networkType": "PRIVATE",
        "mtu": 1500,
        "classOfService": "default",
        "networkPorts": collection(
            "NetworkNetworkPort",
            BASE + "networks/n1/networkPorts",
            [
                network_network_port,
                {"id": BASE + "networks/n1/networkPorts/2", "networkPort": href("networkPorts/p2")},
            ],
            operations=operations("networks/n1/networkPorts", "add"),
        ),
        "forwardingGroup": href("forwardingGroups/f1"),
        "meters": href("networks/n1/meters"),
        "eventLog": href("eventLogs/n1"),
        "operations": operations("networks/n1", "delete"),
    }
    network_configuration = {
        **common("NetworkConfiguration", "networkConfigs/nc1"),
        "networkType": "PRIVATE",
        "mtu": 1500,
        "classOfService": "default",
        "operations": operations("networkConfigs/nc1", "delete"),
    }
    network_template = {
        **common("NetworkTemplate", "networkTemplates/nt1"),
        "initialState": "STARTED",
        "networkConfig": network_configuration,
        "forwardingGroup": href("forwardingGroups/f1"),
        "meterTemplates": [href("meterTemplates/1")],
        "eventLogTemplate": href("eventLogTemplates/1"),
        "operations": operations("networkTemplates/nt1", "edit", "delete"),
    }
    network_port_configuration = {
        **common("NetworkPortConfiguration", "networkPortConfigs/pc1"),
        "portType": "ACCESS",
        "classOfService": "default",
        "operations": operations("networkPortConfigs/pc1", "delete"),
    }
    address_values = {
        "ip": "192.0.2.10",
        "hostname": "m1",
        "allocation": "dynamic",
        "defaultGateway": "192.0.2.1",
        "dns": ["192.0.2.1", "192.0.2.2"],
        "protocol": "IPv4",
        "mask": "255.255.255.0",
        "network": href("networks/n1"),
    }
    machine = {
        **common("Machine", machine_path),
        "state": "STARTED",
        "cpu": 2,
        "memory": 2 * 1024 * 1024,
        "disks": collection(
            "Disk", BASE + f"{machine_path}/disks", [{"capacity": 1024, "initialLocation": "vda"}]
        ),
        "cpuArch": "x86_64",
        "cpuSpeed": 2000,
        "volumes": collection(
            "MachineVolume",
            BASE + f"{machine_path}/volumes",
            [machine_volume],
            operations=operations(f"{machine_path}/volumes", "add"),
        ),
        "networkInterfaces": href(f"{machine_path}/networkInterfaces"),
        "latestSnapshot": image,
        "snapshots": href(f"{machine_path}/snapshots"),
        "meters": href(f"{machine_path}/meters"),
        "eventLog": event_log,
        "operations": [
            *operations(machine_path, "edit", "delete"),
            {"rel": f"{NAMESPACE}/action/stop", "href": BASE + machine_path + "/stop"},
        ],
    }
    job = {
        **common("Job", "jobs/j1"),
        "state": "SUCCESS",
        "targetResource": machine,
        "affectedResources": [machine, href("volumes/v1")],
        "action": f"{NAMESPACE}/action/start",
        "returnCode": 0,
        "progress": 100,
        "statusMessage": "done",
        "timeOfStatusChange": WHEN,
        "parentJob": href("jobs/j0"),
        "nestedJobs": [href("jobs/j2"), href("jobs/j3")],
        "operations": operations("jobs/j1", "delete"),
    }
    return {
        "CloudEntryPoint": {
            **common("CloudEntryPoint", "cloudEntryPoint"),
            "baseURI": BASE,
            **{f.name: href(f.name) for f in TYPES["CloudEntryPoint"].fields[7:-1]},
            "machines": collection("Machine", BASE + "machines", [machine]),
            "networkTemplates": collection(
                "NetworkTemplate", BASE + "networkTemplates", [network_template]
            ),
            "jobs": collection("Job", BASE + "jobs", [job], operations=operations("jobs", "x")),
            "operations": operations("cloudEntryPoint", "edit"),
        },
        "Machine": machine,
        "Disk": {"resourceURI": uri("Disk"), "capacity": 1024, "initialLocation": "vda"},
        "MachineVolume": machine_volume,
        "MachineNetworkInterface": {
            **common("MachineNetworkInterface", f"{machine_path}/networkInterfaces/0"),
            "addresses": href(f"{machine_path}/networkInterfaces/0/addresses"),
            "network": network,
            "networkPort": href("networkPorts/p1"),
            "state": "ACTIVE",
            "macAddress": "52:54:00:12:34:56",
            "mtu": 1500,
            "operations": operations(f"{machine_path}/networkInterfaces/0", "delete"),
        },
        "MachineNetworkInterfaceAddress": {
            **common(
                "MachineNetworkInterfaceAddress", f"{machine_path}/networkInterfaces/0/addresses/a"
            ),
            "address": href("addresses/a"),
            "operations": operations(f"{machine_path}/networkInterfaces/0/addresses/a", "delete"),
        },
        "MachineCreate": {
            **common("MachineCreate", "machines/new"),
            "machineTemplate": href("machineTemplates/1"),
        },
        "MachineTemplate": {
            **common("MachineTemplate", "machineTemplates/1"),
            "initialState": "STARTED",
            "machineConfig": configuration,
            "machineImage": href("machineImages/i1"),
            "credential": {"key": KEY, "userName": "root"},
            "volumes": [{"href": BASE + "volumes/v1", "initialLocation": "/dev/vdb"}],
            "volumeTemplates": [
                {"initialLocation": "/dev/vdc", "volumeConfig": href("volumeConfigs/vc1")},
                {"href": BASE + "volumeTemplates/t1"},
            ],
            "networkInterfaces": [
                {
                    "addresses": [href("addresses/a1")],
                    "network": href("networks/n1"),
                    "networkPort": href("networkPorts/p1"),
                    "state": "ACTIVE",
                    "mtu": 1500,
                }
            ],
            "userData": base64.b64encode(b"#!/bin/sh\necho hi\n").decode(),
            "meterTemplates": [href("meterTemplates/1")],
            "eventLogTemplate": href("eventLogTemplates/1"),
            "operations": operations("machineTemplates/1", "edit", "delete"),
        },
        "MachineConfiguration": configuration,
        "MachineImage": image,
        "Credential": credential,
        "CredentialTemplate": {**credential, "resourceURI": uri("CredentialTemplate")},
        "CredentialCreate": {
            **common("CredentialCreate", "credentials/new"),
            "credentialTemplate": {"key": KEY},
        },
        "Volume": volume,
        "VolumeCreate": {
            **common("VolumeCreate", "volumes/new"),
            "volumeTemplate": {"volumeConfig": {"type": uri("mapped"), "capacity": 1024}},
        },
        "VolumeTemplate": volume_template,
        "VolumeConfiguration": volume_configuration,
        "VolumeImage": volume_image,
        "Network": network,
        "NetworkNetworkPort": network_network_port,
        "NetworkCreate": {
            **common("NetworkCreate", "networks/new"),
            "networkTemplate": {"networkConfig": href("networkConfigs/nc1")},
        },
        "NetworkTemplate": network_template,
        "NetworkConfiguration": network_configuration,
        "NetworkPort": network_port,
        "NetworkPortCreate": {
            **common("NetworkPortCreate", "networkPorts/new"),
            "networkPortTemplate": {
                "network": href("networks/n1"),
                "networkPortConfig": {"portType": "ACCESS"},
            },
        },
        "NetworkPortTemplate": {
            **common("NetworkPortTemplate", "networkPortTemplates/pt1"),
            "network": href("networks/n1"),
            "networkPortConfig": network_port_configuration,
            "meterTemplates": [href("meterTemplates/1"), href("meterTemplates/2")],
            "eventLogTemplate": href("eventLogTemplates/1"),
            "operations": operations("networkPortTemplates/pt1", "edit", "delete"),
        },
        "NetworkPortConfiguration": network_port_configuration,
        "Address": {
            **common("Address", "addresses/a1"),
            **address_values,
            "resource": machine,
            "operations": operations("addresses/a1", "delete"),
        },
        "AddressCreate": {
            **common("AddressCreate", "addresses/new"),
            "addressTemplate": href("addressTemplates/at1"),
        },
        "AddressTemplate": {
            **common("AddressTemplate", "addressTemplates/at1"),
            **address_values,
            "operations": operations("addressTemplates/at1", "edit", "delete"),
        },
        "Job": job,
        "EventLog": event_log,
        "Event": event,
        "Action": {
            "resourceURI": uri("Action"),
            "action": f"{NAMESPACE}/action/stop",
            "force": True,
            "properties": {"reason": "tests"},
        },
    }


ROOTS: Final = sorted(
    name
    for name in TYPES
    if name not in {"DiskConfiguration", "EventLogSummary"}
    and not name.startswith(("MachineTemplateVolume", "NetworkInterface"))
)


@pytest.mark.parametrize(
    "xml",
    [
        b'<Machine xmlns="http://schemas.dmtf.org/cimi/1" resourceURI="x"/>',
        b'<Machine xmlns="http://schemas.dmtf.org/cimi/1"><cpu>2</cpu><state>S</state></Machine>',
        b'<Collection xmlns="http://schemas.dmtf.org/cimi/1"><id>x</id><count>0</count></Collection>',
    ],
)
def test_the_schema_helper_refuses_what_the_xsd_refuses(xml: bytes) -> None:
    with pytest.raises(AssertionError, match="not valid against DSP8009"):
        validate(xml)


def test_every_type_but_the_nested_values_has_an_example() -> None:
    assert sorted(examples()) == ROOTS


@pytest.mark.parametrize("name", ROOTS)
def test_a_fully_populated_document_is_valid_xml(name: str) -> None:
    document = examples()[name]
    xml = to_xml(document)
    validate(xml)
    root = etree.fromstring(xml)
    assert root.tag == f"{{{NAMESPACE}}}{name}"
    assert root.get("resourceURI") is None  # allowed on <Collection> only


@pytest.mark.parametrize(
    "name", ["CloudEntryPoint", *sorted(t.name for t in TYPES.values() if t.items)]
)
def test_a_resource_with_only_its_type_and_id_is_valid_xml(name: str) -> None:
    minimal = {"resourceURI": uri(name), "id": BASE + "x"} if name != "Disk" else {}
    validate(to_xml({"resourceURI": uri(name), **minimal}))


@pytest.mark.parametrize("name", sorted(t.name for t in TYPES.values() if t.items))
def test_a_collection_of_each_type_is_valid_xml(name: str) -> None:
    document = collection(
        name,
        BASE + "things",
        [examples()[name], examples()[name]],
        count=7,
        operations=operations("things", "add"),
    )
    xml = to_xml(document)
    validate(xml)
    root = etree.fromstring(xml)
    assert root.tag == f"{{{NAMESPACE}}}Collection"
    assert root.get("resourceURI") == uri(f"{name}Collection")
    assert [etree.QName(child).localname for child in root] == [
        "id",
        "count",
        name,
        name,
        "operation",
    ]
    assert root.findtext(f"{{{NAMESPACE}}}count") == "7"


def test_an_empty_collection_still_says_its_id_and_count() -> None:
    document = collection("Volume", BASE + "volumes", [])
    validate(to_xml(document))
    assert to_json(document) == {
        "resourceURI": uri("VolumeCollection"),
        "id": BASE + "volumes",
        "count": 0,
    }


def test_json_writes_numbers_booleans_dates_with_offsets_refs_and_leaves_out_empties() -> None:
    machine = examples()["Machine"]
    written = json.loads(json.dumps(to_json({**machine, "description": "", "cpuSpeed": None})))
    assert written["resourceURI"] == uri("Machine")
    assert written["cpu"] == 2 and written["memory"] == 2 * 1024 * 1024
    assert "description" not in written and "cpuSpeed" not in written
    assert written["created"] == "2024-05-06T07:08:09+02:00"
    assert written["properties"] == {"owner": "tests", "tier": "gold"}
    assert written["operations"][0] == {"rel": "edit", "href": BASE + "machines/m1"}
    assert written["snapshots"] == href("machines/m1/snapshots")
    assert written["latestSnapshot"]["href"] == BASE + "machineImages/i1"
    assert written["latestSnapshot"]["state"] == "AVAILABLE"
    assert written["volumes"]["href"] == BASE + "machines/m1/volumes"
    assert written["volumes"]["machineVolumes"][0]["volume"] == href("volumes/v1")
    assert written["disks"]["disks"] == [{"capacity": 1024, "initialLocation": "vda"}]
    volume = to_json(examples()["Volume"])
    assert volume["bootable"] is False and volume["capacity"] == 1024 * 1024
    assert to_json(examples()["Credential"])["key"] == base64.b64encode(KEY).decode()


def test_xml_writes_hrefs_as_attributes_bytes_as_hex_and_the_xsd_order() -> None:
    root = etree.fromstring(to_xml(examples()["Credential"]))
    names = [etree.QName(child).localname for child in root]
    assert names.index("operation") < names.index("userName")  # the XSD's quirk, kept
    assert root.findtext(f"{{{NAMESPACE}}}key") == KEY.hex()
    machine = etree.fromstring(to_xml(examples()["Machine"]))
    snapshots = machine.find(f"{{{NAMESPACE}}}snapshots")
    assert snapshots is not None and snapshots.get("href") == BASE + "machines/m1/snapshots"
    assert len(snapshots) == 0
    latest = machine.find(f"{{{NAMESPACE}}}latestSnapshot")
    assert latest is not None and latest.get("href") == BASE + "machineImages/i1"
    assert latest.findtext(f"{{{NAMESPACE}}}state") == "AVAILABLE"


def test_an_expanded_job_collection_ref_drops_the_operations_its_xsd_type_lacks() -> None:
    cep = etree.fromstring(to_xml(examples()["CloudEntryPoint"]))
    jobs = cep.find(f"{{{NAMESPACE}}}jobs")
    assert jobs is not None and jobs.find(f"{{{NAMESPACE}}}operation") is None
    assert to_json(examples()["CloudEntryPoint"])["jobs"]["count"] == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"resourceURI": uri("Machine"), "colour": "red"}, "no attribute colour"),
        ({"resourceURI": uri("Machine"), "cpu": "2"}, "wants int"),
        ({"resourceURI": uri("Machine"), "cpu": True}, "wants int"),
        ({"resourceURI": uri("Machine"), "created": dt.datetime(2024, 1, 1)}, "offset"),
        ({"resourceURI": uri("Job"), "targetResource": {"id": "x", "name": "y"}}, "resourceURI"),
    ],
)
def test_a_document_the_tables_do_not_describe_is_a_programming_error(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        to_json(document)
    with pytest.raises(ValueError, match=message):
        to_xml(document)


# Reading request bodies

MACHINE_BY_VALUE_JSON: Final = b"""{ "resourceURI": "http://schemas.dmtf.org/cimi/1/MachineCreate",
  "name": "myMachine3",
  "machineTemplate": { "machineConfig": {"href": "http://h/cimi/machine_configurations/m1-small"},
                       "machineImage":  {"href": "http://h/cimi/machine_images/img1"},
                       "credential":    {"href": "http://h/cimi/credentials/12345"} } }"""
MACHINE_BY_VALUE_XML: Final = b"""<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1">
  <name>myMachine3</name>
  <machineTemplate>
    <machineConfig href="http://h/cimi/machine_configurations/m1-small"/>
    <machineImage href="http://h/cimi/machine_images/img1"/>
    <credential href="http://h/cimi/credentials/12345"/>
  </machineTemplate>
</MachineCreate>"""
MACHINE_FROM_TEMPLATE_JSON: Final = b"""{ "resourceURI": "http://schemas.dmtf.org/cimi/1/MachineCreate",
  "name": "fromTemplate", "machineTemplate": { "href": "http://h/cimi/machine_templates/1" } }"""
MACHINE_FROM_TEMPLATE_XML: Final = b"""<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1">
  <name>fromTemplate</name><machineTemplate href="http://h/cimi/machine_templates/1"/>
</MachineCreate>"""
DELTACLOUD_XML: Final = b"""<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1">
  <name>xml_machine_by_value</name>
  <machineTemplate>
    <machineConfig href="http://localhost:3001/cimi/machine_configurations/m1-small"/>
    <machineImage href="http://localhost:3001/cimi/machine_images/img2"/>
  </machineTemplate>
</MachineCreate>"""


def test_the_spec_notes_machine_create_samples_read_the_same_from_json_and_xml() -> None:
    by_value = {
        "name": "myMachine3",
        "machineTemplate": {
            "machineConfig": {"href": "http://h/cimi/machine_configurations/m1-small"},
            "machineImage": {"href": "http://h/cimi/machine_images/img1"},
            "credential": {"href": "http://h/cimi/credentials/12345"},
        },
    }
    assert parse(MACHINE_BY_VALUE_JSON, "json", "MachineCreate") == by_value
    assert parse(MACHINE_BY_VALUE_XML, "xml", "MachineCreate") == by_value
    from_template = {
        "name": "fromTemplate",
        "machineTemplate": {"href": "http://h/cimi/machine_templates/1"},
    }
    assert parse(MACHINE_FROM_TEMPLATE_JSON, "json", "MachineCreate") == from_template
    assert parse(MACHINE_FROM_TEMPLATE_XML, "xml", "MachineCreate") == from_template
    validate(DELTACLOUD_XML)
    assert parse(DELTACLOUD_XML, "xml", "MachineCreate") == {
        "name": "xml_machine_by_value",
        "machineTemplate": {
            "machineConfig": {"href": "http://localhost:3001/cimi/machine_configurations/m1-small"},
            "machineImage": {"href": "http://localhost:3001/cimi/machine_images/img2"},
        },
    }


def test_the_spec_notes_action_samples_read_as_typed_values() -> None:
    stop = b"""<Action xmlns="http://schemas.dmtf.org/cimi/1"><action>http://schemas.dmtf.org/cimi/1/action/stop</action><force>true</force></Action>"""
    validate(stop)
    assert parse(stop, "xml", "Action") == {"action": f"{NAMESPACE}/action/stop", "force": True}
    assert parse(
        b'{"resourceURI":"http://schemas.dmtf.org/cimi/1/Action","action":"http://schemas.dmtf.org/cimi/1/action/stop","force":true}',
        "json",
        "Action",
    ) == {"action": f"{NAMESPACE}/action/stop", "force": True}
    start = b'{"resourceURI":"http://schemas.dmtf.org/cimi/1/Action","action":"http://schemas.dmtf.org/cimi/1/action/start"}'
    assert parse(start, "json", "Action") == {"action": f"{NAMESPACE}/action/start"}


def test_a_volume_create_by_value_reads_the_same_from_json_and_xml() -> None:
    as_json = b'{"name":"v","volumeTemplate":{"volumeConfig":{"type":"http://schemas.dmtf.org/cimi/1/mapped","capacity":1024}}}'
    as_xml = b"""<VolumeCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>v</name>
      <volumeTemplate><volumeConfig><type>http://schemas.dmtf.org/cimi/1/mapped</type>
      <capacity>1024</capacity></volumeConfig></volumeTemplate></VolumeCreate>"""
    validate(as_xml)
    expected = {
        "name": "v",
        "volumeTemplate": {"volumeConfig": {"type": uri("mapped"), "capacity": 1024}},
    }
    assert parse(as_json, "json", "VolumeCreate") == expected
    assert parse(as_xml, "xml", "VolumeCreate") == expected


def test_a_credential_key_is_hex_in_xml_and_base64_in_json() -> None:
    as_xml = (
        b'<CredentialCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>k</name>'
        b'<property key="a">1</property><credentialTemplate><key>'
        + KEY.hex().encode()
        + b"</key></credentialTemplate></CredentialCreate>"
    )
    as_json = json.dumps(
        {
            "resourceURI": uri("CredentialCreate"),
            "name": "k",
            "properties": {"a": "1"},
            "credentialTemplate": {"key": base64.b64encode(KEY).decode()},
        }
    ).encode()
    validate(as_xml)
    expected = {"name": "k", "properties": {"a": "1"}, "credentialTemplate": {"key": KEY}}
    assert parse(as_xml, "xml", "CredentialCreate") == expected
    assert parse(as_json, "json", "CredentialCreate") == expected


CREATES: Final = [
    pytest.param(
        "NetworkCreate",
        b"""{"resourceURI": "http://schemas.dmtf.org/cimi/1/NetworkCreate", "name": "net",
          "networkTemplate": {"networkConfig": {"href": "http://h/cimi/networkConfigs/c1"}}}""",
        b"""<NetworkCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>net</name>
          <networkTemplate><networkConfig href="http://h/cimi/networkConfigs/c1"/></networkTemplate>
          </NetworkCreate>""",
        {
            "name": "net",
            "networkTemplate": {"networkConfig": {"href": "http://h/cimi/networkConfigs/c1"}},
        },
        id="network-config-by-reference",
    ),
    pytest.param(
        "NetworkCreate",
        b"""{"name": "net", "networkTemplate": {"initialState": "STARTED",
          "networkConfig": {"networkType": "PRIVATE", "mtu": 9000, "classOfService": "gold"},
          "forwardingGroup": {"href": "http://h/cimi/forwardingGroups/f1"},
          "eventLogTemplate": {"href": "http://h/cimi/eventLogTemplates/1"}}}""",
        b"""<NetworkCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>net</name>
          <networkTemplate><initialState>STARTED</initialState><networkConfig>
          <networkType>PRIVATE</networkType><mtu>9000</mtu><classOfService>gold</classOfService>
          </networkConfig><forwardingGroup href="http://h/cimi/forwardingGroups/f1"/>
          <eventLogTemplate href="http://h/cimi/eventLogTemplates/1"/></networkTemplate>
          </NetworkCreate>""",
        {
            "name": "net",
            "networkTemplate": {
                "initialState": "STARTED",
                "networkConfig": {"networkType": "PRIVATE", "mtu": 9000, "classOfService": "gold"},
                "forwardingGroup": {"href": "http://h/cimi/forwardingGroups/f1"},
                "eventLogTemplate": {"href": "http://h/cimi/eventLogTemplates/1"},
            },
        },
        id="network-config-by-value",
    ),
    pytest.param(
        "NetworkCreate",
        b"""{"networkTemplate": {"href": "http://h/cimi/networkTemplates/t1"}}""",
        b"""<NetworkCreate xmlns="http://schemas.dmtf.org/cimi/1">
          <networkTemplate href="http://h/cimi/networkTemplates/t1"/></NetworkCreate>""",
        {"networkTemplate": {"href": "http://h/cimi/networkTemplates/t1"}},
        id="network-template-by-reference",
    ),
    pytest.param(
        "AddressCreate",
        b"""{"name": "a", "addressTemplate": {"ip": "192.0.2.7", "allocation": "static",
          "dns": ["192.0.2.1", "192.0.2.2"], "network": {"href": "http://h/cimi/networks/n1"}}}""",
        b"""<AddressCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>a</name><addressTemplate>
          <ip>192.0.2.7</ip><allocation>static</allocation><dns>192.0.2.1</dns>
          <dns>192.0.2.2</dns><network href="http://h/cimi/networks/n1"/></addressTemplate>
          </AddressCreate>""",
        {
            "name": "a",
            "addressTemplate": {
                "ip": "192.0.2.7",
                "allocation": "static",
                "dns": ["192.0.2.1", "192.0.2.2"],
                "network": {"href": "http://h/cimi/networks/n1"},
            },
        },
        id="address-by-value",
    ),
    pytest.param(
        "AddressCreate",
        b"""{"addressTemplate": {"href": "http://h/cimi/addressTemplates/a1"}}""",
        b"""<AddressCreate xmlns="http://schemas.dmtf.org/cimi/1">
          <addressTemplate href="http://h/cimi/addressTemplates/a1"/></AddressCreate>""",
        {"addressTemplate": {"href": "http://h/cimi/addressTemplates/a1"}},
        id="address-template-by-reference",
    ),
    pytest.param(
        "NetworkPortCreate",
        b"""{"networkPortTemplate": {"network": {"href": "http://h/cimi/networks/n1"},
          "networkPortConfig": {"portType": "ACCESS"}}}""",
        b"""<NetworkPortCreate xmlns="http://schemas.dmtf.org/cimi/1"><networkPortTemplate>
          <network href="http://h/cimi/networks/n1"/><networkPortConfig><portType>ACCESS</portType>
          </networkPortConfig></networkPortTemplate></NetworkPortCreate>""",
        {
            "networkPortTemplate": {
                "network": {"href": "http://h/cimi/networks/n1"},
                "networkPortConfig": {"portType": "ACCESS"},
            }
        },
        id="network-port-by-value",
    ),
    pytest.param(
        "VolumeTemplate",
        b"""{"resourceURI": "http://schemas.dmtf.org/cimi/1/VolumeTemplate", "name": "t",
          "volumeConfig": {"href": "http://h/cimi/volumeConfigs/c1"},
          "volumeImage": {"href": "http://h/cimi/volumeImages/s1"}}""",
        b"""<VolumeTemplate xmlns="http://schemas.dmtf.org/cimi/1"><name>t</name>
          <volumeConfig href="http://h/cimi/volumeConfigs/c1"/>
          <volumeImage href="http://h/cimi/volumeImages/s1"/></VolumeTemplate>""",
        {
            "name": "t",
            "volumeConfig": {"href": "http://h/cimi/volumeConfigs/c1"},
            "volumeImage": {"href": "http://h/cimi/volumeImages/s1"},
        },
        id="volume-template-by-references",
    ),
    pytest.param(
        "VolumeTemplate",
        b"""{"name": "t", "description": "inline",
          "volumeConfig": {"type": "http://schemas.dmtf.org/cimi/1/mapped", "format": "qcow2",
                           "capacity": 2048},
          "volumeImage": {"imageLocation": "http://h/images/base.qcow2", "bootable": true}}""",
        b"""<VolumeTemplate xmlns="http://schemas.dmtf.org/cimi/1"><name>t</name>
          <description>inline</description><volumeConfig>
          <type>http://schemas.dmtf.org/cimi/1/mapped</type><format>qcow2</format>
          <capacity>2048</capacity></volumeConfig><volumeImage>
          <imageLocation>http://h/images/base.qcow2</imageLocation><bootable>true</bootable>
          </volumeImage></VolumeTemplate>""",
        {
            "name": "t",
            "description": "inline",
            "volumeConfig": {"type": uri("mapped"), "format": "qcow2", "capacity": 2048},
            "volumeImage": {"imageLocation": "http://h/images/base.qcow2", "bootable": True},
        },
        id="volume-template-inline",
    ),
    pytest.param(
        "VolumeTemplate",
        b"""{"volumeConfig": {"capacity": 1024},
          "volumeImage": {"href": "http://h/cimi/volumeImages/s1"}}""",
        b"""<VolumeTemplate xmlns="http://schemas.dmtf.org/cimi/1">
          <volumeConfig><capacity>1024</capacity></volumeConfig>
          <volumeImage href="http://h/cimi/volumeImages/s1"/></VolumeTemplate>""",
        {
            "volumeConfig": {"capacity": 1024},
            "volumeImage": {"href": "http://h/cimi/volumeImages/s1"},
        },
        id="volume-template-config-inline-image-by-reference",
    ),
]


@pytest.mark.parametrize(("type_", "as_json", "as_xml", "expected"), CREATES)
def test_a_create_or_template_by_value_or_reference_reads_the_same_from_json_and_xml(
    type_: str, as_json: bytes, as_xml: bytes, expected: dict[str, Any]
) -> None:
    validate(as_xml)
    assert parse(as_json, "json", type_) == expected
    assert parse(as_xml, "xml", type_) == expected


def test_a_networks_ports_are_its_network_network_ports_each_naming_its_port() -> None:
    network = examples()["Network"]
    root = etree.fromstring(to_xml(network))
    ports = root.find(f"{{{NAMESPACE}}}networkPorts")
    assert ports is not None and ports.get("href") == BASE + "networks/n1/networkPorts"
    assert [etree.QName(child).localname for child in ports] == [
        "id",
        "count",
        "NetworkNetworkPort",
        "NetworkNetworkPort",
    ]  # NetworkNetworkPortCollRef has no <operation>
    port = ports.find(f"{{{NAMESPACE}}}NetworkNetworkPort/{{{NAMESPACE}}}networkPort")
    assert port is not None and port.get("href") == BASE + "networkPorts/p1"
    assert port.findtext(f"{{{NAMESPACE}}}portType") == "ACCESS"
    written = to_json(network)["networkPorts"]
    assert written["count"] == 2 and "operations" not in written
    assert written["networkNetworkPorts"][0]["networkPort"]["portType"] == "ACCESS"
    assert written["networkNetworkPorts"][1]["networkPort"] == href("networkPorts/p2")


def test_the_cloud_entry_point_names_the_network_collections_in_the_xsd_order() -> None:
    cep = examples()["CloudEntryPoint"]
    root = etree.fromstring(to_xml(cep))
    names = [etree.QName(child).localname for child in root]
    network_keys = [
        "networks",
        "networkTemplates",
        "networkConfigs",
        "networkPorts",
        "networkPortTemplates",
        "networkPortConfigs",
        "addresses",
        "addressTemplates",
    ]
    assert [name for name in names if name in network_keys] == network_keys
    templates = root.find(f"{{{NAMESPACE}}}networkTemplates")
    assert templates is not None
    assert templates.findtext(f"{{{NAMESPACE}}}NetworkTemplate/{{{NAMESPACE}}}initialState") == (
        "STARTED"
    )
    written = to_json(cep)
    assert written["networkConfigs"] == href("networkConfigs")
    assert written["networkPorts"] == href("networkPorts")
    assert written["networkTemplates"]["networkTemplates"][0]["networkConfig"]["mtu"] == 1500


def test_a_machine_volume_attach_reads_the_same_from_json_and_xml() -> None:
    as_xml = b"""<MachineVolume xmlns="http://schemas.dmtf.org/cimi/1">
      <initialLocation>/dev/vdb</initialLocation><volume href="http://h/cimi/volumes/v1"/>
    </MachineVolume>"""
    as_json = (
        b'{"resourceURI": "http://schemas.dmtf.org/cimi/1/MachineVolume",'
        b' "initialLocation": "/dev/vdb", "volume": {"href": "http://h/cimi/volumes/v1"}}'
    )
    validate(as_xml)
    expected = {"initialLocation": "/dev/vdb", "volume": {"href": "http://h/cimi/volumes/v1"}}
    assert parse(as_xml, "xml", "MachineVolume") == expected
    assert parse(as_json, "json", "MachineVolume") == expected


@pytest.mark.parametrize(
    "name",
    [
        "MachineTemplate",
        "VolumeTemplate",
        "Credential",
        "Address",
        "AddressTemplate",
        "NetworkTemplate",
        "NetworkPortTemplate",
        "NetworkPortConfiguration",
    ],
)
def test_what_is_written_reads_back_the_same_from_both_media(name: str) -> None:
    document = examples()[name]
    from_json = parse(json.dumps(to_json(document), default=str).encode(), "json", name)
    from_xml = parse(to_xml(document), "xml", name)
    assert from_json == from_xml
    assert from_xml["name"] == f"a {name}"
    assert from_xml["created"] == WHEN
    assert from_xml["properties"] == {"owner": "tests", "tier": "gold"}
    assert from_xml["operations"] == document["operations"]


def test_a_machine_template_keeps_its_struct_lists_and_attributes() -> None:
    read = parse(to_xml(examples()["MachineTemplate"]), "xml", "MachineTemplate")
    assert read["volumes"] == [{"href": BASE + "volumes/v1", "initialLocation": "/dev/vdb"}]
    assert read["volumeTemplates"][0] == {
        "initialLocation": "/dev/vdc",
        "volumeConfig": href("volumeConfigs/vc1"),
    }
    assert read["networkInterfaces"][0]["addresses"] == [href("addresses/a1")]
    assert read["credential"] == {"key": KEY, "userName": "root"}
    assert read["machineConfig"]["disks"][1] == {"capacity": 1024, "format": "raw"}
    assert base64.b64decode(read["userData"]) == b"#!/bin/sh\necho hi\n"


def test_an_empty_element_or_a_null_erases_a_templates_value() -> None:
    as_xml = b"""<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1"><machineTemplate
      href="http://h/t/1"><userData/><machineImage/></machineTemplate></MachineCreate>"""
    as_json = (
        b'{"machineTemplate": {"href": "http://h/t/1", "userData": null, "machineImage": null}}'
    )
    expected = {"machineTemplate": {"href": "http://h/t/1", "userData": None, "machineImage": None}}
    assert parse(as_xml, "xml", "MachineCreate") == expected
    assert parse(as_json, "json", "MachineCreate") == expected


def test_elements_of_other_namespaces_are_extensions_and_ignored() -> None:
    body = b"""<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1" xmlns:x="urn:x">
      <name>n</name><x:realm>eu</x:realm><machineTemplate href="http://h/t/1"/></MachineCreate>"""
    assert parse(body, "xml", "MachineCreate") == {
        "name": "n",
        "machineTemplate": {"href": "http://h/t/1"},
    }


XXE: Final = b"""<?xml version="1.0"?>
<!DOCTYPE MachineCreate [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<MachineCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>&secret;</name></MachineCreate>"""
LAUGHS: Final = b"""<?xml version="1.0"?>
<!DOCTYPE Action [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Action xmlns="http://schemas.dmtf.org/cimi/1"><action>&lol3;</action></Action>"""


@pytest.mark.parametrize(
    ("body", "media", "type_", "message"),
    [
        (XXE, "xml", "MachineCreate", "DOCTYPE"),
        (LAUGHS, "xml", "Action", "DOCTYPE"),
        (
            b'<!DOCTYPE Action SYSTEM "http://127.0.0.1:9/x.dtd"><Action/>',
            "xml",
            "Action",
            "DOCTYPE",
        ),
        (b"<Action xmlns='http://schemas.dmtf.org/cimi/1'>", "xml", "Action", "not well-formed"),
        (b"", "xml", "Action", "not well-formed"),
        (b"<Action><action>x</action></Action>", "xml", "Action", "expected <Action"),
        (DELTACLOUD_XML, "xml", "VolumeCreate", "expected <VolumeCreate"),
        (
            b"<MachineCreate xmlns='http://schemas.dmtf.org/cimi/1'><colour/></MachineCreate>",
            "xml",
            "MachineCreate",
            "unknown element <colour>",
        ),
        (
            b"<MachineCreate xmlns='http://schemas.dmtf.org/cimi/1'><name>a</name><name>b</name>"
            b"</MachineCreate>",
            "xml",
            "MachineCreate",
            "appears twice",
        ),
        (
            b"<Action xmlns='http://schemas.dmtf.org/cimi/1'><force>yes</force></Action>",
            "xml",
            "Action",
            "Action.force: expected true or false",
        ),
        (
            b"<VolumeCreate xmlns='http://schemas.dmtf.org/cimi/1'><volumeTemplate><volumeConfig>"
            b"<capacity>1_000</capacity></volumeConfig></volumeTemplate></VolumeCreate>",
            "xml",
            "VolumeCreate",
            "VolumeCreate.volumeTemplate.volumeConfig.capacity: expected an integer",
        ),
        (
            b"<CredentialCreate xmlns='http://schemas.dmtf.org/cimi/1'><credentialTemplate>"
            b"<key>ssh-rsa AAAA</key></credentialTemplate></CredentialCreate>",
            "xml",
            "CredentialCreate",
            "expected xs:hexBinary",
        ),
        (
            b"<MachineCreate xmlns='http://schemas.dmtf.org/cimi/1'><property>v</property>"
            b"</MachineCreate>",
            "xml",
            "MachineCreate",
            "key attribute is missing",
        ),
        (b"{", "json", "Action", "not JSON"),
        (b"\xff\xfe\x00", "json", "Action", "not JSON"),
        (b"[]", "json", "Action", "a Action is a JSON object"),
        (b'{"resourceURI": "http://schemas.dmtf.org/cimi/1/Machine"}', "json", "Action", "Action"),
        (b'{"colour": "red"}', "json", "MachineCreate", "unknown attribute 'colour'"),
        (b'{"force": "true"}', "json", "Action", "Action.force: expected a boolean"),
        (
            b'{"volumeTemplate": {"volumeConfig": {"capacity": "1024"}}}',
            "json",
            "VolumeCreate",
            "capacity: expected an integer",
        ),
        (b'{"machineTemplate": "http://h/t/1"}', "json", "MachineCreate", "expected an object"),
        (b'{"properties": {"a": 1}}', "json", "MachineCreate", "expected a string"),
        (
            b'{"credentialTemplate": {"key": "not*base64"}}',
            "json",
            "CredentialCreate",
            "expected base64",
        ),
        (b'{"created": "yesterday"}', "json", "MachineCreate", "expected an xs:dateTime"),
    ],
)
def test_a_body_that_is_not_a_readable_cimi_document_is_refused(
    body: bytes, media: Any, type_: str, message: str
) -> None:
    with pytest.raises(RepresentationError, match=message):
        parse(body, media, type_)


def test_an_external_entity_is_never_read() -> None:
    with pytest.raises(RepresentationError) as refused:
        parse(XXE, "xml", "MachineCreate")
    assert "root:" not in str(refused.value)


def test_field_tables_name_their_targets() -> None:
    described = set(TYPES)
    undescribed_collections = {
        "MachineSnapshot",
        "Meter",
        "VolumeVolumeImage",
        "MachineNetworkInterfaceAddress",
    }
    undescribed_refs = {"ForwardingGroup", "MeterTemplate", "EventLogTemplate"}
    for type_ in TYPES.values():
        for field in type_.fields:
            if field.kind is Kind.STRUCT:
                assert field.target in described
            if field.kind is Kind.COLLECTION:
                assert field.target in described | undescribed_collections
            if field.kind is Kind.REF and field.target is not None:
                assert field.target in described | undescribed_refs


def test_control_characters_other_apis_let_in_are_written_as_replacement_characters() -> None:
    """XML 1.0 cannot hold them; the document is still written, valid, with U+FFFD."""
    document = {
        "resourceURI": "http://schemas.dmtf.org/cimi/1/Machine",
        "id": "http://h/cimi/machines/1",
        "name": "bad\x01name",
        "properties": {"k\x02": "v\x1f"},
    }
    xml = to_xml(document)
    validate(xml)
    assert "bad\ufffdname" in xml.decode()
    assert 'key="k\ufffd"' in xml.decode()
