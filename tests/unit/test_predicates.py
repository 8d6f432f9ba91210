"""A listing's ``where`` (a ``core.predicates`` expression) is evaluated in SQL and selects
exactly the views a Python evaluation of the same expression over the whole listing selects,
counted in the page's total, at no extra statement.

Python's reading is the one ``core.filtering`` documents: a comparison with a missing value
(None, or a tag the resource lacks) does not hold, whatever its operator, and ``Not`` is the
exact complement.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.enums import EventType, JobKind, JobStatus, ResourceKind, VolumeState, VolumeType
from core.errors import ErrorKind, InvalidArgument
from core.predicates import (
    Always,
    And,
    Compare,
    Not,
    Op,
    Or,
    Predicate,
    Scalar,
    TagCompare,
)
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import (
    AddressQuery,
    Caller,
    ImageQuery,
    ImageView,
    InstanceQuery,
    InterfaceQuery,
    KeyPairQuery,
    NetworkQuery,
    SnapshotQuery,
    VolumeQuery,
)
from tests.unit.helpers import counted

_ORDER: Final[Mapping[Op, Callable[[Any, Any], bool]]] = {
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}
_EQUALITY: Final = (Op.EQ, Op.NE)
_TAG_KEYS: Final = ("role", "tier", "absent")
_TAG_VALUES: Final = ("web", "db", "a", "gold", "none")


def holds(predicate: Predicate, view: Any) -> bool:
    """``predicate`` over one view, read as ``core.filtering`` documents it."""
    match predicate:
        case Always(holds=result):
            return result
        case And(left=left, right=right):
            return holds(left, view) and holds(right, view)
        case Or(left=left, right=right):
            return holds(left, view) or holds(right, view)
        case Not(operand=operand):
            return not holds(operand, view)
        case Compare(field=name, op=op, values=values):
            actual = getattr(view, name)
            if actual is None:
                return False
            wanted = [uuid.UUID(str(v)) if isinstance(actual, uuid.UUID) else v for v in values]
            if op is Op.EQ:
                return actual in wanted
            if op is Op.NE:
                return actual not in wanted
            return _ORDER[op](actual, wanted[0])
        case TagCompare(key=key, op=op, value=value):
            return key in view.tags and (view.tags[key] == value) is (op is Op.EQ)


def expected(views: Sequence[Any], predicate: Predicate) -> list[uuid.UUID]:
    return [view.id for view in views if holds(predicate, view)]


@dataclasses.dataclass(frozen=True)
class Pool:
    """The values a random comparison of one field draws from, and whether it may order."""

    values: Sequence[Scalar]
    ordered: bool


def pools_of(
    views: Sequence[Any], ordered: Sequence[str], unordered: Mapping[str, Sequence[Scalar]]
) -> dict[str, Pool]:
    """Each ``ordered`` field's values among ``views`` and just beside them (so every
    boundary is drawn), and the ``unordered`` fields' given values."""
    pools: dict[str, Pool] = {}
    for name in ordered:
        seen = sorted({v for v in (getattr(view, name) for view in views) if v is not None})
        pools[name] = Pool([*seen, *_beside(seen)], ordered=True)
    for name, values in unordered.items():
        pools[name] = Pool(values, ordered=False)
    return pools


def _beside(seen: Sequence[Any]) -> list[Any]:
    first, last = seen[0], seen[-1]
    if isinstance(first, dt.datetime):
        return [first - dt.timedelta(seconds=1), last + dt.timedelta(microseconds=1)]
    if isinstance(first, int):
        return [first - 1, last + 1]
    return ["", first + "!", "~"]


@st.composite
def comparisons(draw: st.DrawFn, pools: Mapping[str, Pool]) -> Predicate:
    name = draw(st.sampled_from(sorted(pools)))
    pool = pools[name]
    op = draw(st.sampled_from(list(Op) if pool.ordered else list(_EQUALITY)))
    size = draw(st.integers(1, 3)) if op in _EQUALITY else 1
    values = draw(st.lists(st.sampled_from(pool.values), min_size=size, max_size=size))
    return Compare(name, op, tuple(values))


def predicates(pools: Mapping[str, Pool]) -> st.SearchStrategy[Predicate]:
    tags = st.builds(
        TagCompare,
        st.sampled_from(_TAG_KEYS),
        st.sampled_from(_EQUALITY),
        st.sampled_from(_TAG_VALUES),
    )
    leaves = st.one_of(comparisons(pools), tags, st.builds(Always, st.booleans()))
    trees = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)
        ),
        max_leaves=8,
    )
    return st.one_of(trees, st.builds(Not, trees))  # half complements, where NULLs matter most


