"""registerTemplate and deleteTemplate through the ``cs`` client from PyPI: a template downloaded
from a URL served on 127.0.0.1, deployed from, and deleted."""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from core.services.container import Services
from tests.contract.native import NativeUser
from tests.serving import served_folder
from tests.unit.helpers import row_counts

SIZE = 64 * 1024 * 1024


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on 127.0.0.1, and its URL."""
    root = tmp_path / "www"
    root.mkdir()
    with served_folder(root) as (url, _server):
        yield root, url


def _client(user: NativeUser) -> CloudStack:
    return CloudStack(
        endpoint=user.endpoint, key=user.key, secret=user.secret, poll_interval=0.2, job_timeout=60
    )


def _qcow2(root: Path, name: str) -> Path:
    path = root / name
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "64M"], check=True)
    return path


def _settled(cs: CloudStack, template_id: str) -> dict[str, Any]:
    """Polls listTemplates as a user would, until the download is over either way."""
    deadline = time.monotonic() + 30
    while True:
        [template] = cs.listTemplates(templatefilter="self", id=template_id)["template"]
        if template["isready"] or template["status"] != "Processing":
            return dict(template)
        assert time.monotonic() < deadline, f"still downloading: {template}"
        time.sleep(0.2)


def _register(cs: CloudStack, url: str, **more: str) -> dict[str, Any]:
    [zone] = cs.listZones()["zone"]
    response = cs.registerTemplate(
        **{
            "url": url,
            "name": "from-the-web",
            "displaytext": "downloaded",
            "format": "QCOW2",
            "hypervisor": "KVM",
            "zoneid": zone["id"],
            **more,
        }
    )
    assert response["count"] == 1
    [template] = response["template"]
    return dict(template)


def test_register_deploy_and_delete(native_user: NativeUser, files: tuple[Path, str]) -> None:
    root, url = files
    disk = _qcow2(root, "disk.qcow2")
    cs = _client(native_user)
    [os_type] = cs.listOsTypes(description="Other Linux (64-bit)")["ostype"]
    registered = _register(
        cs,
        f"{url}/disk.qcow2",
        ostypeid=os_type["id"],
        ispublic="false",
        isfeatured="false",
        isextractable="false",
        passwordenabled="false",
        requireshvm="true",
        checksum=hashlib.md5(disk.read_bytes()).hexdigest(),
    )
    assert registered["isready"] is False
    assert (registered["name"], registered["displaytext"]) == ("from-the-web", "downloaded")
    assert registered["format"] == "QCOW2" and registered["hypervisor"] == "KVM"

    ready = _settled(cs, registered["id"])
    assert ready["isready"] is True
    assert (ready["status"], ready["size"]) == ("Download Complete", SIZE)
    assert ready["checksum"] == hashlib.sha256(disk.read_bytes()).hexdigest()
    executable = cs.listTemplates(templatefilter="executable")["template"]
    assert registered["id"] in {t["id"] for t in executable}

    [zone] = cs.listZones()["zone"]
    [offering] = cs.listServiceOfferings(name="t1.micro")["serviceoffering"]
    vm = cs.deployVirtualMachine(
        zoneid=zone["id"],
        serviceofferingid=offering["id"],
        templateid=registered["id"],
        fetch_result=True,
    )["virtualmachine"]
    assert (vm["state"], vm["templateid"]) == ("Running", registered["id"])

    assert cs.deleteTemplate(id=registered["id"], fetch_result=True) == {"success": True}
    assert cs.listTemplates(templatefilter="self") == {}
    [still] = cs.listVirtualMachines(id=vm["id"])["virtualmachine"]
    assert still["state"] == "Running"
    stopped = cs.stopVirtualMachine(id=vm["id"], fetch_result=True)["virtualmachine"]
    assert stopped["state"] == "Stopped"
    started = cs.startVirtualMachine(id=vm["id"], fetch_result=True)["virtualmachine"]
    assert started["state"] == "Running"
    with pytest.raises(CloudStackApiException) as relaunch:
        cs.deployVirtualMachine(
            zoneid=zone["id"], serviceofferingid=offering["id"], templateid=registered["id"]
        )
    assert relaunch.value.error["errorcode"] == 431


def test_a_template_that_cannot_be_downloaded_is_never_ready(
    native_user: NativeUser, files: tuple[Path, str]
) -> None:
    cs = _client(native_user)
    registered = _register(cs, f"{files[1]}/missing.qcow2", zoneid="-1")
    failed = _settled(cs, registered["id"])
    assert failed["isready"] is False
    assert "HTTP 404" in failed["status"]
    assert cs.deleteTemplate(id=registered["id"], fetch_result=True) == {"success": True}
    assert cs.listTemplates(templatefilter="self") == {}


@pytest.mark.parametrize(
    ("more", "text"),
    [
        pytest.param({"format": "VHD"}, "Image format VHD is not supported", id="format"),
        pytest.param({"hypervisor": "XenServer"}, "Hypervisor", id="hypervisor"),
        pytest.param({"zoneid": "00000000-0000-0000-0000-000000000000"}, "zone", id="zone"),
        pytest.param({"ostypeid": "00000000-0000-0000-0000-000000000000"}, "OS type", id="os"),
        pytest.param({"url": "ftp://127.0.0.1/disk.qcow2"}, "http", id="ftp"),
        pytest.param({"checksum": "{CRC32}abcd"}, "checksum", id="checksum-kind"),
        pytest.param({"checksum": "abcd"}, "checksum", id="checksum-length"),
    ],
)
def test_bad_registrations_get_431_and_create_nothing(
    native_user: NativeUser,
    services: Services,
    files: tuple[Path, str],
    more: dict[str, str],
    text: str,
) -> None:
    cs = _client(native_user)
    _qcow2(files[0], "disk.qcow2")
    before = row_counts(services)
    with pytest.raises(CloudStackApiException) as refused:
        _register(cs, **{"url": f"{files[1]}/disk.qcow2", **more})
    assert (refused.value.error["errorcode"], refused.value.error["cserrorcode"]) == (431, 4350)
    assert text in refused.value.error["errortext"]
    assert row_counts(services) == before
    assert cs.listTemplates(templatefilter="self") == {}


def test_only_the_owner_deletes_a_template(
    native_user: NativeUser,
    native_admin: NativeUser,
    services: Services,
    files: tuple[Path, str],
) -> None:
    _qcow2(files[0], "disk.qcow2")
    cs = _client(native_user)
    registered = _register(cs, f"{files[1]}/disk.qcow2")
    assert _settled(cs, registered["id"])["isready"] is True
    bob = NativeUser(native_user.endpoint, services.identity.create_account("bob"))
    with pytest.raises(CloudStackApiException) as refused:
        _client(bob).deleteTemplate(id=registered["id"])
    assert refused.value.error["errorcode"] == 431
    assert cs.listTemplates(templatefilter="self")["count"] == 1
    admin = _client(native_admin)
    assert admin.deleteTemplate(id=registered["id"], fetch_result=True) == {"success": True}
    assert cs.listTemplates(templatefilter="self") == {}
