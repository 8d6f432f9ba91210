"""Volume templates: stored, named volumes of an account (CIMI VolumeTemplate), checked as
``create_volume`` checks a volume."""

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
from core.services.container import Services
from core.services.storage import MAX_VOLUME_GIB
from core.views import (
    UNCHANGED,
    Caller,
    ImageView,
    SnapshotView,
    TagQuery,
    VolumeTemplateQuery,
    VolumeTemplateView,
)
from tests.unit.helpers import counted, row_counts


@pytest.fixture
def bob(services: Services) -> Caller:
    services.identity.create_account("bob")
    return services.identity.caller_for("bob")


@pytest.fixture
def snapshot(services: Services, alice: Caller) -> SnapshotView:
    """A snapshot of a 2 GiB volume of alice's, ready to copy."""
    volume = services.storage.create_volume(alice, size_gib=2).item
    services.workers.run_pending()
    made = services.storage.create_snapshot(alice, volume.ref, name="nightly").item
    services.workers.run_pending()
    return made


@pytest.fixture
def data(services: Services, alice: Caller, snapshot: SnapshotView) -> VolumeTemplateView:
    """Alice's template with every reference filled in."""
    return services.volume_templates.create_volume_template(
        alice,
        "data",
        size_gib=20,
        disk_offering="Medium",
        snapshot=snapshot.ref,
        description="a data disk",
        tags={"role": "data"},
    )


def _create(services: Services, caller: Caller, **changes: Any) -> VolumeTemplateView:
    wanted: dict[str, Any] = {"size_gib": 1} | changes
    name = wanted.pop("name", "t")
    return services.volume_templates.create_volume_template(caller, name, **wanted)


def test_a_template_keeps_what_it_was_given(
    services: Services, alice: Caller, snapshot: SnapshotView, data: VolumeTemplateView
) -> None:
    assert (data.account_name, data.name, data.description) == ("alice", "data", "a data disk")
    assert (data.disk_offering_name, data.size_gib, data.snapshot_id) == (
        "Medium",
        20,
        snapshot.id,
    )
    assert data.tags == {"role": "data"}
    for text in (data.ref, str(data.id), "data"):
        assert services.volume_templates.get_volume_template(alice, text) == data


@pytest.mark.parametrize(
    ("changes", "size_gib", "offering"),
    [
        pytest.param({"size_gib": 3}, 3, None, id="a-size"),
        pytest.param({"size_gib": None, "disk_offering": "Small"}, 5, "Small", id="fixed-offering"),
        pytest.param({"size_gib": 5, "disk_offering": "Small"}, 5, "Small", id="its-own-size"),
        pytest.param({"size_gib": 7, "disk_offering": "Custom"}, 7, "Custom", id="free-offering"),
        pytest.param({"size_gib": MAX_VOLUME_GIB}, MAX_VOLUME_GIB, None, id="largest"),
    ],
)
def test_a_size_is_kept_as_a_volume_would_have_it(
    services: Services,
    alice: Caller,
    changes: dict[str, Any],
    size_gib: int,
    offering: str | None,
) -> None:
    made = _create(services, alice, **changes)
    assert (made.size_gib, made.disk_offering_name, made.snapshot_id) == (size_gib, offering, None)