def launch(services: Services, caller: Caller, flavor: str, name: str, **kwargs: Any) -> str:
    request = LaunchRequest("tiny-linux", flavor, name=name, **kwargs)
    [instance] = services.compute.launch(caller, request).instances
    return instance.ref


@pytest.fixture
def fleet(services: Services, admin: Caller, alice: Caller, image: ImageView) -> Services:
    """Instances of two accounts in four states (one never launched, all but one without a
    key pair), and volumes of several sizes, states and attachments, some tagged."""
    services.key_pairs.create_key_pair(admin, "deploy")
    services.catalog.create_flavor(admin, "duo", vcpus=2, memory_mib=256, disk_gib=1)
    web = launch(
        services,
        admin,
        "t1.micro",
        "web-a",
        tags={"role": "web", "tier": "a"},
        key_name="deploy",
    )
    db = launch(services, admin, "duo", "web-b", tags={"role": "db"})
    gone = launch(services, alice, "t2.nano", "Cobalt", tags={"tier": "gold"})
    services.storage.create_volume(admin, size_gib=1, name="alpha", volume_tags={"tier": "gold"})
    attached = services.storage.create_volume(admin, size_gib=2, name="beta").item.ref
    services.storage.create_volume(alice, size_gib=3, name="gamma", volume_tags={"role": "db"})
    services.workers.run_pending()
    services.compute.stop_instances(admin, [db])
    services.compute.terminate_instances(alice, [gone])
    services.storage.attach_volume(admin, attached, web)
    services.workers.run_pending()
    launch(services, alice, "t2.nano", "delta", termination_protected=True)
    services.storage.create_volume(alice, size_gib=1, name="pending")
    return services


_SEARCH: Final = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_SEARCH
@given(data=st.data())
def test_instance_listing_selects_what_the_predicate_holds_for(
    fleet: Services, admin: Caller, data: st.DataObject
) -> None:
    views = fleet.compute.list_instances(admin, InstanceQuery()).items
    states = {view.state for view in views}
    assert states >= {InstanceState.RUNNING, InstanceState.STOPPED, InstanceState.TERMINATED}
    assert any(view.launched_at is None for view in views)
    images = [str(view.image_id) for view in views]
    pools = pools_of(
        views,
        ordered=(
            "name",
            "vcpus",
            "memory_mib",
            "flavor_name",
            "account_name",
            "key_name",
            "created_at",
            "launched_at",
        ),
        unordered={
            "state": list(InstanceState),
            "termination_protected": [True, False],
            "image_id": [*images, str(uuid.uuid4())],
        },
    )
    predicate = data.draw(predicates(pools))
    page = fleet.compute.list_instances(admin, InstanceQuery(where=predicate))
    wanted = expected(views, predicate)
    assert [view.id for view in page.items] == wanted
    assert page.total == len(wanted)


@_SEARCH
@given(data=st.data())
def test_volume_listing_selects_what_the_predicate_holds_for(
    fleet: Services, admin: Caller, data: st.DataObject
) -> None:
    views = fleet.storage.list_volumes(admin, VolumeQuery()).items
    assert {view.state for view in views} >= {VolumeState.IN_USE, VolumeState.CREATING}
    pools = pools_of(
        views,
        ordered=(
            "name",
            "size_bytes",
            "size_gib",
            "instance_name",
            "device",
            "account_name",
            "created_at",
            "attached_at",
        ),
        unordered={"state": list(VolumeState), "volume_type": list(VolumeType)},
    )
    predicate = data.draw(predicates(pools))
    page = fleet.storage.list_volumes(admin, VolumeQuery(where=predicate, limit=3))
    wanted = expected(views, predicate)
    assert [view.id for view in page.items] == wanted[:3]
    assert page.total == len(wanted)


def test_not_keeps_the_rows_a_comparison_cannot_hold_for(fleet: Services, admin: Caller) -> None:
    """SQL alone would drop the instance never launched from both sides of ``not``."""
    views = fleet.compute.list_instances(admin, InstanceQuery()).items
    latest = max(view.launched_at for view in views if view.launched_at is not None)
    launched = Compare("launched_at", Op.LE, (latest,))
    named = {
        p: {view.name for view in fleet.compute.list_instances(admin, InstanceQuery(where=p)).items}
        for p in (launched, Not(launched))
    }
    assert named[Not(launched)] == {"delta"}
    assert named[launched] == {"web-a", "web-b", "Cobalt"}


