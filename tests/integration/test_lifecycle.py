"""Two real tiny-linux guests through their whole life, checked from their serial consoles."""

from __future__ import annotations

import libvirt

from core.bootstrap import ADMIN_ACCOUNT
from core.enums import EventState, EventType
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from tests.integration.conftest import filter_names, leftovers, wait_for

BOOT = "CLOUDGATE-TINY-BOOT-OK"
READY = "CLOUDGATE-TINY-READY"
USER_DATA = b"#!/bin/sh\necho user-script-says-$((6 * 7))\n"


def console(services: Services, ref: str) -> str:
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    return services.compute.console_output(admin, ref).decode(errors="replace")


def ready_console(services: Services, ref: str) -> str | None:
    text = console(services, ref)
    return text if READY in text else None


def state(services: Services, ref: str) -> InstanceState:
    return services.compute.get_instance(services.identity.caller_for(ADMIN_ACCOUNT), ref).state


def test_two_guests_from_launch_to_terminate(
    cloud: Services, qemu_conn: libvirt.virConnect
) -> None:
    admin = cloud.identity.caller_for(ADMIN_ACCOUNT)
    key = cloud.key_pairs.create_key_pair(admin, "it-key").key_pair
    reservation = cloud.compute.launch(
        admin,
        LaunchRequest(
            image="tiny-linux",
            flavor="t1.micro",
            count=2,
            key_name="it-key",
            user_data=USER_DATA,
            name="tiny",
        ),
    )
    refs = [i.ref for i in reservation.instances]
    for ref in refs:
        wait_for(f"{ref} running", lambda ref=ref: state(cloud, ref) is InstanceState.RUNNING)
    for ref in refs:
        text = wait_for(
            f"{ref} ready on its console",
            lambda ref=ref: ready_console(cloud, ref),
        )
        instance = cloud.compute.get_instance(admin, ref)
        assert BOOT in text
        assert f"cloudgate-instance-id: {instance.id}" in text
        assert f"cloudgate-ssh-key-md5: {key.fingerprint_md5}" in text
        assert "cloudgate-user-data-begin\n#!/bin/sh\necho user-script-says-$((6 * 7))" in text
        assert "user-script-says-42" in text  # the script ran, not only printed
        assert "cloudgate-user-script-end rc=0" in text

    cloud.compute.stop_instances(admin, refs)
    for ref in refs:
        wait_for(f"{ref} stopped", lambda ref=ref: state(cloud, ref) is InstanceState.STOPPED)
        guest = qemu_conn.lookupByUUIDString(str(cloud.compute.get_instance(admin, ref).id))
        assert not guest.isActive()
        assert "cloudgate-acpi: power button, powering off" in console(cloud, ref)
    stop_jobs = [j for j in cloud.jobs.list_jobs(admin).items if j.kind.value == "stop-instance"]
    assert [j.result for j in stop_jobs] == [{"forced": False}] * 2  # ACPI did it, not force

    cloud.compute.start_instances(admin, refs)
    for ref in refs:
        wait_for(
            f"{ref} booted twice",
            lambda ref=ref: console(cloud, ref).count(READY) == 2,
            timeout=120,
        )

    cloud.compute.reboot_instances(admin, refs)
    for ref in refs:
        wait_for(
            f"{ref} booted a third time",
            lambda ref=ref: console(cloud, ref).count(READY) == 3,
            timeout=120,
        )
        assert state(cloud, ref) is InstanceState.RUNNING

    cloud.compute.terminate_instances(admin, refs)
    for ref in refs:
        wait_for(f"{ref} terminated", lambda ref=ref: state(cloud, ref) is InstanceState.TERMINATED)
    nic_filters = filter_names(cloud, groups_too=False)
    assert leftovers(qemu_conn, cloud.installation, cloud.settings.pool_name, nic_filters) == []

    instance = cloud.compute.get_instance(admin, refs[0])
    kinds = [
        (e.type, e.state)
        for e in reversed(cloud.events.list_events(admin, resource_id=instance.id).items)
    ]
    for event_type in (
        EventType.VM_CREATE,
        EventType.VM_STOP,
        EventType.VM_START,
        EventType.VM_REBOOT,
        EventType.VM_DESTROY,
    ):
        assert [s for t, s in kinds if t is event_type] == [
            EventState.SCHEDULED,
            EventState.STARTED,
            EventState.COMPLETED,
        ]


def test_guest_that_powers_itself_off_is_seen_stopped(cloud: Services) -> None:
    admin = cloud.identity.caller_for(ADMIN_ACCOUNT)
    [instance] = cloud.compute.launch(
        admin,
        LaunchRequest(
            image="tiny-linux",
            flavor="t1.micro",
            user_data=b"#!/bin/sh\necho powering-myself-off\npoweroff -f\n",
        ),
    ).instances
    wait_for(
        "the reconciler to see the guest off",
        lambda: state(cloud, instance.ref) is InstanceState.STOPPED,
        timeout=120,
    )
    stopped = cloud.compute.get_instance(admin, instance.ref)
    assert stopped.state_reason == "the guest is shutoff"
    assert "powering-myself-off" in console(cloud, instance.ref)
    [event, *_] = cloud.events.list_events(admin, resource_id=instance.id).items
    assert (event.type, event.state) == (EventType.VM_STOP, EventState.COMPLETED)
    cloud.compute.start_instances(admin, [instance.ref])  # and it can be started again
    wait_for("the guest's second boot", lambda: console(cloud, instance.ref).count(BOOT) == 2)