def test_a_snapshot_alone_is_enough(
    services: Services, alice: Caller, snapshot: SnapshotView
) -> None:
    """Without a size, a volume made from it is the snapshot's size."""
    copy = _create(services, alice, size_gib=None, snapshot=str(snapshot.id))
    assert (copy.size_gib, copy.disk_offering_id, copy.snapshot_id) == (None, None, snapshot.id)


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        pytest.param({"size_gib": None}, InvalidArgument, id="nothing-to-make"),
        pytest.param(
            {"size_gib": None, "disk_offering": "Custom"}, InvalidArgument, id="free-offering-only"
        ),
        pytest.param({"size_gib": 0}, InvalidArgument, id="empty"),
        pytest.param({"size_gib": MAX_VOLUME_GIB + 1}, InvalidArgument, id="too-large"),
        pytest.param(
            {"size_gib": 6, "disk_offering": "Small"}, InvalidArgument, id="not-the-fixed-size"
        ),
        pytest.param({"size_gib": 1, "snapshot": "nightly"}, InvalidArgument, id="below-snapshot"),
        pytest.param({"disk_offering": "Huge"}, NotFound, id="unknown-offering"),
        pytest.param({"snapshot": "no-such-snapshot"}, NotFound, id="unknown-snapshot"),
        pytest.param({"name": ""}, InvalidArgument, id="empty-name"),
        pytest.param({"name": "data "}, InvalidArgument, id="name-with-edge-space"),
        pytest.param({"name": "n" * 256}, InvalidArgument, id="long-name"),
        pytest.param({"description": "d" * 256}, InvalidArgument, id="long-description"),
        pytest.param({"tags": {"aws:x": "1"}}, InvalidArgument, id="reserved-tag"),
        pytest.param({"tags": {str(n): "" for n in range(51)}}, QuotaExceeded, id="many-tags"),
    ],
)
def test_refused_templates_leave_nothing_behind(
    services: Services,
    alice: Caller,
    snapshot: SnapshotView,
    changes: dict[str, Any],
    refused: type[Exception],
) -> None:
    wanted = {key: snapshot.ref if value == "nightly" else value for key, value in changes.items()}
    before = row_counts(services)
    with pytest.raises(refused):
        _create(services, alice, **wanted)
    assert row_counts(services) == before
    listed = services.volume_templates.list_volume_templates(alice, VolumeTemplateQuery())
    assert listed.total == 0


def test_names_are_unique_within_an_account_only(
    services: Services, alice: Caller, bob: Caller, data: VolumeTemplateView
) -> None:
    with pytest.raises(Conflict):
        _create(services, alice, name="data")
    assert _create(services, bob, name="data").account_name == "bob"


def test_another_account_s_snapshot_is_not_to_copy(
    services: Services, bob: Caller, snapshot: SnapshotView
) -> None:
    with pytest.raises(NotFound):
        _create(services, bob, snapshot=snapshot.ref)


def test_update_changes_only_what_is_given(
    services: Services, alice: Caller, snapshot: SnapshotView, data: VolumeTemplateView
) -> None:
    templates = services.volume_templates
    changed = templates.update_volume_template(
        alice, data.ref, name="data-2", disk_offering="Custom", size_gib=30, tags={"tier": "gold"}
    )
    assert (changed.name, changed.size_gib, changed.tags) == ("data-2", 30, {"tier": "gold"})
    assert (changed.disk_offering_name, changed.snapshot_id) == ("Custom", snapshot.id)
    assert changed.description == data.description
    assert changed.updated_at > data.updated_at and changed.created_at == data.created_at
    fixed = templates.update_volume_template(alice, data.ref, disk_offering="Large")
    assert (fixed.disk_offering_name, fixed.size_gib) == ("Large", 100)  # the offering's size
    freed = templates.update_volume_template(alice, data.ref, disk_offering=None, snapshot=None)
    assert (freed.disk_offering_id, freed.size_gib, freed.snapshot_id) == (None, 100, None)
    kept = templates.update_volume_template(
        alice, data.ref, size_gib=UNCHANGED, snapshot=snapshot.ref, description="still"
    )
    assert (kept.size_gib, kept.snapshot_id, kept.description) == (100, snapshot.id, "still")
    assert templates.get_volume_template(alice, data.ref) == kept


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        pytest.param({"name": "taken"}, Conflict, id="name-taken"),
        pytest.param({"size_gib": 21}, InvalidArgument, id="not-the-fixed-size"),
        pytest.param(
            {"disk_offering": "Small", "size_gib": 20}, InvalidArgument, id="fixed-size-conflicts"
        ),
        pytest.param(
            {"disk_offering": None, "size_gib": None, "snapshot": None},
            InvalidArgument,
            id="nothing-left",
        ),
        pytest.param({"disk_offering": "Huge"}, NotFound, id="unknown-offering"),
        pytest.param({"snapshot": "no-such-snapshot"}, NotFound, id="unknown-snapshot"),
        pytest.param({"name": "data", "tags": {"aws:x": ""}}, InvalidArgument, id="reserved-tag"),
    ],
)
def test_a_refused_update_changes_nothing(
    services: Services,
    alice: Caller,
    data: VolumeTemplateView,
    changes: dict[str, Any],
    refused: type[Exception],
) -> None:
    _create(services, alice, name="taken")
    with pytest.raises(refused):
        services.volume_templates.update_volume_template(alice, data.ref, **changes)
    assert services.volume_templates.get_volume_template(alice, data.ref) == data


