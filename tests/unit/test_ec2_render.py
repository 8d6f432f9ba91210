"""render.success writes an action's output as text into lxml's envelope; these hold that text
to what lxml writes for the same tree, byte for byte: every character, empty elements, and
every kind of value botocore's model has.

The reference below is the tree ``render`` built before (one lxml element per value, then
``etree.tostring``), kept here as the definition of the bytes clients have always received.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import pytest
from botocore.model import ListShape, Shape, StructureShape
from lxml import etree

from core.text import xml_safe
from gateway.ec2 import model, render


def _reference_text(shape: Shape, value: Any) -> str:
    match shape.type_name:
        case "boolean":
            return "true" if value else "false"
        case "timestamp":
            return render.timestamp(value)
        case "blob":
            return base64.b64encode(value).decode("ascii")
    return xml_safe(str(value.value if hasattr(value, "value") else value))


def _reference_fill(element: etree._Element, shape: Shape, value: Any) -> None:
    namespace = etree.QName(element).namespace
    if isinstance(shape, StructureShape):
        for member, member_shape in shape.members.items():
            if value.get(member) is not None:
                name = member_shape.serialization.get("name", member)
                child = etree.SubElement(element, f"{{{namespace}}}{name}")
                _reference_fill(child, member_shape, value[member])
    elif isinstance(shape, ListShape):
        name = shape.member.serialization.get("name", "item")
        for entry in value:
            _reference_fill(
                etree.SubElement(element, f"{{{namespace}}}{name}"), shape.member, entry
            )
    else:
        element.text = _reference_text(shape, value)


def reference(action: str, output: Mapping[str, Any], version: str = "2016-11-15") -> bytes:
    operation = model.operation(action)
    assert operation is not None and operation.output_shape is not None
    namespace = render.NAMESPACE.format(version=version)
    default: dict[Any, str] = {None: namespace}
    root = etree.Element(f"{{{namespace}}}{action}Response", nsmap=default)
    etree.SubElement(root, f"{{{namespace}}}requestId").text = "rid"
    _reference_fill(root, operation.output_shape, output)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def rendered(action: str, output: Mapping[str, Any], version: str = "2016-11-15") -> bytes:
    operation = model.operation(action)
    assert operation is not None
    return render.success(action, operation.output_shape, output, version, "rid")


def _tags_of(text: str) -> dict[str, Any]:
    return {"Tags": [{"Key": "k", "Value": text}]}


def _code_points(first: int, last: int) -> str:
    return "".join(chr(c) for c in range(first, last))


@pytest.mark.parametrize("first", range(0, 0x110000, 0x10000))
def test_every_character_is_written_as_lxml_writes_it(first: int) -> None:
    """Each plane of Unicode as a tag value, control characters and surrogates included
    (``xml_safe`` replaces what XML cannot carry, then both must agree on the escapes)."""
    output = {"Reservations": [{"Instances": [_tags_of(_code_points(first, first + 0x10000))]}]}
    assert rendered("DescribeInstances", output) == reference("DescribeInstances", output)


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    "instance",
    [
        pytest.param({}, id="empty-structure"),
        pytest.param({"ProductCodes": [], "Tags": []}, id="empty-lists"),
        pytest.param({"PublicDnsName": "", "StateTransitionReason": ""}, id="empty-text"),
        pytest.param({"Placement": {}, "Monitoring": {"State": None}}, id="members-all-none"),
        pytest.param(
            {
                "InstanceId": "i-1",
                "AmiLaunchIndex": 0,
                "EbsOptimized": False,
                "SourceDestCheck": True,
                "LaunchTime": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
                "UsageOperationUpdateTime": dt.datetime(2026, 1, 2, 3, 4, 5),
                "InstanceType": Colour.RED,
                "KeyName": "a & b <c> \r\n\t 'd' \"e\" ]]>",
                "State": {"Code": 16, "Name": "running"},
                "CpuOptions": {"CoreCount": 2, "ThreadsPerCore": 1},
                "BlockDeviceMappings": [{"DeviceName": "/dev/vda", "Ebs": {"VolumeId": "v"}}, {}],
            },
            id="every-kind-of-value",
        ),
    ],
)
def test_structures_lists_and_scalars_are_written_as_lxml_writes_them(
    instance: dict[str, Any],
) -> None:
    output = {"Reservations": [{"ReservationId": "r-1", "Groups": [], "Instances": [instance]}]}
    assert rendered("DescribeInstances", output) == reference("DescribeInstances", output)
    assert rendered("DescribeInstances", {}) == reference("DescribeInstances", {})


def test_blobs_and_the_namespace_of_another_version() -> None:
    output = {"InstanceId": "i-1", "UserData": {"Value": base64.b64encode(b"\x00\xff").decode()}}
    assert rendered("DescribeInstanceAttribute", output, "2014-10-01") == reference(
        "DescribeInstanceAttribute", output, "2014-10-01"
    )
