"""The EC2 wire layer against botocore itself: what botocore serialises parses back to the same
arguments, and what we render botocore parses back to the same output."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
from botocore.parsers import EC2QueryParser
from botocore.serialize import EC2Serializer
from lxml import etree

from gateway.ec2 import filters, model, paging, render, wire
from gateway.ec2.errors import Ec2Error
from translations.ec2 import INSTANCE

REQUESTS: list[tuple[str, dict[str, Any]]] = [
    (
        "DescribeInstances",
        {
            "InstanceIds": ["i-0123456789abcdef0", "i-00000000000000001"],
            "Filters": [
                {"Name": "tag:Name", "Values": ["web*", "db?"]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ],
            "DryRun": True,
        },
    ),
    (
        "RunInstances",
        {
            "ImageId": "ami-0123456789abcdef0",
            "MinCount": 1,
            "MaxCount": 3,
            "InstanceType": "t2.micro",
            "SecurityGroupIds": ["sg-0123456789abcdef0"],
            "SecurityGroups": ["default", "web"],
            "BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 20}}],
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "a b&c=d"}]}
            ],
            "Placement": {"AvailabilityZone": "zone-a"},
            "ClientToken": "token-1",
            "DisableApiTermination": False,
        },
    ),
    (
        "AuthorizeSecurityGroupIngress",
        {
            "GroupId": "sg-0123456789abcdef0",
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}],
                    "UserIdGroupPairs": [{"GroupId": "sg-00000000000000001"}],
                }
            ],
        },
    ),
    (
        "CreateTags",
        {"Resources": ["i-0123456789abcdef0"], "Tags": [{"Key": "k", "Value": "ü ☃"}]},
    ),
    ("ImportKeyPair", {"KeyName": "k", "PublicKeyMaterial": b"ssh-ed25519 AAAA x"}),
    ("DescribeImages", {"Owners": ["self"], "ExecutableUsers": ["all"], "MaxResults": 5}),
]


def _flat(action: str, params: Mapping[str, Any]) -> dict[str, str]:
    operation = model.operation(action)
    assert operation is not None
    body = EC2Serializer().serialize_to_request(params, operation)["body"]
    return {k: str(v) for k, v in body.items() if k not in ("Action", "Version")}


@pytest.mark.parametrize(("action", "params"), REQUESTS, ids=[a for a, _ in REQUESTS])
def test_what_botocore_serialises_parses_back(action: str, params: dict[str, Any]) -> None:
    operation = model.operation(action)
    assert operation is not None
    assert wire.parse(operation.input_shape, _flat(action, params)) == params


def test_unknown_parameters_are_ignored_and_list_order_follows_the_index() -> None:
    operation = model.operation("DescribeInstances")
    assert operation is not None
    flat = {"InstanceId.2": "i-b", "InstanceId.10": "i-c", "InstanceId.1": "i-a", "Foo": "x"}
    assert wire.parse(operation.input_shape, flat) == {"InstanceIds": ["i-a", "i-b", "i-c"]}
    from_zero = {"InstanceId.0": "i-a", "InstanceId.1": "i-b"}  # libcloud's CreateTags does this
    assert wire.parse(operation.input_shape, from_zero) == {"InstanceIds": ["i-a", "i-b"]}


@pytest.mark.parametrize(
    ("action", "flat", "code", "about"),
    [
        ("RunInstances", {"MinCount": "1"}, "MissingParameter", "MaxCount"),
        ("RunInstances", {"MinCount": "one", "MaxCount": "1"}, "InvalidParameterValue", "MinCount"),
        ("DescribeInstances", {"DryRun": "yes"}, "InvalidParameterValue", "DryRun"),
        ("DescribeInstances", {"InstanceId.x": "i-a"}, "InvalidParameterValue", "InstanceId.x"),
        ("DescribeInstances", {"InstanceId.-1": "i-a"}, "InvalidParameterValue", "InstanceId.-1"),
        ("DescribeInstances", {"InstanceId.\u0663": "i-a"}, "InvalidParameterValue", "InstanceId"),
        ("CreateTags", {"ResourceId.1": "i-a"}, "MissingParameter", "Tag"),
        ("ImportKeyPair", {"KeyName": "k", "PublicKeyMaterial": "%%"}, "InvalidParameterValue", ""),
    ],
)
def test_bad_parameters_get_ec2_codes(
    action: str, flat: dict[str, str], code: str, about: str
) -> None:
    operation = model.operation(action)
    assert operation is not None
    with pytest.raises(Ec2Error) as refused:
        wire.parse(operation.input_shape, flat)
    assert refused.value.code == code
    assert about in refused.value.message


def _parsed(action: str, body: bytes) -> dict[str, Any]:
    operation = model.operation(action)
    assert operation is not None
    parsed: dict[str, Any] = EC2QueryParser().parse(
        {"body": body, "headers": {}, "status_code": 200}, operation.output_shape
    )
    parsed.pop("ResponseMetadata")
    return parsed


def test_rendered_output_parses_back_in_botocore() -> None:
    launched = dt.datetime(2026, 11, 21, 17, 42, 45, 123000, tzinfo=dt.UTC)
    output = {
        "Reservations": [
            {
                "ReservationId": "r-1",
                "OwnerId": "o",
                "Groups": [],
                "Instances": [
                    {
                        "InstanceId": "i-1",
                        "State": {"Code": 16, "Name": "running"},
                        "LaunchTime": launched,
                        "EbsOptimized": False,
                        "Tags": [{"Key": "a", "Value": "<&>"}],
                    }
                ],
            }
        ],
    }
    operation = model.operation("DescribeInstances")
    assert operation is not None
    body = render.success("DescribeInstances", operation.output_shape, output, "2016-11-15", "rid")
    assert _parsed("DescribeInstances", body) == output
    root = etree.fromstring(body)
    assert root.tag == "{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeInstancesResponse"
    assert b"<launchTime>2026-11-21T17:42:45.123Z</launchTime>" in body
    assert b"<ebsOptimized>false</ebsOptimized>" in body


def test_blobs_are_base64_and_unknown_members_are_refused() -> None:
    operation = model.operation("DescribeInstanceAttribute")
    assert operation is not None
    output = {"InstanceId": "i-1", "UserData": {"Value": base64.b64encode(b"hi").decode()}}
    body = render.success("X", operation.output_shape, output, "v", "r")
    assert _parsed("DescribeInstanceAttribute", body) == output
    with pytest.raises(KeyError, match="Misspelt"):
        render.success("X", operation.output_shape, {"Misspelt": 1}, "v", "r")


def test_actions_without_output_answer_return_true_and_errors_are_ec2s_envelope() -> None:
    body = render.success("CreateTags", None, {}, "2014-10-01", "rid")
    assert b'xmlns="http://ec2.amazonaws.com/doc/2014-10-01/"' in body
    assert b"<return>true</return>" in body
    error = etree.fromstring(render.error("X.Y", "bad \x00 <text>", "rid"))
    assert error.findtext("Errors/Error/Code") == "X.Y"
    assert error.findtext("Errors/Error/Message") == "bad \ufffd <text>"
    assert error.findtext("RequestID") == "rid"


@pytest.mark.parametrize(
    ("value", "matches", "misses"),
    [
        ("web*", ["web", "web-1"], ["a-web"]),
        ("db?", ["db1"], ["db", "db12"]),
        (r"\*amazon\?\\", ["*amazon?\\"], ["xamazony\\"]),
        ("[ab]", ["[ab]"], ["a"]),
        ("a.c", ["a.c"], ["abc"]),
    ],
)
def test_filter_wildcards_and_escapes(value: str, matches: list[str], misses: list[str]) -> None:
    items = [{"Name": text} for text in [*matches, *misses]]
    chosen = filters.select(
        items, [{"Name": "name", "Values": [value]}], {"name": filters.path("Name")}
    )
    assert [item["Name"] for item in chosen] == matches


def test_filters_and_across_or_within_and_read_tags_and_lists() -> None:
    items = [
        {"Id": 1, "Nics": [{"Ip": "10.0.0.1"}], "Tags": [{"Key": "env", "Value": "prod"}]},
        {"Id": 2, "Nics": [{"Ip": "10.0.0.2"}], "Tags": [{"Key": "env", "Value": "dev"}]},
        {"Id": 3, "Nics": [], "Tags": []},
    ]
    table = {"ip": filters.path("Nics.Ip"), "id": filters.path("Id")}

    def ids(wanted: list[dict[str, Any]]) -> list[int]:
        return [item["Id"] for item in filters.select(items, wanted, table)]

    assert ids([{"Name": "ip", "Values": ["10.0.0.1", "10.0.0.2"]}]) == [1, 2]
    assert ids([{"Name": "ip", "Values": ["10.*"]}, {"Name": "tag:env", "Values": ["d*"]}]) == [2]
    assert ids([{"Name": "tag-key", "Values": ["env"]}]) == [1, 2]
    assert ids([{"Name": "tag-value", "Values": ["prod"]}]) == [1]
    assert ids([{"Name": "id", "Values": ["3"]}]) == [3]
    with pytest.raises(Ec2Error, match="The filter 'nope' is invalid"):
        ids([{"Name": "nope", "Values": ["x"]}])


def test_paging_tokens_are_stable_and_end_on_the_last_page() -> None:
    items = list(range(12))
    args: dict[str, Any] = {"MaxResults": 5, "Filters": [{"Name": "a", "Values": ["b"]}]}
    first, token = paging.page(args, items)
    assert (list(first), token is not None) == ([0, 1, 2, 3, 4], True)
    assert paging.page(args, items)[1] == token  # the same request, the same token
    second, token2 = paging.page({**args, "NextToken": token}, items)
    third, token3 = paging.page({**args, "NextToken": token2}, items)
    assert (list(second), list(third), token3) == ([5, 6, 7, 8, 9], [10, 11], None)
    assert paging.page({"MaxResults": 12}, items) == (items, None)
    assert paging.page({"MaxResults": 5000}, items)[0] == items  # capped at 1000, not refused


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"MaxResults": 4}, "InvalidParameterValue"),
        ({"NextToken": "garbage"}, "InvalidParameterValue"),
        ({"MaxResults": 5, "InstanceIds": ["i-1"]}, "InvalidParameterCombination"),
    ],
)
def test_paging_refusals(args: dict[str, Any], code: str) -> None:
    with pytest.raises(Ec2Error) as refused:
        paging.page(args, list(range(10)), ("InstanceIds", "instancesSet"))
    assert refused.value.code == code


def test_a_token_from_another_request_is_refused() -> None:
    _, token = paging.page({"MaxResults": 5}, list(range(10)))
    other = {"MaxResults": 5, "NextToken": token, "Filters": [{"Name": "x", "Values": ["y"]}]}
    with pytest.raises(Ec2Error, match="NextToken"):
        paging.page(other, list(range(10)))


SPLIT_TABLE = {
    "instance-id": filters.as_refs(INSTANCE, "ids"),
    "instance-state-name": filters.as_states({"RUNNING": "running", "REBOOTING": "running"}),
    "key-name": filters.as_values("key_names"),
    "owner-id": filters.as_uuids("accounts"),
    "is-default": filters.as_flag("is_default"),
}
OWNER = "0b6f1c3e-51d4-4a8e-9f55-7d1b2c3a4e5f"


def by(name: str, *values: str) -> dict[str, Any]:
    return {"Name": name, "Values": list(values)}


@pytest.mark.parametrize(
    ("wanted", "fields", "left"),
    [
        pytest.param(
            [by("instance-id", "i-0123456789abcdef0", "i-bad")],
            {"ids": ("0123456789abcdef0", "")},
            [],
            id="ids-as-refs-malformed-match-nothing",
        ),
        pytest.param(
            [by("instance-state-name", "running")],
            {"states": ("RUNNING", "REBOOTING")},
            [],
            id="one-ec2-state-many-core-states",
        ),
        pytest.param([by("instance-state-name", "hibernating")], {}, [0], id="unknown-state-left"),
        pytest.param([by("key-name", "k*")], {}, [0], id="wildcard-left"),
        pytest.param([by("key-name", "a\\*b")], {}, [0], id="escape-left"),
        pytest.param(
            [by("key-name", "a"), by("key-name", "b")],
            {"key_names": ("a",)},
            [1],
            id="second-filter-on-a-field-left",
        ),
        pytest.param(
            [by("tag:role", "web"), by("tag:tier", "db", "cache"), by("tag:role", "x")],
            {"tags": {"role": ("web",), "tier": ("db", "cache")}},
            [2],
            id="tags",
        ),
        pytest.param(
            [by("owner-id", OWNER)],
            {"accounts": (uuid.UUID(OWNER),)},
            [],
            id="owner-as-uuid",
        ),
        pytest.param(
            [by("owner-id", OWNER, OWNER.upper())], {}, [0], id="owner-written-otherwise-left"
        ),
        pytest.param([by("owner-id", "123456789012")], {}, [0], id="owner-not-a-uuid-left"),
        pytest.param([by("is-default", "true")], {"is_default": True}, [], id="flag-true"),
        pytest.param([by("is-default", "false")], {"is_default": False}, [], id="flag-false"),
        pytest.param([by("is-default", "true", "false")], {}, [0], id="flag-both-left"),
        pytest.param([by("is-default", "True")], {}, [0], id="flag-written-otherwise-left"),
        pytest.param([by("dns-name", "x")], {}, [0], id="no-field-left"),
        pytest.param([by("key-name")], {}, [0], id="no-values-left-for-select-to-refuse"),
    ],
)
def test_split_sends_what_core_can_say_to_the_query(
    wanted: list[dict[str, Any]], fields: dict[str, Any], left: list[int]
) -> None:
    assert filters.split(wanted, SPLIT_TABLE) == (fields, [wanted[i] for i in left])


def test_split_leaves_tags_to_the_page_for_untagged_items() -> None:
    wanted = [by("tag:role", "web")]
    assert filters.split(wanted, SPLIT_TABLE, tags=False) == ({}, wanted)
