"""Termination and stop protection, image updates, copies of snapshots and images, and the
client token of volumes: what the EC2 front end needed from core."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.enums import ImageState, SnapshotState
from core.errors import (
    Conflict,
    CoreError,
    ErrorKind,
    InvalidArgument,
    InvalidState,
    NotFound,
    NotPermitted,
)
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView, SnapshotQuery
from tests.unit.helpers import host_driver, row_counts
from tests.unit.test_storage import new_volume
from translations.errors import ERRORS, ec2_code


def running(services: Services, caller: Caller, **protection: bool) -> str:
    request = LaunchRequest(image="tiny-linux", flavor="t1.micro", **protection)
    [instance] = services.compute.launch(caller, request).instances
    services.workers.run_pending()
    return instance.ref


def test_termination_protection_refuses_terminate_destroy_and_expunge(
    services: Services, admin: Caller, image: ImageView
) -> None:
    guarded = running(services, admin, termination_protected=True)
    free = running(services, admin)
    before = row_counts(services)
    for act in (
        services.compute.terminate_instances,
        services.compute.destroy_instances,
        services.compute.expunge_instances,
    ):
        with pytest.raises(NotPermitted, match="termination protected"):
            act(admin, [free, guarded])  # one refusal refuses the whole call
    assert row_counts(services) == before
    assert services.compute.get_instance(admin, free).state is InstanceState.RUNNING
    services.compute.stop_instances(admin, [guarded])  # stopping is still allowed
    services.compute.update_instance(admin, guarded, termination_protected=False)
    services.compute.terminate_instances(admin, [guarded])
    services.workers.run_pending()
    assert services.compute.get_instance(admin, guarded).state is InstanceState.TERMINATED


def test_stop_protection_refuses_stop_only(
    services: Services, admin: Caller, image: ImageView
) -> None:
    ref = running(services, admin, stop_protected=True)
    assert services.compute.get_instance(admin, ref).stop_protected
    with pytest.raises(NotPermitted, match="stop protected"):
        services.compute.stop_instances(admin, [ref])
    services.compute.reboot_instances(admin, [ref])
    services.workers.run_pending()
    services.compute.terminate_instances(admin, [ref])
    services.workers.run_pending()
    assert services.compute.get_instance(admin, ref).state is InstanceState.TERMINATED


def test_not_permitted_has_a_code_in_every_api() -> None:
    kinds = {cls.kind_of_error for cls in CoreError.__subclasses__()} | {
        sub.kind_of_error for cls in CoreError.__subclasses__() for sub in cls.__subclasses__()
    }
    assert kinds <= {kind for kind, _resource in ERRORS}
    assert ec2_code(ErrorKind.NOT_PERMITTED, "instance").code == "OperationNotPermitted"
    assert (ec2_code(ErrorKind.NOT_PERMITTED, "image").code, 403) == (
        "UnauthorizedOperation",
        ec2_code(ErrorKind.NOT_PERMITTED, "image").status,
    )


def test_only_owners_update_images_and_only_admins_publish(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    with pytest.raises(NotPermitted, match="another account"):
        services.images.update_image(alice, image.ref, description="mine now")
    [instance] = services.compute.launch(
        alice, LaunchRequest(image="tiny-linux", flavor="t1.micro")
    ).instances
    services.workers.run_pending()
    captured = services.images.capture(alice, instance.ref, name="alices").item
    services.workers.run_pending()
    updated = services.images.update_image(alice, captured.ref, description="golden")
    assert (updated.description, updated.is_public) == ("golden", False)
    with pytest.raises(NotPermitted, match="administrator"):
        services.images.update_image(alice, captured.ref, public=True)
    assert services.images.update_image(admin, captured.ref, public=True).is_public


def test_copied_snapshot_is_independent_of_its_source(
    services: Services, admin: Caller, image: ImageView
) -> None:
    volume = new_volume(services, admin, 2)
    source = services.storage.create_snapshot(admin, volume, description="nightly").item
    services.workers.run_pending()
    copy = services.storage.copy_snapshot(admin, source.ref, snapshot_tags={"copy": "1"}).item
    assert (copy.state, copy.description, copy.volume_ref) == (
        SnapshotState.PENDING,
        "nightly",
        volume,
    )
    services.workers.run_pending()
    services.storage.delete_snapshot(admin, source.ref)
    services.workers.run_pending()
    [left] = services.storage.list_snapshots(admin, SnapshotQuery()).items
    assert (left.ref, left.state, left.size_bytes, left.tags) == (
        copy.ref,
        SnapshotState.COMPLETED,
        2 * 1024**3,
        {"copy": "1"},
    )
    restored = services.storage.create_volume(admin, snapshot=copy.ref).item
    services.workers.run_pending()
    assert services.storage.get_volume(admin, restored.ref).size_gib == 2
    snapshot_files = [v for v in host_driver(services).volumes() if v.name.startswith("snapshot-")]
    assert len(snapshot_files) == 1


def test_a_pending_snapshot_cannot_be_copied(
    services: Services, admin: Caller, image: ImageView
) -> None:
    source = services.storage.create_snapshot(admin, new_volume(services, admin)).item
    with pytest.raises(InvalidState):
        services.storage.copy_snapshot(admin, source.ref)


def test_copied_image_is_the_callers_own_and_launchable(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    copy = services.images.copy_image(alice, image.ref, name="my-tiny").item
    assert (copy.state, copy.owner_account_id, copy.is_public) == (
        ImageState.PENDING,
        alice.account_id,
        False,
    )
    services.workers.run_pending()
    ready = services.images.get_image(alice, copy.ref)
    assert (ready.state, ready.virtual_size, ready.checksum) == (
        ImageState.AVAILABLE,
        image.virtual_size,
        image.checksum,
    )
    [instance] = services.compute.launch(
        alice, LaunchRequest(image=copy.ref, flavor="t1.micro")
    ).instances
    services.workers.run_pending()
    assert services.compute.get_instance(alice, instance.ref).state is InstanceState.RUNNING


def test_copying_an_image_deregistered_meanwhile_fails_cleanly(
    services: Services, admin: Caller, tmp_path: Path
) -> None:
    disk = tmp_path / "short-lived.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "16M"], check=True)
    source = services.images.register(admin, disk, name="short-lived")
    copy = services.images.copy_image(admin, source.ref, name="too-late").item
    services.images.deregister(admin, source.ref)
    services.workers.run_pending()
    failed = services.images.get_image(admin, copy.ref)
    assert failed.state is ImageState.FAILED
    assert "deregistered before it was copied" in failed.state_reason


def test_volume_client_token_replays_and_guards(
    services: Services, admin: Caller, image: ImageView
) -> None:
    first = services.storage.create_volume(admin, size_gib=2, client_token="v-1")
    before = row_counts(services)
    again = services.storage.create_volume(admin, size_gib=2, client_token="v-1")
    assert (again.item.ref, again.job_id) == (first.item.ref, None)
    with pytest.raises(Conflict, match="different parameters"):
        services.storage.create_volume(admin, size_gib=3, client_token="v-1")
    assert row_counts(services) == before
    other = services.storage.create_volume(admin, size_gib=2, client_token="v-2")
    assert other.item.ref != first.item.ref


def test_a_rehearsal_checks_everything_and_keeps_nothing(
    services: Services, admin: Caller, image: ImageView, tmp_path: Path
) -> None:
    before = row_counts(services)
    with services.rehearsal():
        services.compute.launch(admin, LaunchRequest(image="tiny-linux", flavor="t1.micro"))
        with pytest.raises(NotFound):
            services.compute.launch(admin, LaunchRequest(image="nope", flavor="t1.micro"))
    assert row_counts(services) == before
    assert services.workers.run_pending() == 0

    disk = tmp_path / "kept.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "16M"], check=True)
    kept = services.images.register(admin, disk, name="kept")
    with services.rehearsal():
        services.images.deregister(admin, kept.ref)
    assert services.images.get_image(admin, kept.ref).state is ImageState.AVAILABLE
    [launched] = services.compute.launch(
        admin, LaunchRequest(image=kept.ref, flavor="t1.micro")
    ).instances
    services.workers.run_pending()  # the image file is still there to launch from
    assert services.compute.get_instance(admin, launched.ref).state is InstanceState.RUNNING


def test_image_copy_client_token_replays_and_guards(
    services: Services, alice: Caller, image: ImageView
) -> None:
    first = services.images.copy_image(alice, image.ref, name="copy", client_token="c-1")
    again = services.images.copy_image(alice, image.ref, name="copy", client_token="c-1")
    assert (again.item.ref, again.job_id) == (first.item.ref, None)
    with pytest.raises(Conflict, match="different parameters"):
        services.images.copy_image(alice, image.ref, name="other", client_token="c-1")
    assert services.workers.run_pending() == 1


@pytest.mark.parametrize("token", ["", "x" * 65, "jeton-é"], ids=["empty", "too-long", "non-ascii"])
def test_every_create_refuses_a_malformed_client_token_alike(
    services: Services, alice: Caller, image: ImageView, token: str
) -> None:
    before = row_counts(services)
    creates = [
        lambda: services.compute.launch(
            alice, LaunchRequest(image=image.ref, flavor="t1.micro", client_token=token)
        ),
        lambda: services.storage.create_volume(alice, size_gib=1, client_token=token),
        lambda: services.images.copy_image(alice, image.ref, name="copy", client_token=token),
    ]
    for create in creates:
        with pytest.raises(InvalidArgument, match="1-64 ASCII characters") as refused:
            create()
        assert refused.value.field == "client_token"
    assert row_counts(services) == before
