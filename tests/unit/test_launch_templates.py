"""Launch templates: stored, named launch parameters of an account (CIMI MachineTemplate)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect

from core.db import migrate
from core.db.database import Database
from core.enums import ResourceKind
from core.errors import Conflict, InvalidArgument, NotFound, QuotaExceeded
from core.predicates import And, Compare, Not, Op, Or, Predicate, TagCompare
from core.services.compute import MAX_USER_DATA
from core.services.container import Services
from core.views import UNCHANGED, Caller, ImageView, LaunchTemplateQuery, LaunchTemplateView
from tests.unit.helpers import counted, row_counts


@pytest.fixture
def bob(services: Services) -> Caller:
    services.identity.create_account("bob")
    return services.identity.caller_for("bob")


@pytest.fixture
def web(services: Services, alice: Caller, image: ImageView) -> LaunchTemplateView:
    """Alice's template with every reference filled in."""
    services.key_pairs.create_key_pair(alice, "alice-key")
    network = services.networks.create_network(alice, "alice-net")
    return services.launch_templates.create_launch_template(
        alice,
        "web",
        image=image.name,
        flavor="t1.micro",
        key_name="alice-key",
        user_data=b"#!/bin/sh\necho hello\n",
        network=network.ref,
        start=False,
        description="a web server",
        tags={"role": "web"},
    )


def test_a_template_keeps_what_it_was_given(
    services: Services, alice: Caller, image: ImageView, web: LaunchTemplateView
) -> None:
    network = services.networks.get_network(alice, "alice-net")
    assert (web.account_name, web.name, web.description) == ("alice", "web", "a web server")
    assert (web.image_id, web.image_name) == (image.id, "tiny-linux")
    assert web.flavor_name == "t1.micro"
    assert (web.key_name, web.network_id) == ("alice-key", network.id)
    assert (web.user_data, web.start, web.tags) == (
        b"#!/bin/sh\necho hello\n",
        False,
        {"role": "web"},
    )
    for text in (web.ref, str(web.id), "web"):
        assert services.launch_templates.get_launch_template(alice, text) == web


def test_a_bare_template_has_no_key_and_the_default_network(
    services: Services, alice: Caller, image: ImageView
) -> None:
    bare = services.launch_templates.create_launch_template(
        alice, "bare", image=str(image.id), flavor="t1.micro"
    )
    assert (bare.key_name, bare.network_id, bare.user_data) == (None, None, b"")
    assert (bare.start, bare.description, bare.tags) == (True, "", {})


def _create(services: Services, caller: Caller, **changes: Any) -> LaunchTemplateView:
    wanted: dict[str, Any] = {"image": "tiny-linux", "flavor": "t1.micro"} | changes
    name = wanted.pop("name", "t")
    return services.launch_templates.create_launch_template(caller, name, **wanted)


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        pytest.param({"image": "no-such-image"}, NotFound, id="unknown-image"),
        pytest.param({"flavor": "x9.huge"}, NotFound, id="unknown-flavor"),
        pytest.param({"key_name": "no-such-key"}, NotFound, id="unknown-key"),
        pytest.param({"network": "no-such-network"}, NotFound, id="unknown-network"),
        pytest.param({"user_data": b"x" * (MAX_USER_DATA + 1)}, InvalidArgument, id="user-data"),
        pytest.param({"name": ""}, InvalidArgument, id="empty-name"),
        pytest.param({"name": " web"}, InvalidArgument, id="name-with-edge-space"),
        pytest.param({"name": "n" * 256}, InvalidArgument, id="long-name"),
        pytest.param({"description": "d" * 256}, InvalidArgument, id="long-description"),
        pytest.param({"tags": {"aws:x": "1"}}, InvalidArgument, id="reserved-tag"),
        pytest.param({"tags": {str(n): "" for n in range(51)}}, QuotaExceeded, id="many-tags"),
    ],
)
def test_refused_templates_leave_nothing_behind(
    services: Services,
    alice: Caller,
    image: ImageView,
    changes: dict[str, Any],
    refused: type[Exception],
) -> None:
    before = row_counts(services)
    with pytest.raises(refused):
        _create(services, alice, **changes)
    assert row_counts(services) == before
    assert services.launch_templates.list_launch_templates(alice, LaunchTemplateQuery()).total == 0


