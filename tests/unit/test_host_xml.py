"""What the driver hands libvirt: XML valid against libvirt's own schemas, and a NoCloud ISO."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from core.enums import DiskFormat, VirtType
from core.hosts import config_drive, domain_xml
from core.hosts.driver import ConfigDrive


def _validate(tmp_path: Path, xml: str, schema: str) -> None:
    file = tmp_path / f"{schema}.xml"
    file.write_text(xml)
    done = subprocess.run(["virt-xml-validate", str(file), schema], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("virt_type", [VirtType.KVM, VirtType.TCG])
def test_domain_xml_is_valid_and_ours(tmp_path: Path, virt_type: VirtType) -> None:
    guest = uuid.uuid4()
    xml = domain_xml.domain(
        guest=guest,
        name="cloudgate-x",
        virt_type=virt_type,
        vcpus=2,
        memory_mib=512,
        disks=domain_xml.DomainDisks("/p/r", "/p/c", "/p/l"),
        installation="inst-1",
    )
    _validate(tmp_path, xml, "domain")
    assert f"<uuid>{guest}</uuid>" in xml
    assert f'type="{ {VirtType.KVM: "kvm", VirtType.TCG: "qemu"}[virt_type] }"' in xml
    assert '<source path="/p/l" append="on"/>' in xml
    metadata = domain_xml.metadata_element("inst-1")
    assert domain_xml.installation_of(metadata) == "inst-1"


def test_volume_and_pool_xml_are_valid(tmp_path: Path) -> None:
    _validate(
        tmp_path,
        domain_xml.volume(
            "a.qcow2",
            capacity=1 << 30,
            disk_format=DiskFormat.QCOW2,
            backing=("/p/image.qcow2", DiskFormat.QCOW2),
        ),
        "storagevol",
    )
    _validate(tmp_path, domain_xml.dir_pool("cloudgate", "/var/lib/cloudgate/pool"), "storagepool")


def test_config_drive_is_a_nocloud_iso(tmp_path: Path) -> None:
    key = (Path(__file__).parent / "data" / "rsa.pub").read_text().strip()
    drive = ConfigDrive(
        instance_id="6f1c3f0e-9a55-4c1e-8b8e-2f3b2b7c9d10",
        hostname="web-1",
        public_keys=(key,),
        user_data=b"#!/bin/sh\necho hello\n",
    )
    iso = tmp_path / "seed.iso"
    iso.write_bytes(config_drive.build_iso(drive))
    header = subprocess.run(
        ["isoinfo", "-d", "-i", str(iso)], capture_output=True, text=True, check=True
    ).stdout
    assert "Volume id: cidata" in header

    def read(name: str) -> str:
        return subprocess.run(
            ["isoinfo", "-R", "-x", f"/{name}", "-i", str(iso)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert read("user-data") == "#!/bin/sh\necho hello\n"
    assert read("meta-data") == (
        "instance-id: 6f1c3f0e-9a55-4c1e-8b8e-2f3b2b7c9d10\nlocal-hostname: web-1\n"
        f"public-keys:\n  - {key}\n"
    )


def test_key_comments_yaml_could_misread_are_dropped() -> None:
    drive = ConfigDrive("id", "h", ("ssh-ed25519 AAAA key: #1", "ssh-ed25519 BBBB ok@host"), b"")
    assert config_drive.meta_data(drive).endswith(
        "  - ssh-ed25519 AAAA\n  - ssh-ed25519 BBBB ok@host\n"
    )
