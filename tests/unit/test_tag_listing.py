"""Tag and account listings: filtered and windowed in SQL, in a fixed number of statements
whatever the number of rows (counted as in ``test_instance_listing``)."""

from __future__ import annotations

import pytest

from core.db.models import Account
from core.enums import AccountState, ResourceKind
from core.errors import InvalidArgument
from core.services.container import Services
from core.views import AccountQuery, Caller, TagQuery
from tests.unit.helpers import counted


def make_tagged_groups(services: Services, owner: Caller, start: int, count: int) -> list[str]:
    """``count`` security groups with two tags each, one of them set after creation."""
    refs = []
    for n in range(start, start + count):
        group = services.security_groups.create_group(
            owner, f"group-{n}", group_tags={"n": str(n % 3)}
        )
        refs.append(group.ref)
    services.tags.create_tags(owner, ResourceKind.SECURITY_GROUP, refs, {"role": "web"})
    return refs


def tag_statements(services: Services, caller: Caller, query: TagQuery) -> int:
    with counted(services) as statements:
        page = services.tags.list_tags(caller, query)
    assert page.items, "the listing must show something for its count to mean anything"
    assert all(t.resource_ref for t in page.items)
    return len(statements)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(TagQuery(), id="all"),
        pytest.param(TagQuery(limit=5), id="first-page-of-5"),
        pytest.param(
            TagQuery(kinds=[ResourceKind.SECURITY_GROUP], keys=["n"], text_contains="1"),
            id="filtered",
        ),
    ],
)
def test_tag_statements_do_not_grow_with_the_tags(
    services: Services, admin: Caller, query: TagQuery
) -> None:
    make_tagged_groups(services, admin, 0, 5)  # 10 tags
    at_10 = tag_statements(services, admin, query)
    make_tagged_groups(services, admin, 5, 95)  # 200 tags
    assert tag_statements(services, admin, query) == at_10
    assert at_10 <= 3  # BEGIN, the count and the page


def test_tag_views_carry_their_resources_refs(
    services: Services, admin: Caller, alice: Caller
) -> None:
    [group] = make_tagged_groups(services, alice, 0, 1)
    volume = services.storage.create_volume(alice, size_gib=1, volume_tags={"role": "db"}).item
    listed = services.tags.list_tags(admin, TagQuery(keys=["role"])).items
    assert {(t.resource_kind, t.resource_ref, t.value) for t in listed} == {
        (ResourceKind.SECURITY_GROUP, group, "web"),
        (ResourceKind.VOLUME, volume.ref, "db"),
    }
    by_ref = TagQuery(resources=[volume.ref])
    by_id = TagQuery(resources=[str(volume.id)])
    for query in (by_ref, by_id):
        [tag] = services.tags.list_tags(alice, query).items
        assert (tag.resource_id, tag.resource_ref, tag.key) == (volume.id, volume.ref, "role")
    assert services.tags.list_tags(alice, TagQuery(resources=["no-such-thing"])).items == []


def test_tag_query_fields(services: Services, admin: Caller, alice: Caller) -> None:
    """Values of a field are OR-ed, fields AND-ed; a caller sees its own account's tags, an
    administrator every account's, narrowed by ``accounts``."""
    [mine] = make_tagged_groups(services, alice, 0, 1)
    [theirs] = make_tagged_groups(services, admin, 1, 1)
    services.tags.create_tags(
        alice, ResourceKind.SECURITY_GROUP, [mine], {"Owner": "Team_A", "cost%": "50"}
    )

    def shown(caller: Caller, query: TagQuery) -> set[tuple[str, str]]:
        return {(t.resource_ref, t.key) for t in services.tags.list_tags(caller, query).items}

    assert shown(alice, TagQuery()) == {(mine, k) for k in ("n", "role", "Owner", "cost%")}
    assert shown(admin, TagQuery(keys=["role"])) == {(mine, "role"), (theirs, "role")}
    assert shown(admin, TagQuery(keys=["role"], accounts=[alice.account_id])) == {(mine, "role")}
    assert shown(alice, TagQuery(keys=["n", "Owner"], values=["0", "web"])) == {(mine, "n")}
    assert shown(alice, TagQuery(values=["team_a"])) == set()  # values match whole, case and all
    assert shown(alice, TagQuery(text_contains="TEAM")) == {(mine, "Owner")}  # in the value
    assert shown(alice, TagQuery(text_contains="OWN")) == {(mine, "Owner")}  # in the key
    assert shown(alice, TagQuery(text_contains="%")) == {(mine, "cost%")}  # no SQL wildcard
    assert shown(alice, TagQuery(text_contains="m_a")) == {(mine, "Owner")}
    assert shown(alice, TagQuery(kinds=[ResourceKind.VOLUME])) == set()
    assert shown(alice, TagQuery(resources=[theirs])) == set()  # not the caller's