def test_user_data_up_to_the_limit_is_kept(
    services: Services, alice: Caller, image: ImageView
) -> None:
    largest = _create(services, alice, user_data=b"x" * MAX_USER_DATA)
    assert len(largest.user_data) == MAX_USER_DATA


def test_names_are_unique_within_an_account_only(
    services: Services, alice: Caller, bob: Caller, image: ImageView, web: LaunchTemplateView
) -> None:
    with pytest.raises(Conflict):
        _create(services, alice, name="web")
    assert _create(services, bob, name="web").account_name == "bob"


def test_references_are_checked_as_a_launch_checks_them(
    services: Services, alice: Caller, bob: Caller, image: ImageView, web: LaunchTemplateView
) -> None:
    """Another account's key pair and private network are not bob's to launch with, and a
    private image of alice's is not either."""
    with pytest.raises(NotFound):
        _create(services, bob, key_name="alice-key")
    with pytest.raises(NotFound):
        _create(services, bob, network="alice-net")
    own = services.images.copy_image(alice, image.ref, name="alice-private").item
    with pytest.raises(NotFound):
        _create(services, bob, image=own.ref)


def test_update_changes_only_what_is_given(
    services: Services, alice: Caller, image: ImageView, web: LaunchTemplateView
) -> None:
    services.key_pairs.create_key_pair(alice, "other-key")
    changed = services.launch_templates.update_launch_template(
        alice, web.ref, name="web-2", key_name="other-key", start=True, tags={"tier": "front"}
    )
    assert (changed.name, changed.key_name, changed.start) == ("web-2", "other-key", True)
    assert changed.tags == {"tier": "front"}
    assert (changed.description, changed.user_data) == (web.description, web.user_data)
    assert (changed.network_id, changed.image_id) == (web.network_id, web.image_id)
    assert changed.updated_at > web.updated_at and changed.created_at == web.created_at
    cleared = services.launch_templates.update_launch_template(
        alice, web.ref, key_name=None, network=None, user_data=b"", flavor="t2.small"
    )
    assert (cleared.key_name, cleared.network_id, cleared.user_data) == (None, None, b"")
    assert cleared.flavor_name == "t2.small"
    kept = services.launch_templates.update_launch_template(
        alice, web.ref, key_name=UNCHANGED, description="still"
    )
    assert (kept.key_name, kept.flavor_name, kept.description) == (None, "t2.small", "still")
    assert services.launch_templates.get_launch_template(alice, web.ref) == kept


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        pytest.param({"name": "taken"}, Conflict, id="name-taken"),
        pytest.param({"image": "no-such-image"}, NotFound, id="unknown-image"),
        pytest.param({"flavor": "x9.huge"}, NotFound, id="unknown-flavor"),
        pytest.param({"key_name": "no-such-key"}, NotFound, id="unknown-key"),
        pytest.param({"network": "no-such-network"}, NotFound, id="unknown-network"),
        pytest.param({"user_data": b"x" * (MAX_USER_DATA + 1)}, InvalidArgument, id="user-data"),
        pytest.param({"name": "web", "tags": {"aws:x": ""}}, InvalidArgument, id="reserved-tag"),
    ],
)
def test_a_refused_update_changes_nothing(
    services: Services,
    alice: Caller,
    web: LaunchTemplateView,
    changes: dict[str, Any],
    refused: type[Exception],
) -> None:
    _create(services, alice, name="taken")
    with pytest.raises(refused):
        services.launch_templates.update_launch_template(alice, web.ref, **changes)
    assert services.launch_templates.get_launch_template(alice, web.ref) == web


def test_keeping_its_own_name_is_no_conflict(
    services: Services, alice: Caller, web: LaunchTemplateView
) -> None:
    renamed = services.launch_templates.update_launch_template(alice, web.ref, name="web")
    assert renamed.name == "web"