def test_ne_with_several_values_is_none_of_them(fleet: Services, admin: Caller) -> None:
    where = Compare("state", Op.NE, (InstanceState.RUNNING, InstanceState.TERMINATED))
    page = fleet.compute.list_instances(admin, InstanceQuery(where=where))
    assert {view.name for view in page.items} == {"web-b", "delta"}


def test_always_false_gives_an_empty_page(fleet: Services, admin: Caller) -> None:
    page = fleet.compute.list_instances(admin, InstanceQuery(where=Always(False)))
    assert (list(page.items), page.total, page.next_cursor) == ([], 0, None)
    assert fleet.compute.list_instances(admin, InstanceQuery(where=Always())).total == 4


def test_where_is_and_ed_with_the_other_fields(fleet: Services, admin: Caller) -> None:
    query = InstanceQuery(
        states=[InstanceState.RUNNING, InstanceState.STOPPED],
        where=TagCompare("role", Op.NE, "web"),
    )
    assert [view.name for view in fleet.compute.list_instances(admin, query).items] == ["web-b"]


@pytest.mark.parametrize(
    ("where", "why"),
    [
        pytest.param(Compare("colour", Op.EQ, ("red",)), "cannot filter on colour", id="unknown"),
        pytest.param(Compare("user_data", Op.EQ, ("x",)), "cannot filter on user_data", id="bytes"),
        pytest.param(Compare("vcpus", Op.EQ, ("2",)), "vcpus takes an integer", id="str-for-int"),
        pytest.param(Compare("vcpus", Op.EQ, (True,)), "vcpus takes an integer", id="bool-for-int"),
        pytest.param(Compare("name", Op.EQ, (3,)), "name takes a string", id="int-for-str"),
        pytest.param(
            Compare("state", Op.EQ, ("running",)),
            "state takes a member of InstanceState",
            id="str-for-enum",
        ),
        pytest.param(
            Compare("state", Op.EQ, (VolumeState.AVAILABLE,)),
            "state takes a member of InstanceState",
            id="another-enum",
        ),
        pytest.param(
            Compare("state", Op.LT, (InstanceState.RUNNING,)),
            "state is compared with = or != only",
            id="ordered-enum",
        ),
        pytest.param(
            Compare("stop_protected", Op.GE, (True,)),
            "stop_protected is compared with = or != only",
            id="ordered-bool",
        ),
        pytest.param(Compare("image_id", Op.EQ, ("ami-1",)), "image_id takes a UUID", id="uuid"),
        pytest.param(
            Compare("created_at", Op.LT, (dt.datetime(2030, 1, 1),)),
            "created_at takes a time with its UTC offset",
            id="naive-time",
        ),
        pytest.param(Compare("vcpus", Op.LT, (1, 2)), "< takes one value", id="several-ordered"),
        pytest.param(Compare("vcpus", Op.EQ, ()), "vcpus = needs a value", id="no-value"),
        pytest.param(
            TagCompare("role", Op.LT, "web"), "a tag is compared with = or != only", id="tag-op"
        ),
        pytest.param(
            Not(And(Always(), Compare("colour", Op.EQ, ("red",)))),
            "cannot filter on colour",
            id="nested",
        ),
    ],
)
def test_refused_filters(services: Services, admin: Caller, where: Predicate, why: str) -> None:
    with pytest.raises(InvalidArgument, match=why) as refused:
        services.compute.list_instances(admin, InstanceQuery(where=where))
    assert refused.value.field == "filter"


def test_key_pairs_carry_no_tags(services: Services, admin: Caller) -> None:
    services.key_pairs.create_key_pair(admin, "deploy")
    with pytest.raises(InvalidArgument, match="carry no tags"):
        services.key_pairs.list_key_pairs(
            admin, KeyPairQuery(where=TagCompare("role", Op.EQ, "web"))
        )


def statements_to_list(services: Services, caller: Caller, query: InstanceQuery) -> int:
    with counted(services) as statements:
        page = services.compute.list_instances(caller, query)
    assert page.items, "the listing must show something for its count to mean anything"
    return len(statements)


def test_a_where_costs_no_statement(fleet: Services, admin: Caller) -> None:
    where = Or(
        And(TagCompare("role", Op.EQ, "web"), Compare("vcpus", Op.GE, (1,))),
        Not(Compare("account_name", Op.EQ, ("alice",))),
    )
    plain = statements_to_list(fleet, admin, InstanceQuery())
    filtered = statements_to_list(fleet, admin, InstanceQuery(where=where))
    for n in range(3):
        launch(fleet, admin, "t2.nano", f"more-{n}", tags={"role": "web"})
    assert statements_to_list(fleet, admin, InstanceQuery(where=where)) == filtered == plain


