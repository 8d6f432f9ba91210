"""Volumes, snapshots and captured images through core services, on libvirt's test driver."""

from __future__ import annotations

import libvirt
import pytest

from core.enums import (
    EventState,
    EventType,
    ImageState,
    ResourceKind,
    SnapshotState,
    VolumeState,
    VolumeType,
)
from core.errors import (
    CapacityUnavailable,
    Conflict,
    CoreError,
    InvalidArgument,
    InvalidState,
    NotFound,
)
from core.hosts import domain_xml
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView, SnapshotQuery, VolumeQuery
from tests.unit.helpers import behind_cores_back, host_driver, row_counts

GIB = 1024**3


def running_instance(services: Services, caller: Caller) -> str:
    [instance] = services.compute.launch(caller, LaunchRequest("tiny-linux", "t1.micro")).instances
    services.workers.run_pending()
    return instance.ref


def new_volume(services: Services, caller: Caller, size_gib: int = 1, **kwargs: object) -> str:
    ref = services.storage.create_volume(caller, size_gib=size_gib, **kwargs).item.ref  # type: ignore[arg-type]
    services.workers.run_pending()
    return ref


def defined_disks(services: Services, instance_ref: str, caller: Caller) -> dict[str, str]:
    """Source file -> device of the guest's persistent definition, read by an outsider."""
    guest = services.compute.get_instance(caller, instance_ref).id
    dom = behind_cores_back(services).lookupByUUIDString(str(guest))
    return domain_xml.disk_targets(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))


def test_volume_lifecycle_with_events(services: Services, admin: Caller, image: ImageView) -> None:
    instance = running_instance(services, admin)
    ref = new_volume(services, admin, 2, name="data", volume_tags={"tier": "gold"})
    volume = services.storage.get_volume(admin, ref)
    assert (volume.state, volume.size_gib, volume.name, volume.tags) == (
        VolumeState.AVAILABLE,
        2,
        "data",
        {"tier": "gold"},
    )

    services.storage.attach_volume(admin, ref, instance)
    services.workers.run_pending()
    volume = services.storage.get_volume(admin, ref)
    assert (volume.state, volume.device, volume.instance_ref) == (
        VolumeState.IN_USE,
        "vdb",
        instance,
    )
    assert "vdb" in defined_disks(services, instance, admin).values()

    services.storage.detach_volume(admin, ref)
    services.workers.run_pending()
    volume = services.storage.get_volume(admin, ref)
    assert (volume.state, volume.device, volume.instance_id) == (VolumeState.AVAILABLE, None, None)
    assert "vdb" not in defined_disks(services, instance, admin).values()

    services.storage.delete_volume(admin, ref)
    services.workers.run_pending()
    with pytest.raises(NotFound):
        services.storage.get_volume(admin, ref)
    names = {v.name for v in host_driver(services).volumes()}
    assert not any(name.startswith("volume-") for name in names)

    completed = [
        e.type
        for e in services.events.list_events(admin).items
        if e.state is EventState.COMPLETED and e.resource_kind is ResourceKind.VOLUME
    ]
    assert sorted(t.value for t in completed) == sorted(
        t.value
        for t in (
            EventType.VOLUME_CREATE,
            EventType.VOLUME_ATTACH,
            EventType.VOLUME_DETACH,
            EventType.VOLUME_DELETE,
        )
    )


def test_root_volume_follows_its_instance(
    services: Services, admin: Caller, image: ImageView
) -> None:
    instance = running_instance(services, admin)
    data = new_volume(services, admin)
    services.storage.attach_volume(admin, data, instance)
    services.workers.run_pending()
    volumes = services.storage.list_volumes(admin, VolumeQuery(instance=instance)).items
    assert [(v.volume_type, v.device, v.state) for v in volumes] == [
        (VolumeType.ROOT, "vda", VolumeState.IN_USE),
        (VolumeType.DATADISK, "vdb", VolumeState.IN_USE),
    ]
    root = volumes[0]
    assert root.size_bytes == 8 * GIB  # t1.micro's root disk
    with pytest.raises(InvalidState):
        services.storage.detach_volume(admin, root.ref)
    with pytest.raises(InvalidState):
        services.storage.delete_volume(admin, data)  # in use

    services.compute.terminate_instances(admin, [instance])
    services.workers.run_pending()
    assert services.storage.get_volume(admin, data).state is VolumeState.AVAILABLE
    with pytest.raises(NotFound):
        services.storage.get_volume(admin, root.ref)
    assert services.compute.get_instance(admin, instance).state is InstanceState.TERMINATED


