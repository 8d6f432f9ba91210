"""Paging and filters of list commands (spec §1.8): ``page``/``pagesize`` come together, at most
``default.page.size`` rows a page, ``-1`` for all; ``count`` stays the total; ``keyword``,
``ids`` and ``tags[i].key/value`` narrow the match."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.native.checks import error_text
from conformance.native.client import NativeClient, Resources, Target

GROUPS = 5


@pytest.fixture
def groups(resources: Resources, unique: str) -> list[str]:
    """Five security groups whose names all contain ``unique`` (the keyword of every listing
    below, so other groups in the account do not matter); their ids in creation order."""
    return [resources.security_group(f"{unique}-{i}")["id"] for i in range(GROUPS)]


def _page(client: NativeClient, unique: str, **paging: str) -> dict[str, Any]:
    return client.ok("listSecurityGroups", {"keyword": unique, **paging})


def test_a_page_holds_pagesize_rows_and_count_is_the_total(
    client: NativeClient, unique: str, groups: list[str]
) -> None:
    seen: list[str] = []
    for page, rows in ((1, 2), (2, 2), (3, 1)):
        body = _page(client, unique, page=str(page), pagesize="2")
        assert body["count"] == GROUPS
        assert len(body["securitygroup"]) == rows
        seen += [group["id"] for group in body["securitygroup"]]
    assert sorted(seen) == sorted(groups), "pages must not overlap or skip rows"


def test_a_page_beyond_the_end_is_empty(
    client: NativeClient, unique: str, groups: list[str]
) -> None:
    body = _page(client, unique, page="4", pagesize="2")
    assert not body.get("securitygroup"), body
    assert set(body) <= {"count", "securitygroup"}


def test_pagesize_minus_one_without_page_returns_all(
    client: NativeClient, unique: str, groups: list[str]
) -> None:
    body = _page(client, unique, pagesize="-1")
    assert body["count"] == len(body["securitygroup"]) == GROUPS


def test_pagesize_may_reach_the_cap(
    client: NativeClient, target: Target, unique: str, groups: list[str]
) -> None:
    body = _page(client, unique, page="1", pagesize=str(target.page_size_cap))
    assert body["count"] == len(body["securitygroup"]) == GROUPS


@pytest.mark.parametrize(
    "paging",
    [
        pytest.param({"pagesize": "2"}, id="pagesize-without-page"),
        pytest.param({"page": "1"}, id="page-without-pagesize"),
        pytest.param({"page": "1", "pagesize": "CAP+1"}, id="pagesize-over-the-cap"),
        pytest.param({"page": "1", "pagesize": "-1"}, id="unlimited-pagesize-with-page"),
        pytest.param({"page": "one", "pagesize": "2"}, id="page-not-an-integer"),
        pytest.param({"page": "1", "pagesize": "two"}, id="pagesize-not-an-integer"),
    ],
)
def test_paging_rules_are_431(client: NativeClient, target: Target, paging: dict[str, str]) -> None:
    params = {
        name: str(target.page_size_cap + 1) if value == "CAP+1" else value
        for name, value in paging.items()
    }
    error_text(client.call("listSecurityGroups", params), 431, "listsecuritygroupsresponse")


def test_keyword_is_a_substring_of_the_name(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    web = {resources.security_group(f"{unique}-web-{i}", "frontend")["id"] for i in range(2)}
    resources.security_group(f"{unique}-db", "backend")
    body = client.ok("listSecurityGroups", {"keyword": f"{unique}-web"})
    assert body["count"] == 2
    assert {group["id"] for group in body["securitygroup"]} == web
    assert client.ok("listSecurityGroups", {"keyword": f"{unique}-nothing"}) == {}


def test_ids_lists_exactly_the_named_resources(
    client: NativeClient, resources: Resources, unique: str
) -> None:
    volumes = [resources.volume(f"{unique}-{i}")["id"] for i in range(3)]
    wanted = [volumes[0], volumes[2]]
    body = client.ok("listVolumes", {"ids": ",".join(wanted)})
    assert body["count"] == 2
    assert sorted(volume["id"] for volume in body["volume"]) == sorted(wanted)


def test_tags_filter(client: NativeClient, resources: Resources, unique: str) -> None:
    tagged = resources.security_group(f"{unique}-tagged")["id"]
    resources.security_group(f"{unique}-plain")
    job = client.run(
        "createTags",
        {
            "resourceids": tagged,
            "resourcetype": "SecurityGroup",
            "tags[0].key": unique,
            "tags[0].value": "blue",
        },
    )
    assert job["jobresultcode"] == 0
    by_pair = {"tags[0].key": unique, "tags[0].value": "blue"}
    body = client.ok("listSecurityGroups", by_pair)
    assert body["count"] == 1 and [group["id"] for group in body["securitygroup"]] == [tagged]
    [group] = body["securitygroup"]
    assert {"key": unique, "value": "blue"}.items() <= group["tags"][0].items()
    other_value = {"tags[0].key": unique, "tags[0].value": "red"}
    assert client.ok("listSecurityGroups", other_value) == {}