def check_listing(
    full: Sequence[Any], filtered: Callable[[Predicate], Sequence[Any]], where: Predicate
) -> None:
    """``filtered(where)`` is what ``where`` holds for in ``full``, and not nothing."""
    wanted = expected(full, where)
    assert wanted, f"{where} selects nothing here, so the check means nothing"
    assert [view.id for view in filtered(where)] == wanted


def test_snapshot_listing(fleet: Services, admin: Caller) -> None:
    volumes = {v.name: v for v in fleet.storage.list_volumes(admin, VolumeQuery()).items}
    for name in ("alpha", "beta"):
        fleet.storage.create_snapshot(admin, volumes[name].ref, name=f"of-{name}")
    fleet.workers.run_pending()

    def listed(where: Predicate | None) -> Sequence[Any]:
        return fleet.storage.list_snapshots(admin, SnapshotQuery(where=where)).items

    full = listed(None)
    check_listing(full, listed, Compare("volume_ref", Op.EQ, (volumes["beta"].ref,)))
    check_listing(full, listed, Compare("zone_name", Op.EQ, (full[0].zone_name,)))
    check_listing(full, listed, Not(Compare("volume_type", Op.NE, (VolumeType.DATADISK,))))


def test_image_tags_match_only_where_they_are_shown(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    """Others see a public image without its owner's tags, so a tag filter of theirs
    cannot select it either."""
    services.tags.create_tags(admin, ResourceKind.IMAGE, [image.ref], {"os": "linux"})
    tagged = TagCompare("os", Op.EQ, "linux")
    for caller, names in ((admin, ["tiny-linux"]), (alice, [])):
        page = services.images.list_images(caller, ImageQuery(where=tagged))
        assert [view.name for view in page.items] == names
        assert page.total == len(names)
    shown = services.images.list_images(alice, ImageQuery(where=Not(tagged))).items
    assert [view.name for view in shown] == ["tiny-linux"]
    assert shown[0].tags == {}


def test_key_pair_listing(fleet: Services, admin: Caller) -> None:
    fleet.key_pairs.create_key_pair(admin, "second", "ed25519")

    def listed(where: Predicate | None) -> Sequence[Any]:
        return fleet.key_pairs.list_key_pairs(admin, KeyPairQuery(where=where)).items

    full = listed(None)
    check_listing(full, listed, Compare("name", Op.GT, ("deploy",)))
    check_listing(full, listed, Compare("fingerprint_md5", Op.EQ, (full[0].fingerprint_md5,)))
    check_listing(full, listed, Compare("account_name", Op.EQ, (full[0].account_name,)))


def test_network_listing(fleet: Services, admin: Caller) -> None:
    fleet.networks.create_network(admin, "backend")

    def listed(where: Predicate | None) -> Sequence[Any]:
        return fleet.networks.list_networks(admin, NetworkQuery(where=where)).items

    full = listed(None)
    default = next(view for view in full if view.is_default)
    check_listing(full, listed, Compare("is_default", Op.EQ, (True,)))
    check_listing(full, listed, Compare("vpc_ref", Op.EQ, (default.vpc_ref,)))
    check_listing(full, listed, Compare("addresses_in_use", Op.GE, (1,)))
    check_listing(full, listed, Not(Compare("addresses_in_use", Op.GE, (1,))))
    check_listing(full, listed, Compare("zone_name", Op.EQ, (default.zone_name,)))


def test_flavor_listing(services: Services) -> None:
    full = services.catalog.list_flavors()

    def listed(where: Predicate) -> Sequence[Any]:
        return services.catalog.list_flavors(where=where)

    check_listing(full, listed, Compare("vcpus", Op.GE, (2,)))
    check_listing(full, listed, And(Compare("memory_mib", Op.LT, (2048,)), Not(Always(False))))
    check_listing(full, listed, Compare("name", Op.EQ, ("t1.micro", "m1.large")))


def test_disk_offering_listing(services: Services) -> None:
    full = services.catalog.list_disk_offerings()
    assert any(o.size_gib is None for o in full), "the caller's size, which no comparison holds for"

    def listed(where: Predicate) -> Sequence[Any]:
        return services.catalog.list_disk_offerings(where=where)

    check_listing(full, listed, Compare("size_gib", Op.GE, (5,)))
    check_listing(full, listed, Not(Compare("size_gib", Op.LT, (5,))))
    check_listing(full, listed, Compare("name", Op.NE, (full[0].name,)))
    largest = services.catalog.list_disk_offerings(order_by=[("size_gib", True)])
    sizes = [o.size_gib for o in largest if o.size_gib is not None]
    assert sizes == sorted(sizes, reverse=True) and largest[0].size_gib is None, "NULL first"


def test_job_listing(fleet: Services, admin: Caller) -> None:
    def listed(where: Predicate | None) -> Sequence[Any]:
        return fleet.jobs.list_jobs(admin, where=where).items

    full = listed(None)
    check_listing(full, listed, Compare("kind", Op.EQ, (JobKind.LAUNCH_INSTANCE,)))
    check_listing(full, listed, Compare("status", Op.NE, (JobStatus.SUCCEEDED,)))
    check_listing(full, listed, Not(Compare("error_kind", Op.EQ, (ErrorKind.INTERNAL,))))
    check_listing(full, listed, Compare("account_name", Op.EQ, ("alice",)))
    page = fleet.jobs.list_jobs(admin, where=Compare("account_name", Op.EQ, ("alice",)), limit=1)
    assert page.total == len(expected(full, Compare("account_name", Op.EQ, ("alice",))))


def test_event_listing(fleet: Services, admin: Caller) -> None:
    def listed(where: Predicate | None) -> Sequence[Any]:
        return fleet.events.list_events(admin, where=where).items

    full = listed(None)
    started = next(view for view in full if view.parent_id is not None)
    check_listing(full, listed, Compare("type", Op.EQ, (EventType.VM_STOP,)))
    check_listing(full, listed, Compare("parent_id", Op.EQ, (str(started.parent_id),)))
    check_listing(full, listed, Not(Compare("parent_seq", Op.GT, (0,))))
    check_listing(full, listed, Compare("seq", Op.LE, (3,)))


def test_address_listing(fleet: Services, admin: Caller) -> None:
    web = next(
        view
        for view in fleet.compute.list_instances(admin, InstanceQuery()).items
        if view.name == "web-a"
    )
    bound = fleet.networks.allocate_address(admin, {"use": "web"}).item
    fleet.networks.allocate_address(admin)
    fleet.networks.associate_address(admin, bound.ref, web.ref)

    def listed(where: Predicate | None) -> Sequence[Any]:
        return fleet.networks.list_addresses(admin, AddressQuery(where=where)).items

    full = listed(None)
    check_listing(full, listed, Compare("instance_name", Op.EQ, ("web-a",)))
    check_listing(full, listed, Not(Compare("instance_ref", Op.EQ, (web.ref,))))
    check_listing(full, listed, Compare("ip", Op.GT, (min(view.ip for view in full),)))
    check_listing(full, listed, TagCompare("use", Op.EQ, "web"))
    check_listing(full, listed, Compare("associated_at", Op.LE, (dt.datetime.now(dt.UTC),)))
    newest_first = fleet.networks.list_addresses(admin, AddressQuery(order_by=[("ip", True)]))
    assert [view.ip for view in newest_first.items] == sorted((v.ip for v in full), reverse=True)


def test_interface_listing(fleet: Services, admin: Caller) -> None:
    """An interface's view holds its instance: the fields the listing names are read off it."""
    page = fleet.compute.list_interfaces(admin, InterfaceQuery())
    by_id = {view.id: view for view in page.items}

    def named(where: Predicate) -> set[str]:
        found = fleet.compute.list_interfaces(admin, InterfaceQuery(where=where))
        assert found.total == len(found.items)
        return {view.instance.name for view in found.items}

    everyone = {view.instance.name for view in by_id.values()}
    assert len(everyone) >= 2
    assert named(Compare("instance_name", Op.EQ, ("web-a",))) == {"web-a"}
    not_running = {
        view.instance.name
        for view in by_id.values()
        if view.instance.state is not InstanceState.RUNNING
    }
    assert not_running and not_running != everyone
    assert named(Compare("instance_state", Op.NE, (InstanceState.RUNNING,))) == not_running
    some = next(iter(by_id.values()))
    assert named(Compare("mac", Op.EQ, (some.nic.mac,))) == {some.instance.name}
    assert named(Not(Compare("device_index", Op.EQ, (0,)))) == set()
    by_name = fleet.compute.list_interfaces(
        admin, InterfaceQuery(order_by=[("instance_name", False)])
    )
    assert [v.instance.name for v in by_name.items] == sorted(
        v.instance.name for v in by_name.items
    )