def test_a_deleted_snapshot_leaves_the_template_without_one(
    services: Services, alice: Caller, snapshot: SnapshotView, data: VolumeTemplateView
) -> None:
    """Snapshots are deleted by state, their rows kept: the template shows none left and its
    filters find none; it can still be renamed, and a change to its contents forgets it."""
    copy = _create(services, alice, name="copy", size_gib=None, snapshot=snapshot.ref)
    services.storage.delete_snapshot(alice, snapshot.ref)
    services.workers.run_pending()
    templates = services.volume_templates
    assert templates.get_volume_template(alice, data.ref) == replace(data, snapshot_id=None)
    assert templates.get_volume_template(alice, copy.ref) == replace(copy, snapshot_id=None)
    by_snapshot = Compare("snapshot_id", Op.EQ, [str(snapshot.id)])
    listed = templates.list_volume_templates(alice, VolumeTemplateQuery(where=by_snapshot))
    assert listed.items == []
    listed = templates.list_volume_templates(alice, VolumeTemplateQuery(where=Not(by_snapshot)))
    assert [t.name for t in listed.items] == ["data", "copy"]
    with pytest.raises(NotFound):
        templates.update_volume_template(alice, data.ref, snapshot=snapshot.ref)
    assert templates.update_volume_template(alice, copy.ref, name="gone").name == "gone"
    with pytest.raises(InvalidArgument):  # nothing left to make a volume of
        templates.update_volume_template(alice, copy.ref, disk_offering=None)
    resized = templates.update_volume_template(alice, data.ref, size_gib=20)
    assert (resized.size_gib, resized.snapshot_id) == (20, None)
    with services.db.transaction() as session:
        kept = session.execute(sa.text("SELECT name, snapshot_id FROM volume_templates")).all()
    assert {(name, snapshot_id is None) for name, snapshot_id in kept} == {
        ("data", True),
        ("gone", False),
    }


def test_delete_removes_the_template_and_its_tags(
    services: Services, alice: Caller, data: VolumeTemplateView
) -> None:
    services.volume_templates.delete_volume_template(alice, data.ref)
    with pytest.raises(NotFound):
        services.volume_templates.get_volume_template(alice, data.ref)
    with pytest.raises(NotFound):
        services.volume_templates.delete_volume_template(alice, data.ref)
    with services.db.transaction() as session:
        kinds = session.scalars(sa.text("SELECT resource_kind FROM tags")).all()
    assert ResourceKind.VOLUME_TEMPLATE.value not in kinds


def _each_way_to_touch(services: Services) -> list[Callable[[Caller, str], object]]:
    templates = services.volume_templates
    return [
        templates.get_volume_template,
        lambda caller, ref: templates.update_volume_template(caller, ref, description="mine"),
        templates.delete_volume_template,
    ]