def test_devices_are_handed_out_in_order_and_refused_when_taken(
    services: Services, admin: Caller, image: ImageView
) -> None:
    instance = running_instance(services, admin)
    first, second, third = (new_volume(services, admin) for _ in range(3))
    services.storage.attach_volume(admin, first, instance)
    assert services.storage.attach_volume(admin, second, instance, device="vdd").item.device == (
        "vdd"
    )
    with pytest.raises(Conflict):
        services.storage.attach_volume(admin, third, instance, device="vdd")
    assert services.storage.attach_volume(admin, third, instance).item.device == "vdc"
    services.workers.run_pending()
    assert sorted(defined_disks(services, instance, admin).values()) == [
        "sda",
        "vda",
        "vdb",
        "vdc",
        "vdd",
    ]


BAD_VOLUMES = [
    pytest.param({"size_gib": 0}, InvalidArgument, "size", id="size-zero"),
    pytest.param({"size_gib": 16 * 1024 + 1}, InvalidArgument, "size", id="size-huge"),
    pytest.param({}, InvalidArgument, "size", id="no-size-no-snapshot"),
    pytest.param({"size_gib": 1, "snapshot": "nope"}, NotFound, "snapshot", id="unknown-snapshot"),
    pytest.param({"size_gib": 1, "name": "x" * 256}, InvalidArgument, "name", id="long-name"),
    pytest.param(
        {"size_gib": 1, "volume_tags": {"aws:x": "1"}}, InvalidArgument, "tag_key", id="bad-tag"
    ),
    pytest.param({"size_gib": 4096}, CapacityUnavailable, "disk", id="bigger-than-the-pool"),
]


@pytest.mark.parametrize(("arguments", "error", "about"), BAD_VOLUMES)
def test_bad_volume_is_refused_and_changes_nothing(
    services: Services,
    admin: Caller,
    arguments: dict[str, object],
    error: type[CoreError],
    about: str,
) -> None:
    before = row_counts(services)
    with pytest.raises(error) as refused:
        services.storage.create_volume(admin, **arguments)  # type: ignore[arg-type]
    assert about in str(refused.value)
    assert row_counts(services) == before
    assert services.workers.run_pending() == 0


def test_disk_counts_in_placement(services: Services, admin: Caller, image: ImageView) -> None:
    """The test pool holds about 100 GiB: a big volume leaves no room for another root disk."""
    pool_gib = services.catalog.list_hosts(admin)[0].disk_gib
    new_volume(services, admin, pool_gib - 4)
    before = row_counts(services)
    with pytest.raises(CapacityUnavailable) as refused:
        services.compute.launch(admin, LaunchRequest("tiny-linux", "t1.micro"))
    assert "disk" in str(refused.value)
    assert row_counts(services) == before


