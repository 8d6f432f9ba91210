"""apache-libcloud's EC2 driver, unmodified, with Signature Version 2 and 4.

libcloud accepts only AWS region names and lists zones by ``region-name``, so this gateway is
configured as its operator would for libcloud users: region ``us-east-1``, zone ``us-east-1a``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from libcloud.compute.drivers.ec2 import EC2NodeDriver
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider, StorageVolumeState

from core.bootstrap import bootstrap
from core.services.container import Services
from core.states import InstanceState
from core.views import ImageView, NewAccount
from gateway.app import create_app
from tests.contract.native import public_image
from tests.serving import served
from tests.unit.conftest import make_settings


@pytest.fixture
def aws_named(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    settings = dataclasses.replace(make_settings(tmp_path), region="us-east-1", zone="us-east-1a")
    services = Services(settings)
    bootstrap(services)
    with served(create_app(services)) as url:
        yield url, services
    services.close()


def driver(url: str, account: NewAccount, signature_version: str) -> EC2NodeDriver:
    parts = urlsplit(url)
    cls = get_driver(Provider.EC2)
    return cls(  # type: ignore[no-any-return]
        account.access_key,
        account.secret_key,
        secure=False,
        host=parts.hostname,
        port=parts.port,
        region="us-east-1",
        signature_version=signature_version,
    )


def until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


@pytest.mark.parametrize("signature_version", ["2", "4"])
def test_libcloud_walkthrough(
    aws_named: tuple[str, Services], tmp_path: Path, signature_version: str
) -> None:
    url, services = aws_named
    image: ImageView = public_image(services, tmp_path)
    account = services.identity.create_account("libcloud-user")
    ec2 = driver(url, account, signature_version)

    [location] = ec2.list_locations()
    assert location.name == "us-east-1a"
    [found] = ec2.list_images(ex_image_ids=[f"ami-{image.ref}"])
    assert found.name == "tiny-linux"
    [size] = [s for s in ec2.list_sizes() if s.id == "t2.nano"]
    ec2.create_key_pair("lc")
    node = ec2.create_node(name="web", size=size, image=found, ex_keyname="lc")
    assert node.state == NodeState.PENDING
    until(lambda: ec2.list_nodes(ex_node_ids=[node.id])[0].state == NodeState.RUNNING)
    [listed] = ec2.list_nodes()
    assert (listed.name, listed.extra["tags"]) == ("web", {"Name": "web"})
    assert listed.private_ips[0].startswith("10.254.")

    volume = ec2.create_volume(1, "data", location=location)

    def volume_is(state: StorageVolumeState, attachment: str | None = None) -> Callable[[], bool]:
        def check() -> bool:
            [seen] = ec2.list_volumes(ex_filters={"volume-id": volume.id})
            return bool(seen.state == state and seen.extra["attachment_status"] == attachment)

        return check

    until(volume_is(StorageVolumeState.AVAILABLE))
    assert ec2.attach_volume(node, volume, "/dev/sdf")
    # "in-use" from the start, as on AWS; the attachment's own status says when it is done
    until(volume_is(StorageVolumeState.INUSE, "attached"))
    assert volume.id in {v.id for v in ec2.list_volumes(node=node)}
    assert ec2.detach_volume(volume)
    until(volume_is(StorageVolumeState.AVAILABLE))
    snapshot = ec2.create_volume_snapshot(volume, "backup")
    until(lambda: ec2.list_snapshots(snapshot=snapshot)[0].state.value == "available")

    group = ec2.ex_create_security_group("web", "web servers")["group_id"]
    assert ec2.ex_authorize_security_group_ingress(group, 22, 22, ["10.0.0.0/8"])
    [described] = ec2.ex_get_security_groups(group_ids=[group])
    assert [(r["protocol"], r["from_port"]) for r in described.ingress_rules] == [("tcp", "22")]
    address = ec2.ex_allocate_address()
    assert ec2.ex_associate_address_with_node(node, address).startswith("eipassoc-")
    assert ec2.ex_describe_tags(node) == {"Name": "web"}

    assert ec2.reboot_node(node)
    # EC2 shows "running" while a reboot is under way, but core refuses a stop until the
    # reboot is done; wait for that rather than race it
    admin = services.identity.caller_for("admin")
    until(
        lambda: (
            services.compute.get_instance(admin, node.id.removeprefix("i-")).state
            is InstanceState.RUNNING
        )
    )
    assert ec2.stop_node(node)
    until(lambda: ec2.list_nodes(ex_node_ids=[node.id])[0].state == NodeState.STOPPED)
    assert ec2.start_node(node)
    until(lambda: ec2.list_nodes(ex_node_ids=[node.id])[0].state == NodeState.RUNNING)
    assert ec2.destroy_node(node)
    until(lambda: ec2.list_nodes(ex_node_ids=[node.id])[0].state == NodeState.TERMINATED)