def test_another_account_neither_sees_nor_changes_a_template(
    services: Services, bob: Caller, data: VolumeTemplateView
) -> None:
    listed = services.volume_templates.list_volume_templates(bob, VolumeTemplateQuery())
    assert (listed.items, listed.total) == ([], 0)
    for touch in _each_way_to_touch(services):
        for text in (data.ref, str(data.id), data.name):
            with pytest.raises(NotFound):
                touch(bob, text)


def test_an_administrator_sees_and_manages_every_account_s(
    services: Services, admin: Caller, alice: Caller, data: VolumeTemplateView
) -> None:
    templates = services.volume_templates
    listed = templates.list_volume_templates(admin, VolumeTemplateQuery())
    assert [t.ref for t in listed.items] == [data.ref]
    assert templates.get_volume_template(admin, str(data.id)) == data
    with pytest.raises(NotFound):  # names are per account: the admin's own has none
        templates.get_volume_template(admin, "data")
    changed = templates.update_volume_template(admin, data.ref, description="checked")
    assert (changed.account_name, changed.description) == ("alice", "checked")
    templates.delete_volume_template(admin, data.ref)
    assert templates.list_volume_templates(alice, VolumeTemplateQuery()).total == 0


def test_listing_selects_in_sql(
    services: Services, alice: Caller, data: VolumeTemplateView
) -> None:
    other = _create(services, alice, name="scratch-disk", size_gib=None, disk_offering="Small")
    templates = services.volume_templates

    def names(query: VolumeTemplateQuery) -> list[str]:
        return [t.name for t in templates.list_volume_templates(alice, query).items]

    assert names(VolumeTemplateQuery()) == ["data", "scratch-disk"]
    assert names(VolumeTemplateQuery(ids=[other.ref, str(data.id)])) == ["data", "scratch-disk"]
    assert names(VolumeTemplateQuery(ids=["not-an-id"])) == []
    assert names(VolumeTemplateQuery(names=["data"])) == ["data"]
    assert names(VolumeTemplateQuery(name_contains="DISK")) == ["scratch-disk"]
    assert other.disk_offering_id is not None
    assert names(VolumeTemplateQuery(disk_offerings=[other.disk_offering_id])) == ["scratch-disk"]
    assert names(VolumeTemplateQuery(tags={"role": ["data"]})) == ["data"]
    assert names(VolumeTemplateQuery(tag_values=["data"])) == ["data"]
    assert names(VolumeTemplateQuery(accounts=[alice.account_id])) == ["data", "scratch-disk"]
    first = templates.list_volume_templates(alice, VolumeTemplateQuery(limit=1))
    assert ([t.name for t in first.items], first.total) == (["data"], 2)
    rest = templates.list_volume_templates(alice, VolumeTemplateQuery(after=first.next_cursor))
    assert ([t.name for t in rest.items], rest.next_cursor) == (["scratch-disk"], None)


