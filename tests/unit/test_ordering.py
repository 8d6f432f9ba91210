"""A listing's ``order_by`` (CIMI ``$orderby``) is done in SQL: the views come in the order a
stable Python sort of the creation-ordered listing by the same keys gives, a NULL after every
value (last ascending, first descending), windows by offset and limit are consecutive slices
of that order, and it costs no statement.
"""

from __future__ import annotations

import enum
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from core.errors import InvalidArgument
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.views import (
    Caller,
    ImageQuery,
    ImageView,
    InstanceQuery,
    KeyPairQuery,
    LaunchTemplateQuery,
    NetworkQuery,
    SnapshotQuery,
    VolumeQuery,
    VolumeTemplateQuery,
)
from tests.unit.helpers import counted

Order = Sequence[tuple[str, bool]]


def _key(value: Any) -> tuple[bool, Any]:
    """A view's value as the listing sorts it: NULL after every value, an enumeration by
    its stored value."""
    return value is None, value.value if isinstance(value, enum.Enum) else value


def in_order(views: Sequence[Any], order_by: Order) -> list[Any]:
    """``views`` sorted by ``order_by``, keeping their own order among equals."""
    result = list(views)
    for name, descending in reversed(order_by):
        result.sort(key=lambda view: _key(getattr(view, name)), reverse=descending)
    return result


def launch(services: Services, caller: Caller, flavor: str, name: str) -> str:
    request = LaunchRequest("tiny-linux", flavor, name=name)
    [instance] = services.compute.launch(caller, request).instances
    return instance.ref


@pytest.fixture
def fleet(services: Services, admin: Caller, alice: Caller, image: ImageView) -> Services:
    """Instances of one and two vCPUs whose names sort otherwise than they were made, and
    volumes some of which are attached (a device and a time) and some not (neither)."""
    services.catalog.create_flavor(admin, "duo", vcpus=2, memory_mib=256, disk_gib=1)
    refs = {}
    for flavor, name in (
        ("t2.nano", "mike"),
        ("duo", "bravo"),
        ("t2.nano", "alpha"),
        ("duo", "zulu"),
        ("t1.micro", "kilo"),
    ):
        refs[name] = launch(services, admin, flavor, name)
    launch(services, alice, "duo", "echo")
    for size, name in ((2, "delta"), (1, "oscar"), (3, "charlie"), (1, "yankee")):
        services.storage.create_volume(admin, size_gib=size, name=name)
    services.workers.run_pending()
    volumes = {v.name: v.ref for v in services.storage.list_volumes(admin, VolumeQuery()).items}
    services.storage.attach_volume(admin, volumes["oscar"], refs["zulu"])
    services.storage.attach_volume(admin, volumes["delta"], refs["mike"])
    services.workers.run_pending()
    return services


def instances(services: Services, caller: Caller, order_by: Order = (), **window: Any) -> Any:
    return services.compute.list_instances(caller, InstanceQuery(order_by=order_by, **window))


def volumes(services: Services, caller: Caller, order_by: Order = (), **window: Any) -> Any:
    return services.storage.list_volumes(caller, VolumeQuery(order_by=order_by, **window))


@pytest.mark.parametrize(
    "order_by",
    [
        pytest.param((("name", False),), id="name"),
        pytest.param((("name", True),), id="name-desc"),
        pytest.param((("vcpus", False), ("name", False)), id="vcpus-name"),
        pytest.param((("vcpus", True), ("name", True)), id="vcpus-desc-name-desc"),
        pytest.param((("vcpus", True),), id="vcpus-desc-ties-in-creation-order"),
        pytest.param((("account_name", False), ("flavor_name", True)), id="joined-fields"),
        pytest.param((("state", False), ("launched_at", True)), id="enum-and-time"),
    ],
)
def test_instances_come_in_the_order_asked(fleet: Services, admin: Caller, order_by: Order) -> None:
    created = instances(fleet, admin).items
    assert len({view.vcpus for view in created}) == 2
    listed = instances(fleet, admin, order_by).items
    assert [view.id for view in listed] == [view.id for view in in_order(created, order_by)]


def test_names_in_both_directions(fleet: Services, admin: Caller) -> None:
    up = [view.name for view in instances(fleet, admin, (("name", False),)).items]
    down = [view.name for view in instances(fleet, admin, (("name", True),)).items]
    assert up == ["alpha", "bravo", "echo", "kilo", "mike", "zulu"]
    assert down == up[::-1]


@pytest.mark.parametrize("field", ["device", "attached_at", "instance_name"])
def test_a_null_comes_last_ascending_and_first_descending(
    fleet: Services, admin: Caller, field: str
) -> None:
    created = volumes(fleet, admin).items
    missing = [view.id for view in created if getattr(view, field) is None]
    assert 0 < len(missing) < len(created), "the volumes must have the field and lack it"
    for descending in (False, True):
        order_by = ((field, descending),)
        listed = [view.id for view in volumes(fleet, admin, order_by).items]
        assert listed == [view.id for view in in_order(created, order_by)]
        nulls = listed[: len(missing)] if descending else listed[-len(missing) :]
        assert nulls == missing  # among themselves in creation order


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_offset_windows_are_consecutive_slices_of_the_order(
    fleet: Services, admin: Caller, limit: int
) -> None:
    order_by = (("size_bytes", True), ("device", False))
    whole = volumes(fleet, admin, order_by)
    pages = [
        volumes(fleet, admin, order_by, offset=offset, limit=limit)
        for offset in range(0, whole.total, limit)
    ]
    assert all(page.total == whole.total for page in pages)
    assert [view.id for page in pages for view in page.items] == [view.id for view in whole.items]
    assert len(whole.items) == whole.total > limit