def test_tag_pages_follow_the_cursor_in_resource_then_key_order(
    services: Services, admin: Caller
) -> None:
    make_tagged_groups(services, admin, 0, 4)
    whole = services.tags.list_tags(admin, TagQuery())
    assert whole.total == 8 and whole.next_cursor is None
    order = [(t.resource_id, t.key) for t in whole.items]
    assert order == sorted(order)
    pages, after = [], None
    while True:
        page = services.tags.list_tags(admin, TagQuery(limit=3, after=after))
        assert page.total == 8
        pages.append([(t.resource_id, t.key) for t in page.items])
        if (after := page.next_cursor) is None:
            break
    assert [len(p) for p in pages] == [3, 3, 2]
    assert [tag for page in pages for tag in page] == order
    first = whole.items[0]
    services.tags.create_tags(
        admin, first.resource_kind, [first.resource_ref], {first.key: "overwritten"}
    )
    assert [(t.resource_id, t.key) for t in services.tags.list_tags(admin, TagQuery()).items] == (
        order
    )  # an overwritten tag keeps its place
    skipped = services.tags.list_tags(admin, TagQuery(offset=7))
    assert [(t.resource_id, t.key) for t in skipped.items] == order[7:]
    with pytest.raises(InvalidArgument):
        services.tags.list_tags(admin, TagQuery(after="not-a-cursor"))


def make_accounts(services: Services, start: int, count: int) -> None:
    """Bare accounts, written directly: a listing reads no more, and ``create_account``
    spends most of its time hashing each first user's password."""
    with services.db.transaction() as session:
        session.add_all(
            Account(name=f"user-{n}", is_admin=n % 10 == 0) for n in range(start, start + count)
        )


def account_statements(services: Services, caller: Caller, query: AccountQuery) -> int:
    with counted(services) as statements:
        page = services.identity.list_accounts(caller, query)
    assert page.items, "the listing must show something for its count to mean anything"
    return len(statements)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(AccountQuery(), id="all"),
        pytest.param(AccountQuery(limit=5), id="first-page-of-5"),
        pytest.param(
            AccountQuery(name_contains="USER-1", is_admin=False, states=[AccountState.ENABLED]),
            id="filtered",
        ),
    ],
)
def test_account_statements_do_not_grow_with_the_accounts(
    services: Services, admin: Caller, query: AccountQuery
) -> None:
    make_accounts(services, 0, 10)
    at_10 = account_statements(services, admin, query)
    make_accounts(services, 10, 190)
    assert account_statements(services, admin, query) == at_10
    assert at_10 <= 3  # BEGIN, the count and the page


def test_account_query_fields(services: Services, admin: Caller, alice: Caller) -> None:
    for n in range(3):  # one by one, so that they are listed in this order
        services.identity.create_account(f"user-{n}", admin=n == 0)
    carol = services.identity.create_account("carol").account

    def names(caller: Caller, query: AccountQuery) -> list[str]:
        return [a.name for a in services.identity.list_accounts(caller, query).items]

    assert names(admin, AccountQuery()) == ["admin", "alice", "user-0", "user-1", "user-2", "carol"]
    assert names(alice, AccountQuery()) == ["alice"]  # only its own
    assert names(alice, AccountQuery(names=["carol"])) == []
    assert names(admin, AccountQuery(ids=[carol.ref, str(alice.account_id)])) == ["alice", "carol"]
    assert names(admin, AccountQuery(ids=["not-an-id"])) == []
    assert names(admin, AccountQuery(names=["carol", "user-1"])) == ["user-1", "carol"]
    assert names(admin, AccountQuery(name_contains="USER")) == ["user-0", "user-1", "user-2"]
    assert names(admin, AccountQuery(is_admin=True)) == ["admin", "user-0"]
    assert names(admin, AccountQuery(is_admin=False, name_contains="user")) == ["user-1", "user-2"]
    second = services.identity.list_accounts(admin, AccountQuery(limit=2))
    assert (second.total, len(second.items)) == (6, 2)
    rest = services.identity.list_accounts(admin, AccountQuery(after=second.next_cursor))
    assert [a.name for a in rest.items] == ["user-0", "user-1", "user-2", "carol"]

    services.identity.delete_account(admin, "carol")
    assert names(admin, AccountQuery(states=[AccountState.DELETING])) == ["carol"]
    services.workers.run_pending()
    assert "carol" not in names(admin, AccountQuery())  # deleted: gone unless asked for
    assert names(admin, AccountQuery(states=[AccountState.DELETED])) == ["carol"]
