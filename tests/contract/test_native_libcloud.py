"""apache-libcloud's CloudStack driver, unmodified, runs the classic walkthrough against us."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from libcloud.common.types import InvalidCredsError, ProviderError
from libcloud.compute.base import NodeDriver
from libcloud.compute.providers import get_driver
from libcloud.compute.types import NodeState, Provider, StorageVolumeState

from core.views import ImageView
from tests.contract.native import NativeUser


def _driver(user: NativeUser, secret: str | None = None) -> NodeDriver:
    url = urlsplit(user.endpoint)
    driver_class = get_driver(Provider.CLOUDSTACK)
    driver: NodeDriver = driver_class(
        user.key,
        secret or user.secret,
        host=url.hostname,
        port=url.port,
        path=url.path,
        secure=False,
    )
    return driver


def test_walkthrough(native_user: NativeUser, image: ImageView) -> None:
    driver = _driver(native_user)
    [location] = driver.list_locations()
    images = driver.list_images()
    assert [i.name for i in images] == ["tiny-linux"]
    assert images[0].id == str(image.id)
    sizes = {s.name: s for s in driver.list_sizes()}
    assert sizes["t1.micro"].ram == 613 and sizes["t1.micro"].extra["cpu"] == 1

    created = driver.create_key_pair("walk")
    assert created.private_key.startswith("-----BEGIN")
    assert [k.name for k in driver.list_key_pairs()] == ["walk"]
    assert driver.get_key_pair("walk").fingerprint == created.fingerprint

    group = driver.ex_create_security_group("web", description="web servers")
    assert group["name"] == "web" and group["ingressrule"] == []
    allowed = driver.ex_authorize_security_group_ingress("web", "TCP", "0.0.0.0/0", 80, 81)
    [rule] = allowed["ingressrule"]
    assert (rule["protocol"], rule["startport"], rule["endport"]) == ("tcp", 80, 81)
    listed = {g["name"]: g for g in driver.ex_list_security_groups()}
    assert set(listed) == {"default", "web"}
    assert listed["web"]["ingressrule"][0]["cidr"] == "0.0.0.0/0"

    node = driver.create_node(
        name="walker",
        size=sizes["t1.micro"],
        image=images[0],
        location=location,
        ex_keyname="walk",
        ex_security_groups=["web"],
        ex_start_vm=True,
    )
    assert node.state == NodeState.RUNNING
    assert node.extra["key_name"] == "walk"
    assert node.extra["size_name"] == "t1.micro"
    assert [n.id for n in driver.list_nodes()] == [node.id]

    assert driver.ex_stop(node) == "Stopped"
    assert driver.ex_start(node) == "Running"
    assert driver.reboot_node(node) is True

    volume = driver.create_volume(2, "data", location=location)
    assert volume.name == "data"
    assert driver.attach_volume(node, volume) is True
    [attached] = [v for v in driver.list_volumes() if v.id == volume.id]
    assert attached.state == StorageVolumeState.INUSE
    assert attached.size == 2 * 1024**3
    assert driver.detach_volume(volume) is True
    [detached] = [v for v in driver.list_volumes() if v.id == volume.id]
    assert detached.state == StorageVolumeState.AVAILABLE
    assert driver.destroy_volume(volume) is True

    assert driver.destroy_node(node) is True  # CloudStack keeps it, recoverable, until expunged
    [destroyed] = driver.list_nodes()
    assert destroyed.state == NodeState.TERMINATED
    assert driver.destroy_node(destroyed, ex_expunge=True) is True
    assert driver.list_nodes() == []
    assert driver.ex_delete_security_group("web")
    assert driver.delete_key_pair(created) is True
    assert driver.list_key_pairs() == []


def test_a_node_created_without_start_is_stopped(native_user: NativeUser, image: ImageView) -> None:
    driver = _driver(native_user)
    size = next(s for s in driver.list_sizes() if s.name == "t1.micro")
    node = driver.create_node(name="idle", size=size, image=driver.list_images()[0])
    assert node.state == NodeState.STOPPED
    assert driver.ex_start(node) == "Running"


def test_bad_secret_and_provider_errors(native_user: NativeUser, image: ImageView) -> None:
    with pytest.raises(InvalidCredsError):
        _driver(native_user, secret="not-the-secret").list_locations()
    driver = _driver(native_user)
    driver.create_key_pair("twice")
    with pytest.raises(ProviderError, match="a key pair with this name exists") as raised:
        driver.create_key_pair("twice")
    assert raised.value.http_code == 431