def test_an_unknown_field_is_refused(fleet: Services, admin: Caller) -> None:
    with pytest.raises(InvalidArgument, match="cannot order by colour") as refused:
        instances(fleet, admin, (("name", False), ("colour", True)))
    assert refused.value.field == "order"
    with pytest.raises(InvalidArgument, match="cannot order by user_data"):
        instances(fleet, admin, (("user_data", False),))


def test_a_cursor_with_an_order_is_refused(fleet: Services, admin: Caller) -> None:
    cursor = instances(fleet, admin, limit=2).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidArgument) as refused:
        instances(fleet, admin, (("name", False),), after=cursor, limit=2)
    assert refused.value.field == "cursor"
    assert len(instances(fleet, admin, after=cursor, limit=2).items) == 2


def test_an_order_costs_no_statement(fleet: Services, admin: Caller) -> None:
    def statements(listing: Callable[[], Any]) -> int:
        with counted(fleet) as sent:
            assert listing().items
        return len(sent)

    order_by = (("vcpus", True), ("image_name", False), ("name", False))
    assert statements(lambda: instances(fleet, admin, order_by)) == statements(
        lambda: instances(fleet, admin)
    )
    by_volume = (("instance_name", False), ("size_gib", True))
    assert statements(lambda: volumes(fleet, admin, by_volume)) == statements(
        lambda: volumes(fleet, admin)
    )


def test_every_listing_takes_an_order(fleet: Services, admin: Caller) -> None:
    """Each listing orders by its own fields: names from last to first."""
    by_name = (("name", True),)
    fleet.key_pairs.create_key_pair(admin, "first")
    fleet.key_pairs.create_key_pair(admin, "second")
    fleet.networks.create_network(admin, "backend")
    fleet.networks.create_network(admin, "frontend")
    for name in ("one", "two"):
        fleet.launch_templates.create_launch_template(
            admin, name, image="tiny-linux", flavor="t2.nano"
        )
        fleet.volume_templates.create_volume_template(admin, name, size_gib=1)
    shown = {v.name: v.ref for v in volumes(fleet, admin).items}
    for name in ("charlie", "delta", "yankee"):
        fleet.storage.create_snapshot(admin, shown[name], name=f"of-{name}")
    fleet.workers.run_pending()
    listings: dict[str, Callable[[Order], Sequence[Any]]] = {
        "snapshots": lambda o: fleet.storage.list_snapshots(admin, SnapshotQuery(order_by=o)).items,
        "key pairs": lambda o: (
            fleet.key_pairs.list_key_pairs(admin, KeyPairQuery(order_by=o)).items
        ),
        "networks": lambda o: fleet.networks.list_networks(admin, NetworkQuery(order_by=o)).items,
        "launch templates": lambda o: (
            fleet.launch_templates.list_launch_templates(
                admin, LaunchTemplateQuery(order_by=o)
            ).items
        ),
        "volume templates": lambda o: (
            fleet.volume_templates.list_volume_templates(
                admin, VolumeTemplateQuery(order_by=o)
            ).items
        ),
        "flavors": lambda o: fleet.catalog.list_flavors(order_by=o),
    }
    for what, listed in listings.items():
        created = listed(())
        assert len(created) > 1, what
        assert [view.id for view in listed(by_name)] == [
            view.id for view in in_order(created, by_name)
        ], what


def test_images_by_name(
    services: Services, admin: Caller, image: ImageView, tmp_path: Path
) -> None:
    disk = tmp_path / "other.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    other = services.images.register(admin, disk, name="other-linux", public=True)
    for descending, names in ((False, [other, image]), (True, [image, other])):
        query = ImageQuery(order_by=(("name", descending),))
        listed = services.images.list_images(admin, query).items
        assert [view.id for view in listed] == [view.id for view in names]


def test_events_and_jobs_keep_newest_first_among_equals(fleet: Services, admin: Caller) -> None:
    by_type = (("type", False),)
    newest_first = fleet.events.list_events(admin).items
    listed = fleet.events.list_events(admin, order_by=by_type).items
    assert [view.id for view in listed] == [view.id for view in in_order(newest_first, by_type)]
    assert len({view.type for view in listed}) > 1
    kinds = [
        view.kind.value for view in fleet.jobs.list_jobs(admin, order_by=(("kind", True),)).items
    ]
    assert kinds == sorted(kinds, reverse=True)
    assert len(set(kinds)) > 1
    with pytest.raises(InvalidArgument, match="cannot order by colour"):
        fleet.jobs.list_jobs(admin, order_by=(("colour", False),))
