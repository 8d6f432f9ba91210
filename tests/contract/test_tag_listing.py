"""DescribeTags, listTags and listAccounts page in core (boto3's paginator, ``cs``): filters
core applies in SQL and those the front end applies to the page must not show a seam."""

from __future__ import annotations

from typing import Any

import pytest
from cs import CloudStack

from core.views import NewAccount
from tests.contract.conftest import ServedCloud
from tests.contract.ec2 import client

GROUPS = 7


@pytest.fixture(scope="module")
def ec2_account(served_cloud: ServedCloud) -> NewAccount:
    """One account for the module's tests, which only read its tags."""
    return served_cloud.account("ec2-user")


@pytest.fixture(scope="module")
def tagged(served_cloud: ServedCloud, ec2_account: NewAccount) -> list[str]:
    """Security groups tagged ``role`` and ``n``: two tags each; their ids."""
    ec2 = client(served_cloud.url, ec2_account)
    made = []
    for n in range(GROUPS):
        group = ec2.create_security_group(GroupName=f"tagged-{n}", Description="tags")["GroupId"]
        ec2.create_tags(
            Resources=[group], Tags=[{"Key": "role", "Value": "web"}, {"Key": "n", "Value": str(n)}]
        )
        made.append(group)
    return made


def _pairs(tags: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(t["ResourceId"], t["Key"]) for t in tags]


def test_describe_tags_pages_through_every_tag(ec2: Any, tagged: list[str]) -> None:
    whole = ec2.describe_tags()
    assert "NextToken" not in whole
    expected = {(g, k) for g in tagged for k in ("role", "n")}
    assert set(_pairs(whole["Tags"])) == expected
    pages = list(ec2.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["Tags"]) for p in pages] == [5, 5, 4]
    assert [pair for p in pages for pair in _pairs(p["Tags"])] == _pairs(whole["Tags"])


def test_a_page_filter_beside_sql_ones_still_fills_the_page(ec2: Any, tagged: list[str]) -> None:
    """``resource-type`` and ``resource-id`` go to core; ``key`` with a wildcard stays here."""
    filters = [
        {"Name": "resource-type", "Values": ["security-group"]},
        {"Name": "resource-id", "Values": [*tagged, "sg-bogus"]},
        {"Name": "key", "Values": ["r*"]},
    ]
    first = ec2.describe_tags(Filters=filters, MaxResults=5)
    assert len(first["Tags"]) == 5 and {t["Key"] for t in first["Tags"]} == {"role"}
    rest = ec2.describe_tags(Filters=filters, MaxResults=5, NextToken=first["NextToken"])
    assert len(rest["Tags"]) == GROUPS - 5 and "NextToken" not in rest
    assert ec2.describe_tags(Filters=[{"Name": "value", "Values": ["3"]}])["Tags"] == [
        {"ResourceId": tagged[3], "ResourceType": "security-group", "Key": "n", "Value": "3"}
    ]
    other_kind = "vol-" + tagged[3].removeprefix("sg-")  # the group's ref under another kind
    assert (
        ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [other_kind]}])["Tags"] == []
    )


def _cs(served_cloud: ServedCloud, account: NewAccount) -> CloudStack:
    return CloudStack(
        endpoint=f"{served_cloud.url}/client/api", key=account.access_key, secret=account.secret_key
    )


def test_list_tags_counts_every_match_and_shows_one_page(
    served_cloud: ServedCloud, ec2_account: NewAccount, tagged: list[str]
) -> None:
    cs = _cs(served_cloud, ec2_account)
    page = cs.listTags(page=2, pagesize=4)
    assert page["count"] == 2 * GROUPS and len(page["tag"]) == 4
    every = cs.listTags(fetch_list=True)
    assert len(every) == 2 * GROUPS
    assert [t["key"] for t in cs.listTags(keyword="ROL", fetch_list=True)] == ["role"] * GROUPS
    found = cs.listTags(resourcetype="SecurityGroup", key="n", value="3")
    assert found["count"] == 1 and found["tag"][0]["value"] == "3"


def test_list_accounts_filters_in_core(served_cloud: ServedCloud) -> None:
    admin = served_cloud.account("root-admin", admin=True)
    user = served_cloud.account("alice")
    cs = _cs(served_cloud, admin)
    names = {a["name"] for a in cs.listAccounts(fetch_list=True)}
    assert {admin.account.name, user.account.name} <= names
    one = cs.listAccounts(name=user.account.name)
    assert one["count"] == 1 and one["account"][0]["id"] == str(user.account.id)
    assert cs.listAccounts(name=user.account.name, account=admin.account.name) == {}
    admins = cs.listAccounts(accounttype=1, fetch_list=True)
    assert admin.account.name in {a["name"] for a in admins}
    assert user.account.name not in {a["name"] for a in admins}
    assert cs.listAccounts(state="disabled") == {}
    assert cs.listAccounts(accounttype=7) == {}
    paged = cs.listAccounts(page=1, pagesize=1)
    assert paged["count"] == len(names) and len(paged["account"]) == 1
    assert [a["name"] for a in _cs(served_cloud, user).listAccounts(fetch_list=True)] == [
        user.account.name
    ]