def test_attach_refusals(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    instance = running_instance(services, admin)
    volume = new_volume(services, admin)
    with pytest.raises(InvalidArgument):
        services.storage.attach_volume(admin, volume, instance, device="sdf")
    with pytest.raises(NotFound):
        services.storage.attach_volume(alice, volume, instance)  # not hers
    theirs = new_volume(services, alice)
    with pytest.raises(NotFound):
        services.storage.attach_volume(alice, theirs, instance)  # nor is the instance
    services.compute.terminate_instances(admin, [instance])
    services.workers.run_pending()
    with pytest.raises(InvalidState):
        services.storage.attach_volume(admin, volume, instance)


def test_snapshot_to_new_volume(services: Services, admin: Caller, image: ImageView) -> None:
    volume = new_volume(services, admin, 3)
    snapshot = services.storage.create_snapshot(
        admin, volume, name="s1", snapshot_tags={"k": "v"}
    ).item
    assert snapshot.state is SnapshotState.PENDING
    services.workers.run_pending()
    done = services.storage.get_snapshot(admin, snapshot.ref)
    assert (done.state, done.size_bytes, done.volume_ref, done.tags) == (
        SnapshotState.COMPLETED,
        3 * GIB,
        volume,
        {"k": "v"},
    )
    with pytest.raises(InvalidArgument):
        services.storage.create_volume(admin, snapshot=snapshot.ref, size_gib=2)
    copy = services.storage.create_volume(admin, snapshot=snapshot.ref).item
    services.workers.run_pending()
    restored = services.storage.get_volume(admin, copy.ref)
    assert (restored.state, restored.size_gib, restored.snapshot_id) == (
        VolumeState.AVAILABLE,
        3,
        snapshot.id,
    )
    tagged = services.storage.list_snapshots(admin, SnapshotQuery(tags={"k": ["v"]})).items
    assert [s.ref for s in tagged] == [snapshot.ref]

    services.storage.delete_snapshot(admin, snapshot.ref)
    services.workers.run_pending()
    assert services.storage.list_snapshots(admin, SnapshotQuery(volume=volume)).items == []
    assert not any(v.name.startswith("snapshot-") for v in host_driver(services).volumes())


def test_captured_image_becomes_launchable(
    services: Services, admin: Caller, image: ImageView
) -> None:
    instance = running_instance(services, admin)
    pending = services.images.capture(admin, instance, name="golden").item
    assert pending.state is ImageState.PENDING
    with pytest.raises(NotFound):
        services.compute.launch(admin, LaunchRequest("golden", "t1.micro"))
    with pytest.raises(Conflict):
        services.images.capture(admin, instance, name="golden")
    services.workers.run_pending()
    captured = services.images.get_image(admin, "golden")
    assert (captured.state, captured.source_instance_id) == (
        ImageState.AVAILABLE,
        services.compute.get_instance(admin, instance).id,
    )
    assert captured.virtual_size > 0
    running_instance_of_golden = services.compute.launch(
        admin, LaunchRequest("golden", "t1.micro")
    ).instances[0]
    services.workers.run_pending()
    assert (
        services.compute.get_instance(admin, running_instance_of_golden.ref).state
        is InstanceState.RUNNING
    )
    assert not any(v.name.startswith("capture-") for v in host_driver(services).volumes())


def pool_capacity(services: Services, name: str) -> int:
    conn = behind_cores_back(services)
    try:
        pool = conn.storagePoolLookupByName(services.settings.pool_name)
        return int(pool.storageVolLookupByName(name).info()[1])
    finally:
        conn.close()


def test_resize_grows_a_data_volume_and_refuses_to_shrink(
    services: Services, alice: Caller
) -> None:
    created = services.storage.create_volume(alice, size_gib=1)
    services.workers.run_pending()
    accepted = services.storage.resize_volume(alice, created.item.ref, size_gib=3)
    assert accepted.item.size_bytes == GIB  # the old size until the disk has grown
    with pytest.raises(InvalidState):  # one resize at a time
        services.storage.resize_volume(alice, created.item.ref, size_gib=4)
    services.workers.run_pending()
    assert services.storage.get_volume(alice, created.item.ref).size_bytes == 3 * GIB
    assert pool_capacity(services, f"volume-{created.item.id}.qcow2") == 3 * GIB
    with pytest.raises(InvalidArgument):
        services.storage.resize_volume(alice, created.item.ref, size_gib=2)
    with pytest.raises(InvalidArgument):
        services.storage.resize_volume(alice, created.item.ref)


def test_resize_grows_the_root_volume_of_a_running_instance(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = running_instance(services, admin)
    [root] = services.storage.list_volumes(admin, VolumeQuery()).items
    services.storage.resize_volume(admin, root.ref, size_gib=12)
    services.workers.run_pending()
    assert services.storage.get_volume(admin, root.ref).size_bytes == 12 * GIB
    guest = services.compute.get_instance(admin, ref)
    assert pool_capacity(services, f"{guest.id}-root.qcow2") == 12 * GIB
    assert guest.state is InstanceState.RUNNING
