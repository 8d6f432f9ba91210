"""Instances through core services, on SQLite and libvirt's test driver."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.enums import DiskFormat, EventState, EventType, JobStatus, ResourceKind
from core.errors import (
    CapacityUnavailable,
    Conflict,
    CoreError,
    InvalidArgument,
    InvalidState,
    NotFound,
    QuotaExceeded,
)
from core.hosts import domain_xml
from core.hosts.libvirt_driver import guest_volume_name
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView, InstanceQuery, VolumeQuery
from tests.unit.helpers import behind_cores_back, host_driver, row_counts


def launch(services: Services, caller: Caller, **overrides: object) -> list[str]:
    request = LaunchRequest(**{"image": "tiny-linux", "flavor": "t1.micro", **overrides})  # type: ignore[arg-type]
    reservation = services.compute.launch(caller, request)
    return [i.ref for i in reservation.instances]


def states(services: Services, caller: Caller, refs: list[str]) -> list[InstanceState]:
    return [services.compute.get_instance(caller, ref).state for ref in refs]


def our_guests(services: Services) -> set[str]:
    return {str(guest.uuid) for guest in host_driver(services).guests()}


def test_full_lifecycle(services: Services, admin: Caller, image: ImageView) -> None:
    services.key_pairs.create_key_pair(admin, "k1")
    refs = launch(
        services,
        admin,
        count=2,
        key_name="k1",
        user_data=b"#!/bin/sh\necho hi",
        tags={"role": "web"},
    )
    assert states(services, admin, refs) == [InstanceState.PENDING] * 2
    assert services.workers.run_pending() == 2
    assert states(services, admin, refs) == [InstanceState.RUNNING] * 2
    ids = {str(services.compute.get_instance(admin, r).id) for r in refs}
    assert our_guests(services) == ids

    changes = services.compute.stop_instances(admin, refs)
    assert [(c.item.previous, c.item.current) for c in changes] == [
        (InstanceState.RUNNING, InstanceState.STOPPING)
    ] * 2
    services.workers.run_pending()
    assert states(services, admin, refs) == [InstanceState.STOPPED] * 2

    services.compute.start_instances(admin, refs)
    services.workers.run_pending()
    services.compute.reboot_instances(admin, refs)
    assert states(services, admin, refs) == [InstanceState.REBOOTING] * 2
    services.workers.run_pending()
    assert states(services, admin, refs) == [InstanceState.RUNNING] * 2

    services.compute.terminate_instances(admin, refs)
    services.workers.run_pending()
    assert states(services, admin, refs) == [InstanceState.TERMINATED] * 2
    assert our_guests(services) == set()
    assert {j.status for j in services.jobs.list_jobs(admin).items} == {JobStatus.SUCCEEDED}


def test_events_follow_each_job(services: Services, admin: Caller, image: ImageView) -> None:
    [ref] = launch(services, admin)
    services.workers.run_pending()
    instance = services.compute.get_instance(admin, ref)
    timeline = [
        (e.type, e.state)
        for e in reversed(services.events.list_events(admin, resource_id=instance.id).items)
    ]
    assert timeline == [
        (EventType.VM_CREATE, EventState.SCHEDULED),
        (EventType.VM_CREATE, EventState.STARTED),
        (EventType.VM_CREATE, EventState.COMPLETED),
    ]
    newest_first = services.events.list_events(admin, resource_id=instance.id).items
    assert [e.seq for e in newest_first] == sorted((e.seq for e in newest_first), reverse=True)
    assert newest_first[0].parent_seq == newest_first[-1].seq


def test_terminating_twice_changes_nothing(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [ref] = launch(services, admin)
    services.workers.run_pending()
    services.compute.terminate_instances(admin, [ref])
    services.workers.run_pending()
    [change] = services.compute.terminate_instances(admin, [ref])
    assert (change.item.previous, change.item.current, change.job_id) == (
        InstanceState.TERMINATED,
        InstanceState.TERMINATED,
        None,
    )


def test_parallel_launches_of_one_image_all_succeed(
    services: Services, admin: Caller, image: ImageView
) -> None:
    """Several workers launching from one image must not race to create its base volume."""
    refs = launch(services, admin, count=4)
    start = threading.Barrier(4)

    def work(worker: int) -> bool:
        start.wait(timeout=30)
        return services.workers.run_one(f"w{worker}")

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, range(4))) == [True] * 4
    assert states(services, admin, refs) == [InstanceState.RUNNING] * 4
    images = [v for v in host_driver(services).volumes() if v.owner_kind is ResourceKind.IMAGE]
    assert {v.owner_id for v in images} == {image.id}


def test_base_image_left_half_uploaded_is_uploaded_again(
    services: Services, admin: Caller, image: ImageView
) -> None:
    """A crash mid-upload leaves the volume without its completion marker; it is not trusted."""
    pool = behind_cores_back(services).storagePoolLookupByName(services.settings.pool_name)
    name = f"image-{image.id}.qcow2"
    pool.createXML(domain_xml.volume(name, capacity=1, disk_format=DiskFormat.RAW), 0)
    [ref] = launch(services, admin)
    services.workers.run_pending()
    assert states(services, admin, [ref]) == [InstanceState.RUNNING]
    assert pool.storageVolLookupByName(name).info()[1] == image.virtual_size
    pool.storageVolLookupByName(f"{name}.complete")


BAD_LAUNCHES = [
    pytest.param({"image": "no-such-image"}, NotFound, "image", id="unknown-image"),
    pytest.param({"image": "0123456789abcdef0"}, NotFound, "image", id="unknown-image-ref"),
    pytest.param({"flavor": "x9.huge"}, NotFound, "flavor", id="unknown-flavor"),
    pytest.param({"key_name": "nope"}, NotFound, "key-pair", id="unknown-key-pair"),
    pytest.param({"count": 0}, InvalidArgument, "count", id="count-zero"),
    pytest.param({"count": -3}, InvalidArgument, "count", id="count-negative"),
    pytest.param({"count": 100_000}, QuotaExceeded, "instances per request", id="count-huge"),
    pytest.param({"user_data": b"x" * 16385}, InvalidArgument, "user_data", id="user-data-big"),
    pytest.param({"root_disk_gib": 0}, InvalidArgument, "root_disk_gib", id="root-disk-zero"),
    pytest.param({"root_disk_gib": 100_000}, InvalidArgument, "root_disk_gib", id="root-disk-huge"),
    pytest.param({"tags": {"aws:x": "1"}}, InvalidArgument, "tag_key", id="reserved-tag"),
    pytest.param({"tags": {"": "1"}}, InvalidArgument, "tag_key", id="empty-tag-key"),
    pytest.param(
        {"tags": {f"k{i}": "v" for i in range(51)}},
        QuotaExceeded,
        "tags per resource",
        id="too-many-tags",
    ),
    pytest.param(
        {"flavor": "m1.large", "count": 20}, CapacityUnavailable, "memory", id="no-capacity"
    ),
]


@pytest.mark.parametrize(("overrides", "error", "about"), BAD_LAUNCHES)
def test_bad_launch_is_refused_and_changes_nothing(
    services: Services,
    admin: Caller,
    image: ImageView,
    overrides: dict[str, object],
    error: type[CoreError],
    about: str,
) -> None:
    before = row_counts(services)
    with pytest.raises(error) as refused:
        launch(services, admin, **overrides)
    assert about in str(refused.value)
    assert row_counts(services) == before
    assert services.workers.run_pending() == 0


def test_refused_action_changes_no_instance(
    services: Services, admin: Caller, image: ImageView
) -> None:
    running, stopped = launch(services, admin, count=2)
    services.workers.run_pending()
    services.compute.stop_instances(admin, [stopped])
    services.workers.run_pending()
    before = row_counts(services)
    with pytest.raises(InvalidState) as refused:
        services.compute.stop_instances(admin, [running, stopped])
    assert (refused.value.ref, refused.value.state, refused.value.action) == (
        stopped,
        "stopped",
        "stop",
    )
    assert states(services, admin, [running, stopped]) == [
        InstanceState.RUNNING,
        InstanceState.STOPPED,
    ]
    assert row_counts(services) == before
    with pytest.raises(InvalidState):
        services.compute.reboot_instances(admin, [stopped])
    with pytest.raises(InvalidState):
        services.compute.start_instances(admin, [running])


def test_other_accounts_instances_are_invisible(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    [mine] = launch(services, alice)
    [theirs] = launch(services, admin)
    services.workers.run_pending()
    before = row_counts(services)
    for act in (
        services.compute.stop_instances,
        services.compute.terminate_instances,
        services.compute.reboot_instances,
    ):
        with pytest.raises(NotFound) as refused:
            act(alice, [mine, theirs])
        assert refused.value.ref == theirs
    with pytest.raises(NotFound):
        services.compute.get_instance(alice, theirs)
    with pytest.raises(NotFound):
        services.compute.console_output(alice, theirs)
    assert row_counts(services) == before
    assert [i.ref for i in services.compute.list_instances(alice, InstanceQuery()).items] == [mine]
    assert {i.ref for i in services.compute.list_instances(admin, InstanceQuery()).items} == {
        mine,
        theirs,
    }


def test_key_pairs_are_per_account_and_public_images_shared(
    services: Services,
    admin: Caller,
    alice: Caller,
    image: ImageView,
) -> None:
    services.key_pairs.create_key_pair(admin, "admins-key")
    with pytest.raises(NotFound):
        launch(services, alice, key_name="admins-key")
    launch(services, alice, image=str(image.id))  # public images are for everyone


def test_listing_filters_and_pages(services: Services, admin: Caller, image: ImageView) -> None:
    web = launch(services, admin, count=3, tags={"role": "web"}, name="web")
    db = launch(services, admin, count=2, tags={"role": "db"}, name="db")
    services.workers.run_pending()
    services.compute.stop_instances(admin, db[:1])
    services.workers.run_pending()

    def listed(**query: object) -> tuple[list[str], int]:
        page = services.compute.list_instances(admin, InstanceQuery(**query))  # type: ignore[arg-type]
        return [i.ref for i in page.items], page.total

    assert listed(tags={"role": ["web"]}) == (web, 3)
    assert listed(tags={"role": []}) == (web + db, 5)
    assert listed(states=[InstanceState.STOPPED]) == (db[:1], 1)
    assert listed(names=["db"]) == (db, 2)
    assert listed(ids=[web[0], str(services.compute.get_instance(admin, db[1]).id)]) == (
        [web[0], db[1]],
        2,
    )
    assert listed(offset=1, limit=2) == ((web + db)[1:3], 5)
    assert listed(ids=["not-an-id"]) == ([], 0)
    with pytest.raises(InvalidArgument):
        listed(offset=-1)


def test_client_token_replays_and_guards(
    services: Services, admin: Caller, image: ImageView
) -> None:
    first = launch(services, admin, count=2, client_token="tok-1")
    assert launch(services, admin, count=2, client_token="tok-1") == first
    with pytest.raises(Conflict):
        launch(services, admin, count=1, client_token="tok-1")
    assert services.compute.list_instances(admin, InstanceQuery()).total == 2


def test_instance_view_carries_what_apis_render(
    services: Services, admin: Caller, image: ImageView
) -> None:
    services.key_pairs.create_key_pair(admin, "k1")
    [ref] = launch(
        services, admin, key_name="k1", name="Web Server_1", tags={"a": "b"}, user_data=b"data"
    )
    view = services.compute.get_instance(admin, ref)
    assert (view.flavor_name, view.vcpus, view.memory_mib) == ("t1.micro", 1, 613)
    assert (view.image_name, view.key_name, view.user_data) == ("tiny-linux", "k1", b"data")
    assert view.hostname == "web-server-1"
    assert view.tags == {"a": "b"}
    assert view.zone_name == services.settings.zone
    [nic] = view.nics
    assert nic.ip is None  # no lease before the guest asks
    assert nic.reserved_ip.startswith("10.254.") and len(nic.ref) == 17
    jobs = services.jobs.list_jobs(admin).items
    assert [(j.kind.value, j.resource_kind) for j in jobs] == [
        ("launch-instance", ResourceKind.INSTANCE)
    ]


def test_root_disk_can_be_bigger_than_the_flavors(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [ref] = launch(services, admin, root_disk_gib=20)
    services.workers.run_pending()
    [root] = services.storage.list_volumes(admin, VolumeQuery(instance=ref)).items
    assert root.size_bytes == 20 * 1024**3
    pool = behind_cores_back(services).storagePoolLookupByName(services.settings.pool_name)
    disk = pool.storageVolLookupByName(guest_volume_name(root.instance_id, "root.qcow2"))
    assert disk.info()[1] == 20 * 1024**3


def test_catalog_lookups(services: Services) -> None:
    [zone] = services.catalog.list_zones()
    assert (zone.name, zone.region) == (services.settings.zone, services.settings.region)
    micro = services.catalog.get_flavor("t2.micro")
    assert services.catalog.get_flavor(str(micro.id)) == micro
    assert services.catalog.get_flavor(micro.ref) == micro
    with pytest.raises(NotFound):
        services.catalog.get_flavor("t9.giant")
