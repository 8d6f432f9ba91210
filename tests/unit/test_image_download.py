"""Images registered from a URL: the download job, what it refuses, and deregistering.

Files are served by ``http.server`` on 127.0.0.1 (a free port) in a thread.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import bootstrap
from core.db.models import Job
from core.enums import DiskFormat, EventState, EventType, ImageState, JobKind, JobStatus
from core.errors import Conflict, InvalidArgument, NotFound
from core.jobs import queue
from core.jobs.image_jobs import image_handlers
from core.jobs.worker import WorkerPool
from core.services.container import Services
from core.services.images import Digest
from core.states import InstanceState
from core.views import Caller, ImageQuery, ImageView
from tests.serving import served_folder
from tests.unit.conftest import make_settings
from tests.unit.helpers import host_driver, row_counts
from tests.unit.test_compute import launch

SIZE = 64 * 1024 * 1024


@dataclasses.dataclass
class Web:
    root: Path
    url: str
    server: http.server.ThreadingHTTPServer

    def qemu_img(self, name: str, *args: str, fmt: str = "qcow2", size: str = "64M") -> str:
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", fmt, *args, str(self.root / name), size],
            check=True,
            capture_output=True,
        )
        return f"{self.url}/{name}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    root = tmp_path / "www"
    root.mkdir()
    with served_folder(root) as (url, server):
        yield Web(root, url, server)


def _store(services: Services) -> list[str]:
    store = services.settings.images_dir
    return sorted(p.name for p in store.iterdir()) if store.exists() else []


def _download(services: Services, caller: Caller, url: str, **more: Any) -> ImageView:
    accepted = services.images.register_from_url(
        caller,
        url,
        name=more.pop("name", "downloaded"),
        **{"disk_format": DiskFormat.QCOW2, **more},
    )
    assert accepted.item.state is ImageState.PENDING and accepted.job_id is not None
    services.workers.run_pending()
    job = services.jobs.get_job(caller, str(accepted.job_id))
    assert job.kind is JobKind.DOWNLOAD_IMAGE
    return services.images.get_image(caller, str(accepted.item.id))


def test_a_url_is_downloaded_checked_and_made_available(
    services: Services, alice: Caller, web: Web
) -> None:
    url = web.qemu_img("disk.qcow2")
    pending = services.images.register_from_url(
        alice, url, name="from-web", disk_format=DiskFormat.QCOW2, description="a disk"
    )
    assert [i.state for i in services.images.list_images(alice, ImageQuery()).items] == [
        ImageState.PENDING
    ]
    assert services.workers.run_pending() == 1
    image = services.images.get_image(alice, "from-web")
    assert image.id == pending.item.id
    assert (image.state, image.virtual_size, image.description) == (
        ImageState.AVAILABLE,
        SIZE,
        "a disk",
    )
    assert image.checksum == hashlib.sha256((web.root / "disk.qcow2").read_bytes()).hexdigest()
    assert _store(services) == [f"{image.id}.qcow2"]
    last = services.events.list_events(alice, resource_id=image.id).items[0]
    assert (last.type, last.state) == (EventType.TEMPLATE_CREATE, EventState.COMPLETED)
    [ref] = launch(services, alice, image="from-web")
    services.workers.run_pending()
    assert services.compute.get_instance(alice, ref).state is InstanceState.RUNNING


def test_a_raw_image_and_a_matching_checksum(services: Services, alice: Caller, web: Web) -> None:
    url = web.qemu_img("disk.raw", fmt="raw", size="1M")
    md5 = hashlib.md5((web.root / "disk.raw").read_bytes()).hexdigest()
    image = _download(services, alice, url, disk_format=DiskFormat.RAW, digest=Digest("md5", md5))
    assert (image.state, image.disk_format, image.virtual_size) == (
        ImageState.AVAILABLE,
        DiskFormat.RAW,
        1024 * 1024,
    )


def _backed(web: Web) -> str:
    base = web.qemu_img("base.qcow2")
    web.qemu_img("top.qcow2", "-b", str(web.root / "base.qcow2"), "-F", "qcow2")
    return base.replace("base.qcow2", "top.qcow2")


def _data_file(web: Web) -> str:
    return web.qemu_img("split.qcow2", "-o", f"data_file={web.root / 'split.raw'}")


@pytest.mark.parametrize(
    ("serve", "options", "why"),
    [
        pytest.param(lambda web: f"{web.url}/nothing-here.qcow2", {}, "HTTP 404", id="404"),
        pytest.param(
            lambda web: web.qemu_img("disk.qcow2"),
            {"disk_format": DiskFormat.RAW},
            "the file is a qcow2 image, not raw",
            id="qcow2-declared-raw",
        ),
        pytest.param(
            lambda web: web.qemu_img("disk.raw", fmt="raw", size="1M"),
            {},
            "the file is a raw image, not qcow2",
            id="raw-declared-qcow2",
        ),
        pytest.param(_backed, {}, "backing file", id="backing-file"),
        pytest.param(_data_file, {}, "external data file", id="data-file"),
        pytest.param(
            lambda web: web.qemu_img("disk.qcow2"),
            {"digest": Digest("sha256", "0" * 64)},
            "checksum: the file's sha256 is",
            id="checksum-mismatch",
        ),
        pytest.param(
            lambda web: "http://127.0.0.1:9/closed.qcow2", {}, "cannot download", id="refused"
        ),
    ],
)
def test_a_bad_download_fails_and_leaves_no_file(
    services: Services, alice: Caller, web: Web, serve: Any, options: dict[str, Any], why: str
) -> None:
    image = _download(services, alice, serve(web), **options)
    assert image.state is ImageState.FAILED
    assert why in image.state_reason
    assert str(services.settings.data_dir) not in image.state_reason
    assert _store(services) == []
    [job] = [j for j in services.jobs.list_jobs(alice).items if j.kind is JobKind.DOWNLOAD_IMAGE]
    assert job.status is JobStatus.FAILED and why in (job.error_text or "")
    with pytest.raises(NotFound):
        launch(services, alice, image="downloaded")


def test_an_image_over_the_size_limit_is_refused(web: Web, tmp_path: Path) -> None:
    services = Services(dataclasses.replace(make_settings(tmp_path), max_image_bytes=4096))
    try:
        bootstrap(services)
        services.identity.create_account("alice")
        alice = services.identity.caller_for("alice")
        image = _download(services, alice, web.qemu_img("disk.raw", fmt="raw", size="1M"))
        assert image.state is ImageState.FAILED
        assert "larger than the limit of 4096 bytes" in image.state_reason
        assert _store(services) == []
    finally:
        services.close()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        pytest.param("ftp://127.0.0.1/disk.qcow2", "url", id="ftp"),
        pytest.param("file:///etc/passwd", "url", id="file"),
        pytest.param("http:///no-host", "url", id="no-host"),
        pytest.param("http://127.0.0.1:port/x", "url", id="bad-port"),
        pytest.param("http://127.0.0.1/" + "x" * 3000, "url", id="too-long"),
    ],
)
def test_urls_that_are_not_http_are_refused_at_once(
    services: Services, alice: Caller, url: str, field: str
) -> None:
    before = row_counts(services)
    with pytest.raises(InvalidArgument) as refused:
        services.images.register_from_url(alice, url, name="x", disk_format=DiskFormat.QCOW2)
    assert refused.value.field == field
    assert row_counts(services) == before


@pytest.mark.parametrize(
    "digest",
    [Digest("crc32", "00000000"), Digest("md5", "abc"), Digest("md5", "A" * 32)],
    ids=["unknown-algorithm", "short", "uppercase"],
)
def test_malformed_checksums_are_refused_at_once(
    services: Services, alice: Caller, digest: Digest
) -> None:
    before = row_counts(services)
    with pytest.raises(InvalidArgument) as refused:
        services.images.register_from_url(
            alice, "http://127.0.0.1/x", name="x", disk_format=DiskFormat.QCOW2, digest=digest
        )
    assert refused.value.field == "checksum"
    assert row_counts(services) == before


def test_names_follow_the_registration_rules(services: Services, alice: Caller, web: Web) -> None:
    _download(services, alice, web.qemu_img("disk.qcow2"), name="taken")
    with pytest.raises(InvalidArgument):
        services.images.register_from_url(alice, web.url, name=" ", disk_format=DiskFormat.QCOW2)
    with pytest.raises(Conflict, match="this account has an image with that name"):
        services.images.register_from_url(
            alice, web.url, name="taken", disk_format=DiskFormat.QCOW2
        )


def test_the_download_runs_again_safely_after_a_crash(
    services: Services, alice: Caller, web: Web
) -> None:
    url = web.qemu_img("disk.qcow2")
    accepted = services.images.register_from_url(
        alice, url, name="crashy", disk_format=DiskFormat.QCOW2
    )
    handlers = image_handlers(services.db, max_bytes=services.settings.max_image_bytes)
    claimed = queue.claim(services.db, "doomed", {k: h.event_type for k, h in handlers.items()})
    assert claimed is not None and claimed.id == accepted.job_id
    handlers[JobKind.DOWNLOAD_IMAGE].run(claimed)  # the file is in place, then the process dies
    stray = services.settings.images_dir / f"{accepted.item.id}.qcow2.partial"
    stray.write_bytes(b"half a download")
    web.stop()  # the second attempt must not need the server again
    restarted = WorkerPool(services.db, handlers, size=1)
    restarted.recover()
    assert restarted.run_pending() == 1
    image = services.images.get_image(alice, "crashy")
    assert (image.state, image.virtual_size) == (ImageState.AVAILABLE, SIZE)
    with services.db.transaction() as session:
        assert session.get_one(Job, claimed.id).attempts == 2
    assert not stray.exists()


def test_deregistered_images_are_hidden_and_cannot_be_launched(
    services: Services, admin: Caller, alice: Caller, web: Web
) -> None:
    image = _download(services, alice, web.qemu_img("disk.qcow2"), name="mine")
    services.identity.create_account("bob")
    bob = services.identity.caller_for("bob")
    with pytest.raises(NotFound):
        services.images.deregister(bob, str(image.id))  # not bob's: as if it did not exist
    services.images.deregister(alice, str(image.id))
    assert services.images.list_images(alice, ImageQuery()).items == []
    with pytest.raises(NotFound):
        services.images.get_image(alice, str(image.id))
    with pytest.raises(NotFound):
        launch(services, alice, image=str(image.id))
    with pytest.raises(NotFound):
        services.images.deregister(alice, str(image.id))  # once is enough
    assert _store(services) == []  # nothing launched from it: the file goes at once
    [event] = [
        e
        for e in services.events.list_events(alice, resource_id=image.id).items
        if e.type is EventType.TEMPLATE_DELETE
    ]
    assert event.state is EventState.COMPLETED
    again = _download(services, alice, web.url + "/disk.qcow2", name="mine")  # name is free
    assert again.state is ImageState.AVAILABLE
    services.images.deregister(admin, str(again.id))  # admins may deregister any image


def test_instances_keep_their_image_after_it_is_deregistered(
    services: Services, alice: Caller, web: Web
) -> None:
    image = _download(services, alice, web.qemu_img("disk.qcow2"), name="base")
    [ref] = launch(services, alice, image="base")
    services.workers.run_pending()
    base_volume = f"image-{image.id}.qcow2"
    services.images.deregister(alice, "base")

    services.reconciler.reconcile_once()
    assert services.images.remove_unneeded_files() == []
    assert base_volume in {v.name for v in host_driver(services).volumes()}  # root disk's backing
    assert _store(services) == [f"{image.id}.qcow2"]
    services.compute.stop_instances(alice, [ref])
    services.workers.run_pending()
    services.compute.start_instances(alice, [ref])
    services.workers.run_pending()
    assert services.compute.get_instance(alice, ref).state is InstanceState.RUNNING

    services.compute.terminate_instances(alice, [ref])
    services.workers.run_pending()
    report = services.reconciler.reconcile_once()
    assert base_volume in report.orphan_volumes
    assert base_volume not in {v.name for v in host_driver(services).volumes()}
    assert services.images.remove_unneeded_files() == [
        services.settings.images_dir / f"{image.id}.qcow2"
    ]
    assert _store(services) == []


def test_an_image_deregistered_while_it_downloads_is_not_kept(
    services: Services, alice: Caller, web: Web
) -> None:
    accepted = services.images.register_from_url(
        alice, web.qemu_img("disk.qcow2"), name="brief", disk_format=DiskFormat.QCOW2
    )
    services.images.deregister(alice, str(accepted.item.id))
    services.workers.run_pending()
    assert services.jobs.get_job(alice, str(accepted.job_id)).status is JobStatus.SUCCEEDED
    assert services.images.list_images(alice, ImageQuery()).items == []
    assert _store(services) == []
