"""The reconciler against changes made to the host behind core's back."""

from __future__ import annotations

import uuid

from core.enums import DiskFormat, EventLevel, EventType, VirtType
from core.hosts import domain_xml
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView
from tests.unit.helpers import behind_cores_back, host_driver
from tests.unit.test_compute import launch, our_guests


def _running(services: Services, admin: Caller, count: int = 1) -> list[uuid.UUID]:
    refs = launch(services, admin, count=count)
    services.workers.run_pending()
    return [services.compute.get_instance(admin, ref).id for ref in refs]


def test_guest_powered_off_from_inside_becomes_stopped(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [guest] = _running(services, admin)
    behind_cores_back(services).lookupByUUIDString(str(guest)).destroy()
    report = services.reconciler.reconcile_once()
    assert report.powered_off == [guest]
    assert services.compute.get_instance(admin, str(guest)).state is InstanceState.STOPPED
    event = services.events.list_events(admin, resource_id=guest).items[0]
    assert (event.type, event.level) == (EventType.VM_STOP, EventLevel.INFO)
    assert "shutoff" in event.description
    assert services.reconciler.reconcile_once().powered_off == []


def test_vanished_domain_puts_the_instance_in_error(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [guest] = _running(services, admin)
    dom = behind_cores_back(services).lookupByUUIDString(str(guest))
    dom.destroy()
    dom.undefine()
    assert services.reconciler.reconcile_once().vanished == [guest]
    instance = services.compute.get_instance(admin, str(guest))
    assert (instance.state, instance.state_reason) == (
        InstanceState.ERROR,
        "the domain vanished from its host",
    )
    assert services.events.list_events(admin, resource_id=guest).items[0].level is EventLevel.ERROR
    services.compute.terminate_instances(admin, [str(guest)])  # error instances can be cleaned up
    services.workers.run_pending()
    assert services.compute.get_instance(admin, str(guest)).state is InstanceState.TERMINATED


def _define_stray(services: Services, installation: str) -> uuid.UUID:
    stray = uuid.uuid4()
    behind_cores_back(services).defineXML(
        domain_xml.domain(
            guest=stray,
            name=f"stray-{stray.hex[:8]}",
            virt_type=VirtType.TEST,
            vcpus=1,
            memory_mib=64,
            disks=domain_xml.DomainDisks("/nonexistent/a", "/nonexistent/b", "/nonexistent/c"),
            installation=installation,
        )
    )
    return stray


def test_orphans_of_ours_are_removed_and_others_kept(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [guest] = _running(services, admin)
    ours = _define_stray(services, services.installation)
    theirs = _define_stray(services, "another-installation")
    pool = behind_cores_back(services).storagePoolLookupByName(services.settings.pool_name)
    kept = services.storage.create_volume(admin, size_gib=1).item.id
    services.workers.run_pending()
    orphan_disk = f"{uuid.uuid4()}-root.qcow2"
    orphan_volume = f"volume-{uuid.uuid4()}.qcow2"
    orphan_snapshot = f"snapshot-{uuid.uuid4()}.qcow2"
    for name in (orphan_disk, orphan_volume, orphan_snapshot):
        pool.createXML(domain_xml.volume(name, capacity=1024, disk_format=DiskFormat.QCOW2), 0)
    report = services.reconciler.reconcile_once()
    assert report.orphan_guests == [ours]
    assert sorted(report.orphan_volumes) == sorted([orphan_disk, orphan_volume, orphan_snapshot])
    assert f"volume-{kept}.qcow2" in {v.name for v in host_driver(services).volumes()}
    assert our_guests(services) == {str(guest)}
    names = {v.name for v in host_driver(services).volumes()}
    assert orphan_disk not in names
    assert f"{guest}-root.qcow2" in names
    assert f"image-{image.id}.qcow2" in names
    assert behind_cores_back(services).lookupByUUIDString(str(theirs)) is not None


def test_instances_with_jobs_in_flight_are_left_alone(
    services: Services, admin: Caller, image: ImageView
) -> None:
    [guest] = _running(services, admin)
    services.compute.stop_instances(admin, [str(guest)])
    behind_cores_back(services).lookupByUUIDString(str(guest)).destroy()
    pending = launch(services, admin)  # queued: no domain yet, and that is not "vanished"
    report = services.reconciler.reconcile_once()
    assert (report.powered_off, report.vanished, report.orphan_guests) == ([], [], [])
    services.workers.run_pending()
    assert services.compute.get_instance(admin, str(guest)).state is InstanceState.STOPPED
    assert services.compute.get_instance(admin, pending[0]).state is InstanceState.RUNNING