def test_delete_removes_the_template_and_its_tags(
    services: Services, alice: Caller, web: LaunchTemplateView
) -> None:
    services.launch_templates.delete_launch_template(alice, web.ref)
    with pytest.raises(NotFound):
        services.launch_templates.get_launch_template(alice, web.ref)
    with pytest.raises(NotFound):
        services.launch_templates.delete_launch_template(alice, web.ref)
    assert row_counts(services)["tags"] == 0


def _each_way_to_touch(services: Services) -> list[Callable[[Caller, str], object]]:
    templates = services.launch_templates
    return [
        templates.get_launch_template,
        lambda caller, ref: templates.update_launch_template(caller, ref, description="mine"),
        templates.delete_launch_template,
    ]


def test_another_account_neither_sees_nor_changes_a_template(
    services: Services, bob: Caller, web: LaunchTemplateView
) -> None:
    listed = services.launch_templates.list_launch_templates(bob, LaunchTemplateQuery())
    assert (listed.items, listed.total) == ([], 0)
    for touch in _each_way_to_touch(services):
        for text in (web.ref, str(web.id), web.name):
            with pytest.raises(NotFound):
                touch(bob, text)


def test_an_administrator_sees_and_manages_every_account_s(
    services: Services, admin: Caller, alice: Caller, web: LaunchTemplateView
) -> None:
    listed = services.launch_templates.list_launch_templates(admin, LaunchTemplateQuery())
    assert [t.ref for t in listed.items] == [web.ref]
    assert services.launch_templates.get_launch_template(admin, str(web.id)) == web
    with pytest.raises(NotFound):  # names are per account: the admin's own has none
        services.launch_templates.get_launch_template(admin, "web")
    # the key pair an administrator names is the template owner's
    changed = services.launch_templates.update_launch_template(
        admin, web.ref, key_name="alice-key", description="checked"
    )
    assert (changed.account_name, changed.key_name) == ("alice", "alice-key")
    services.launch_templates.delete_launch_template(admin, web.ref)
    assert services.launch_templates.list_launch_templates(alice, LaunchTemplateQuery()).total == 0


def test_deleting_its_key_pair_leaves_the_template_without_a_key(
    services: Services, alice: Caller, web: LaunchTemplateView
) -> None:
    """EC2's DeleteKeyPair never refuses, so the key pair goes and the template shows that
    it has no key left (ON DELETE SET NULL) rather than a key that no longer exists."""
    services.key_pairs.delete_key_pair(alice, "alice-key")
    after = services.launch_templates.get_launch_template(alice, web.ref)
    assert after == replace(web, key_name=None)
    services.key_pairs.create_key_pair(alice, "alice-key")
    assert services.launch_templates.get_launch_template(alice, web.ref).key_name is None


def test_listing_selects_in_sql(
    services: Services, alice: Caller, image: ImageView, web: LaunchTemplateView
) -> None:
    other = _create(services, alice, name="batch-job", flavor="t2.small", tags={"role": "batch"})
    templates = services.launch_templates

    def names(query: LaunchTemplateQuery) -> list[str]:
        return [t.name for t in templates.list_launch_templates(alice, query).items]

    assert names(LaunchTemplateQuery()) == ["web", "batch-job"]
    assert names(LaunchTemplateQuery(ids=[other.ref, str(web.id)])) == ["web", "batch-job"]
    assert names(LaunchTemplateQuery(ids=["not-an-id"])) == []
    assert names(LaunchTemplateQuery(names=["web"])) == ["web"]
    assert names(LaunchTemplateQuery(name_contains="JOB")) == ["batch-job"]
    assert names(LaunchTemplateQuery(flavors=[other.flavor_id])) == ["batch-job"]
    assert names(LaunchTemplateQuery(images=[image.id])) == ["web", "batch-job"]
    assert names(LaunchTemplateQuery(tags={"role": ["batch"]})) == ["batch-job"]
    assert names(LaunchTemplateQuery(tag_values=["web"])) == ["web"]
    assert names(LaunchTemplateQuery(accounts=[alice.account_id])) == ["web", "batch-job"]
    first = templates.list_launch_templates(alice, LaunchTemplateQuery(limit=1))
    assert ([t.name for t in first.items], first.total) == (["web"], 2)
    rest = templates.list_launch_templates(alice, LaunchTemplateQuery(after=first.next_cursor))
    assert ([t.name for t in rest.items], rest.next_cursor) == (["batch-job"], None)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(LaunchTemplateQuery(), id="all"),
        pytest.param(LaunchTemplateQuery(limit=5), id="first-page-of-5"),
        pytest.param(LaunchTemplateQuery(tags={"n": ["1"]}, name_contains="t"), id="filtered"),
    ],
)
def test_statements_do_not_grow_with_the_templates(
    services: Services, alice: Caller, image: ImageView, query: LaunchTemplateQuery
) -> None:
    services.key_pairs.create_key_pair(alice, "k")

    def populate(start: int, stop: int) -> None:
        for n in range(start, stop):
            _create(services, alice, name=f"t{n}", key_name="k", tags={"n": "1", "m": str(n)})

    def statements() -> int:
        with counted(services) as seen:
            page = services.launch_templates.list_launch_templates(alice, query)
        assert page.items and all(t.key_name == "k" and t.tags["n"] == "1" for t in page.items)
        return len(seen)

    populate(0, 10)
    at_10 = statements()
    populate(10, 120)
    assert statements() == at_10
    assert at_10 <= 4  # the count, the page with its names, the page's tags (and BEGIN)


