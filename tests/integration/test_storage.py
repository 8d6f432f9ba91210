"""Volumes, snapshots and captured images on real guests, checked from inside the guests.

Guest A writes a marker to whatever disk shows up as /dev/vdb. The volume then moves to guest
B, which prints what it finds on /dev/vdb and /dev/vdc; a snapshot of the volume, made while B
has it attached, becomes a new volume that B sees as vdc. Last, an image captured from A boots.
"""

from __future__ import annotations

import uuid

from core.bootstrap import ADMIN_ACCOUNT
from core.enums import ImageState, SnapshotState, VolumeState, VolumeType
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import SnapshotQuery, VolumeQuery
from tests.integration.conftest import wait_for
from tests.integration.test_lifecycle import console, ready_console, state

MARKER = f"CLOUDGATE-MARKER-{uuid.uuid4().hex[:12]}"

#: A hot-plugged disk's node can appear before the kernel knows its size; until then reads
#: and writes see an empty device, so the guests wait for a size too.
WAIT_FOR_DISK = (
    'until [ -e /dev/$dev ] && [ "$(cat /sys/block/$dev/size 2>/dev/null || echo 0)" -gt 0 ];'
    " do sleep 0.5; done"
)

WRITER = f"""#!/bin/sh
(
  dev=vdb
  {WAIT_FOR_DISK}
  printf '%s\\n' {MARKER} | dd of=/dev/vdb conv=fsync 2>/dev/null
  echo "cloudgate-test: wrote vdb rc=$?"
) >/dev/console 2>&1 &
""".encode()

READER = f"""#!/bin/sh
for dev in vdb vdc; do
  (
    {WAIT_FOR_DISK}
    echo "cloudgate-test: $dev holds $(head -c {len(MARKER)} /dev/$dev)"
  ) >/dev/console 2>&1 &
done
""".encode()


def _volume_state(cloud: Services, ref: str) -> VolumeState:
    return cloud.storage.get_volume(cloud.identity.caller_for(ADMIN_ACCOUNT), ref).state


def _launch(cloud: Services, name: str, user_data: bytes, image: str = "tiny-linux") -> str:
    admin = cloud.identity.caller_for(ADMIN_ACCOUNT)
    request = LaunchRequest(image=image, flavor="t1.micro", user_data=user_data, name=name)
    [instance] = cloud.compute.launch(admin, request).instances
    return instance.ref


def _until_volume(cloud: Services, ref: str, wanted: VolumeState) -> None:
    wait_for(f"volume {ref} {wanted.value}", lambda: _volume_state(cloud, ref) is wanted)


def _console_says(cloud: Services, ref: str, text: str) -> None:
    wait_for(f"{ref} to print {text!r}", lambda: text in console(cloud, ref), timeout=60)


def test_volume_moves_between_guests_and_survives_a_snapshot(cloud: Services) -> None:
    admin = cloud.identity.caller_for(ADMIN_ACCOUNT)
    writer, reader = _launch(cloud, "writer", WRITER), _launch(cloud, "reader", READER)
    for ref in (writer, reader):
        wait_for(f"{ref} ready", lambda ref=ref: ready_console(cloud, ref))

    [root] = cloud.storage.list_volumes(admin, VolumeQuery(instance=writer)).items
    assert (root.volume_type, root.state, root.device) == (
        VolumeType.ROOT,
        VolumeState.IN_USE,
        "vda",
    )

    volume = cloud.storage.create_volume(admin, size_gib=1, name="data").item
    _until_volume(cloud, volume.ref, VolumeState.AVAILABLE)
    attached = cloud.storage.attach_volume(admin, volume.ref, writer).item
    assert (attached.state, attached.device) == (VolumeState.ATTACHING, "vdb")
    _until_volume(cloud, volume.ref, VolumeState.IN_USE)
    _console_says(cloud, writer, "cloudgate-test: wrote vdb rc=0")

    cloud.storage.detach_volume(admin, volume.ref)
    _until_volume(cloud, volume.ref, VolumeState.AVAILABLE)
    cloud.storage.attach_volume(admin, volume.ref, reader)
    _until_volume(cloud, volume.ref, VolumeState.IN_USE)
    _console_says(cloud, reader, f"cloudgate-test: vdb holds {MARKER}")

    snapshot = cloud.storage.create_snapshot(admin, volume.ref, name="marker").item
    wait_for(
        "the snapshot",
        lambda: cloud.storage.get_snapshot(admin, snapshot.ref).state is SnapshotState.COMPLETED,
    )
    copy = cloud.storage.create_volume(admin, snapshot=snapshot.ref).item
    assert copy.size_bytes == volume.size_bytes
    _until_volume(cloud, copy.ref, VolumeState.AVAILABLE)
    cloud.storage.attach_volume(admin, copy.ref, reader)
    _until_volume(cloud, copy.ref, VolumeState.IN_USE)
    _console_says(cloud, reader, f"cloudgate-test: vdc holds {MARKER}")
    assert cloud.storage.get_volume(admin, copy.ref).device == "vdc"

    cloud.compute.terminate_instances(admin, [writer, reader])
    for ref in (writer, reader):
        wait_for(f"{ref} terminated", lambda ref=ref: state(cloud, ref) is InstanceState.TERMINATED)
    assert _volume_state(cloud, volume.ref) is VolumeState.AVAILABLE  # left, detached
    assert cloud.storage.list_volumes(admin, VolumeQuery(instance=reader)).items == []
    for ref in (volume.ref, copy.ref):
        cloud.storage.delete_volume(admin, ref)
    cloud.storage.delete_snapshot(admin, snapshot.ref)
    wait_for(
        "volumes and snapshot deleted",
        lambda: (
            not cloud.storage.list_volumes(admin, VolumeQuery(types=[VolumeType.DATADISK])).items
            and not cloud.storage.list_snapshots(admin, SnapshotQuery(ids=[snapshot.ref])).items
        ),
    )


def test_image_captured_from_a_running_instance_boots(cloud: Services) -> None:
    admin = cloud.identity.caller_for(ADMIN_ACCOUNT)
    source = _launch(cloud, "source", b"#!/bin/sh\necho captured-from-me\n")
    wait_for(f"{source} ready", lambda: ready_console(cloud, source))
    image = cloud.images.capture(admin, source, name="captured").item
    assert image.state is ImageState.PENDING
    wait_for(
        "the captured image",
        lambda: cloud.images.get_image(admin, image.ref).state is ImageState.AVAILABLE,
    )
    assert cloud.images.get_image(admin, image.ref).virtual_size > 0

    child = _launch(cloud, "child", b"#!/bin/sh\necho born-of-a-capture\n", image="captured")
    text = wait_for(f"{child} ready", lambda: ready_console(cloud, child))
    instance = cloud.compute.get_instance(admin, child)
    assert instance.image_id == image.id
    assert f"cloudgate-instance-id: {instance.id}" in text
    assert "born-of-a-capture" in text