def test_a_filter_expression_selects_in_sql(
    services: Services, alice: Caller, snapshot: SnapshotView, data: VolumeTemplateView
) -> None:
    """``where`` over the view's fields, including those a template may lack."""
    bare = _create(services, alice, name="bare", size_gib=3, tags={"role": "scratch"})

    def names(where: Predicate) -> list[str]:
        query = VolumeTemplateQuery(where=where)
        page = services.volume_templates.list_volume_templates(alice, query)
        assert page.total == len(page.items)
        return [t.name for t in page.items]

    medium = Compare("disk_offering_name", Op.EQ, ["Medium"])
    assert names(medium) == ["data"]
    assert names(Compare("disk_offering_name", Op.NE, ["Medium"])) == []
    assert names(Not(medium)) == ["bare"]
    assert names(Compare("disk_offering_id", Op.EQ, [str(data.disk_offering_id)])) == ["data"]
    assert names(Compare("snapshot_id", Op.EQ, [str(snapshot.id)])) == ["data"]
    assert names(Compare("size_gib", Op.LT, [10])) == ["bare"]
    assert names(Compare("created_at", Op.GT, [data.created_at])) == ["bare"]
    assert names(Compare("updated_at", Op.LE, [data.updated_at])) == ["data"]
    assert names(Compare("account_name", Op.EQ, ["alice"])) == ["data", "bare"]
    assert names(Or(TagCompare("role", Op.EQ, "data"), Compare("name", Op.EQ, ["bare"]))) == [
        "data",
        "bare",
    ]
    assert names(And(TagCompare("role", Op.NE, "data"), Compare("description", Op.EQ, [""]))) == [
        bare.name
    ]
    with pytest.raises(InvalidArgument):
        names(Compare("size_gib", Op.EQ, ["ten"]))


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(VolumeTemplateQuery(), id="all"),
        pytest.param(VolumeTemplateQuery(limit=5), id="first-page-of-5"),
        pytest.param(VolumeTemplateQuery(tags={"n": ["1"]}, name_contains="t"), id="filtered"),
    ],
)
def test_statements_do_not_grow_with_the_templates(
    services: Services, alice: Caller, snapshot: SnapshotView, query: VolumeTemplateQuery
) -> None:
    def populate(start: int, stop: int) -> None:
        for n in range(start, stop):
            _create(
                services,
                alice,
                name=f"t{n}",
                size_gib=None,
                disk_offering="Small" if n % 2 else None,
                snapshot=snapshot.ref,
                tags={"n": "1", "m": str(n)},
            )

    def statements() -> int:
        with counted(services) as seen:
            page = services.volume_templates.list_volume_templates(alice, query)
        assert page.items and all(
            t.snapshot_id == snapshot.id and t.tags["n"] == "1" for t in page.items
        )
        return len(seen)

    populate(0, 10)
    at_10 = statements()
    populate(10, 120)
    assert statements() == at_10
    assert at_10 <= 4  # the count, the page with its names, the page's tags (and BEGIN)


def test_one_template_is_read_in_a_fixed_number_of_statements(
    services: Services, alice: Caller, data: VolumeTemplateView
) -> None:
    with counted(services) as seen:
        services.volume_templates.get_volume_template(alice, data.ref)
    assert len(seen) <= 4  # find it, read it with its names, its tags (and BEGIN)


def test_tags_reach_templates_through_the_tag_service(
    services: Services, alice: Caller, image: ImageView, data: VolumeTemplateView
) -> None:
    """Volume and launch templates are taggable kinds: tags set, listed with the template's
    ref, and removed as any resource's are."""
    launch = services.launch_templates.create_launch_template(
        alice, "web", image="tiny-linux", flavor="t1.micro"
    )
    for kind, ref in (
        (ResourceKind.VOLUME_TEMPLATE, data.ref),
        (ResourceKind.LAUNCH_TEMPLATE, launch.ref),
    ):
        services.tags.create_tags(alice, kind, [ref], {"cost": "7"})
    listed = services.tags.list_tags(alice, TagQuery(keys=["cost"])).items
    assert {(t.resource_kind, t.resource_ref) for t in listed} == {
        (ResourceKind.VOLUME_TEMPLATE, data.ref),
        (ResourceKind.LAUNCH_TEMPLATE, launch.ref),
    }
    assert services.volume_templates.get_volume_template(alice, data.ref).tags == {
        "role": "data",
        "cost": "7",
    }
    services.tags.delete_tags(alice, ResourceKind.VOLUME_TEMPLATE, [data.ref], {"role": None})
    assert services.volume_templates.get_volume_template(alice, data.ref).tags == {"cost": "7"}


def test_the_migration_adds_and_drops_the_table(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/steps.db")
    migrate.upgrade(db)
    assert "volume_templates" in inspect(db.engine).get_table_names()
    command.downgrade(migrate.alembic_config(db), "0012")
    assert "volume_templates" not in inspect(sa.create_engine(db.url)).get_table_names()
    migrate.upgrade(db)
    migrate.check(db)
    db.dispose()