def test_one_template_is_read_in_a_fixed_number_of_statements(
    services: Services, alice: Caller, web: LaunchTemplateView
) -> None:
    with counted(services) as seen:
        services.launch_templates.get_launch_template(alice, web.ref)
    assert len(seen) <= 4  # find it, read it with its names, its tags (and BEGIN)


def test_tags_are_kept_under_the_template_kind(
    services: Services, alice: Caller, web: LaunchTemplateView
) -> None:
    with services.db.transaction() as session:
        kinds = session.execute(sa.text("SELECT resource_kind, resource_id FROM tags")).all()
    assert [(kind, str(rid).replace("-", "")) for kind, rid in kinds] == [
        (ResourceKind.LAUNCH_TEMPLATE.value, web.id.hex)
    ]


def test_the_migration_adds_and_drops_the_table(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/steps.db")
    migrate.upgrade(db)
    assert "launch_templates" in inspect(db.engine).get_table_names()
    command.downgrade(migrate.alembic_config(db), "0011")
    assert "launch_templates" not in inspect(sa.create_engine(db.url)).get_table_names()
    migrate.upgrade(db)
    migrate.check(db)
    db.dispose()


def test_a_filter_expression_selects_in_sql(
    services: Services, alice: Caller, image: ImageView, web: LaunchTemplateView
) -> None:
    """``where`` over the view's fields, including the key name a template may lack."""
    bare = _create(services, alice, name="bare", flavor="t2.small", tags={"role": "batch"})

    def names(where: Predicate) -> list[str]:
        query = LaunchTemplateQuery(where=where)
        page = services.launch_templates.list_launch_templates(alice, query)
        assert page.total == len(page.items)
        return [t.name for t in page.items]

    has_key = Compare("key_name", Op.EQ, ["alice-key"])
    assert names(has_key) == ["web"]
    assert names(Compare("key_name", Op.NE, ["alice-key"])) == []
    assert names(Not(has_key)) == ["bare"]
    assert names(Compare("start", Op.EQ, [True])) == ["bare"]
    assert names(Compare("flavor_name", Op.EQ, ["t2.small"])) == ["bare"]
    assert names(Compare("image_id", Op.EQ, [str(image.id)])) == ["web", "bare"]
    assert names(Compare("network_id", Op.EQ, [str(web.network_id)])) == ["web"]
    assert names(Compare("created_at", Op.GT, [web.created_at])) == ["bare"]
    assert names(Compare("updated_at", Op.LE, [web.updated_at])) == ["web"]
    assert names(Compare("account_name", Op.EQ, ["alice"])) == ["web", "bare"]
    assert names(Or(TagCompare("role", Op.EQ, "web"), Compare("name", Op.EQ, ["bare"]))) == [
        "web",
        "bare",
    ]
    assert names(And(TagCompare("role", Op.NE, "web"), Compare("description", Op.EQ, [""]))) == [
        bare.name
    ]
    with pytest.raises(InvalidArgument):
        names(Compare("user_data", Op.EQ, ["x"]))
