"""Security group and key pair listings: filtered and windowed in SQL, in a fixed number of
statements whatever the number of rows (counted as in ``test_instance_listing``)."""

from __future__ import annotations

from typing import Any

import pytest

from core.enums import ResourceKind
from core.errors import NotFound
from core.network.rules import Direction
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.views import (
    Caller,
    ImageView,
    KeyPairQuery,
    RuleRequest,
    SecurityGroupQuery,
)
from tests.unit.helpers import counted


def make_groups(services: Services, owner: Caller, start: int, count: int) -> list[str]:
    """Groups with what a listing shows beside each: a CIDR rule, a rule whose source is the
    account's default group, and tags."""
    refs = []
    for n in range(start, start + count):
        group = services.security_groups.create_group(
            owner, f"group-{n}", group_tags={"n": str(n % 3)}
        )
        services.security_groups.authorize(
            owner,
            group.ref,
            Direction.INGRESS,
            [
                RuleRequest("tcp", 22, 22, cidr="10.0.0.0/8"),
                RuleRequest("all", source_group="default"),
            ],
        )
        refs.append(group.ref)
    return refs


def group_statements(services: Services, caller: Caller, query: SecurityGroupQuery) -> int:
    with counted(services) as statements:
        page = services.security_groups.list_groups(caller, query)
    assert page.items, "the listing must show something for its count to mean anything"
    assert all(g.rules for g in page.items)
    return len(statements)


GROUP_QUERIES = [
    pytest.param(SecurityGroupQuery(), id="all"),
    pytest.param(SecurityGroupQuery(limit=5), id="first-page-of-5"),
    pytest.param(SecurityGroupQuery(tags={"n": ["1"]}, name_contains="GROUP"), id="filtered"),
]


@pytest.mark.parametrize("query", GROUP_QUERIES)
def test_group_statements_do_not_grow_with_the_groups(
    services: Services, admin: Caller, query: SecurityGroupQuery
) -> None:
    make_groups(services, admin, 0, 10)
    at_10 = group_statements(services, admin, query)
    make_groups(services, admin, 10, 190)
    assert group_statements(services, admin, query) == at_10
    assert at_10 <= 10


def test_group_views_carry_rules_with_their_source_groups(
    services: Services, admin: Caller
) -> None:
    [ref] = make_groups(services, admin, 0, 1)
    [group] = services.security_groups.list_groups(admin, SecurityGroupQuery(ids=[ref])).items
    assert group == services.security_groups.get_group(admin, ref)
    assert {(r.direction, r.cidr, r.source_group_name) for r in group.rules} == {
        ("egress", "0.0.0.0/0", None),
        ("ingress", "10.0.0.0/8", None),
        ("ingress", None, "default"),
    }
    assert (group.tags, group.account_name) == ({"n": "0"}, "admin")


def test_group_query_fields_select_in_sql(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    made = make_groups(services, admin, 0, 4)
    services.security_groups.create_group(alice, "Theirs")
    services.tags.create_tags(admin, ResourceKind.SECURITY_GROUP, [made[1]], {"tier": "db"})
    [instance] = services.compute.launch(
        admin, LaunchRequest("tiny-linux", "t1.micro", security_groups=("group-2", "group-3"))
    ).instances

    def names(caller: Caller = admin, **fields: Any) -> list[str]:
        page = services.security_groups.list_groups(caller, SecurityGroupQuery(**fields))
        return [g.name for g in page.items]

    by_uuid = str(services.security_groups.get_group(admin, made[3]).id)
    assert names(ids=[made[0], by_uuid, "not-an-id"]) == ["group-0", "group-3"]
    assert names(names=["group-1", "Theirs"]) == ["group-1", "Theirs"]  # an admin sees all
    assert names(name_contains="THEI") == ["Theirs"]
    assert names(name_contains="%") == []  # a part of the name, not a pattern
    assert names(instance=instance.ref) == ["group-2", "group-3"]
    assert names(tags={"n": ["0"]}) == ["group-0", "group-3"]
    assert names(tag_keys=["tier"]) == names(tag_values=["db"]) == ["group-1"]
    assert names(accounts=[alice.account_id]) == ["default", "Theirs"]
    assert names(alice) == ["default", "Theirs"]
    assert names(alice, names=["group-1"]) == []
    with pytest.raises(NotFound):
        names(alice, instance=instance.ref)  # not an instance alice may see


def test_group_pages_walk_every_group_once(services: Services, admin: Caller) -> None:
    made = make_groups(services, admin, 0, 12)
    seen: list[str] = []
    cursor, pages = None, 0
    while True:
        page = services.security_groups.list_groups(
            admin, SecurityGroupQuery(limit=5, after=cursor)
        )
        seen.extend(g.ref for g in page.items)
        pages += 1
        assert page.total == 13  # and the default group
        cursor = page.next_cursor
        if cursor is None:
            break
    assert (seen[1:], pages) == (made, 3)
    last = services.security_groups.list_groups(admin, SecurityGroupQuery(offset=10, limit=5))
    assert [g.ref for g in last.items] == made[9:]


def make_pairs(services: Services, owner: Caller, start: int, count: int) -> list[str]:
    return [
        services.key_pairs.create_key_pair(owner, f"key-{n}", "ed25519").key_pair.ref
        for n in range(start, start + count)
    ]


def pair_statements(services: Services, caller: Caller, query: KeyPairQuery) -> int:
    with counted(services) as statements:
        assert services.key_pairs.list_key_pairs(caller, query).items
    return len(statements)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(KeyPairQuery(), id="all"),
        pytest.param(KeyPairQuery(limit=5), id="first-page-of-5"),
        pytest.param(KeyPairQuery(name_contains="KEY-1"), id="filtered"),
    ],
)
def test_key_pair_statements_do_not_grow_with_the_pairs(
    services: Services, admin: Caller, query: KeyPairQuery
) -> None:
    make_pairs(services, admin, 0, 10)
    at_10 = pair_statements(services, admin, query)
    make_pairs(services, admin, 10, 190)
    assert pair_statements(services, admin, query) == at_10
    assert at_10 <= 4


def test_key_pair_query_fields_select_in_sql(
    services: Services, admin: Caller, alice: Caller
) -> None:
    made = make_pairs(services, admin, 0, 3)
    theirs = services.key_pairs.create_key_pair(alice, "Theirs", "ed25519").key_pair

    def names(caller: Caller = admin, **fields: Any) -> list[str]:
        return [
            p.name for p in services.key_pairs.list_key_pairs(caller, KeyPairQuery(**fields)).items
        ]

    assert names() == ["key-0", "key-1", "key-2", "Theirs"]  # in creation order
    assert names(ids=[made[2], str(theirs.id), "nothing"]) == ["key-2", "Theirs"]
    assert names(names=["key-1"]) == ["key-1"]
    assert names(name_contains="_") == []
    assert names(name_contains="EIR") == ["Theirs"]
    assert names(fingerprints=[theirs.fingerprint_md5]) == ["Theirs"]
    assert names(accounts=[admin.account_id]) == ["key-0", "key-1", "key-2"]
    assert names(alice) == ["Theirs"]
    assert names(alice, ids=[made[0]]) == []
    page = services.key_pairs.list_key_pairs(admin, KeyPairQuery(limit=2, offset=1))
    assert ([p.name for p in page.items], page.total) == (["key-1", "key-2"], 4)
    assert page.next_cursor is not None
