"""DescribeInstances filters and pages through boto3, where core does part of the work in SQL
and the front end matches the rest on the rendered page: the client must not see the seam."""

from __future__ import annotations

from typing import Any

import pytest

from core.views import NewAccount
from tests.contract.conftest import ServedCloud
from tests.contract.ec2 import client

NAMES = ("a1", "a2", "b1", "a3", "a4", "a5")  # launch order; b1 falls inside the first page


@pytest.fixture(scope="module")
def ec2_account(served_cloud: ServedCloud) -> NewAccount:
    """One account for the module's tests, which only read its instances."""
    return served_cloud.account("ec2-user")


@pytest.fixture(scope="module")
def tagged(served_cloud: ServedCloud, ec2_account: NewAccount) -> dict[str, str]:
    """Six instances (the test driver's host holds six of 512 MiB), one launch each, tagged
    ``n`` with their name; name → instance id. Made once: they fill the module's host."""
    ec2 = client(served_cloud.url, ec2_account)
    image = served_cloud.image()
    made = {}
    for name in NAMES:
        [instance] = ec2.run_instances(
            ImageId=f"ami-{image.ref}",
            MinCount=1,
            MaxCount=1,
            InstanceType="t2.nano",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "n", "Value": name}]}],
        )["Instances"]
        made[name] = instance["InstanceId"]
    return made


def ids(answer: dict[str, Any]) -> list[str]:
    return [i["InstanceId"] for r in answer["Reservations"] for i in r["Instances"]]


def test_a_wildcard_filter_still_fills_the_page(ec2: Any, tagged: dict[str, str]) -> None:
    wanted = [tagged[n] for n in NAMES if n.startswith("a")]
    answer = ec2.describe_instances(Filters=[{"Name": "tag:n", "Values": ["a*"]}], MaxResults=5)
    assert (sorted(ids(answer)), answer.get("NextToken")) == (sorted(wanted), None)


def test_sql_and_page_filters_combine(ec2: Any, tagged: dict[str, str]) -> None:
    both = [
        {"Name": "instance-type", "Values": ["t2.nano"]},
        {"Name": "tag:n", "Values": ["a1", "b1", "a5"]},
        {"Name": "instance-id", "Values": [tagged["a1"], tagged["b1"], "i-bogus"]},
        {"Name": "tag-key", "Values": ["n"]},
        {"Name": "private-dns-name", "Values": ["*"]},
    ]
    assert sorted(ids(ec2.describe_instances(Filters=both))) == sorted([tagged["a1"], tagged["b1"]])
    unknown_state = [{"Name": "instance-state-name", "Values": ["hibernating"]}]
    assert ids(ec2.describe_instances(Filters=unknown_state)) == []


def test_pages_of_a_filtered_listing_walk_every_match_once(
    ec2: Any, tagged: dict[str, str]
) -> None:
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "tag:n", "Values": ["?1", "a?"]}], PaginationConfig={"PageSize": 5}
    )
    seen = [ids(page) for page in pages]
    assert [len(page) for page in seen] == [5, 1]
    assert sorted(ref for page in seen for ref in page) == sorted(tagged.values())


def test_a_token_from_another_request_is_refused(ec2: Any, tagged: dict[str, str]) -> None:
    token = ec2.describe_instances(MaxResults=5)["NextToken"]
    with pytest.raises(ec2.exceptions.ClientError) as refused:
        ec2.describe_instances(
            MaxResults=5, NextToken=token, Filters=[{"Name": "tag:n", "Values": ["a1"]}]
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
