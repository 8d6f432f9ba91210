"""The real rOCCI-cli 4.3.10 (EGI FedCloud's OCCI client) against the gateway, unmodified.

Every command starts the client afresh, as a user's shell does: it fetches the model from the
query interface (its strict parser aborts on one Category line it cannot match), then makes
its requests. What it creates is checked through core and the other APIs too: one instance,
whichever API looks at it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.enums import VolumeState
from core.services.container import Services
from core.states import InstanceState
from core.views import Caller, ImageView
from tests.contract.conftest import ServedCloud
from tests.contract.ec2 import client as ec2_client
from tests.contract.occi import OcciUser, until
from tests.rocci import Token


@pytest.fixture
def user(served_cloud: ServedCloud, image: ImageView) -> Iterator[OcciUser]:
    """A fresh account; the cloud's public image is registered, so one os_tpl exists."""
    made = OcciUser(served_cloud.url, served_cloud.account("occi"))
    yield made
    served_cloud.terminate_all(made.account)


def _caller(services: Services, user: OcciUser) -> Caller:
    return services.identity.caller_for(user.account.account.name)


def _state(services: Services, user: OcciUser, location: str) -> InstanceState:
    return services.compute.get_instance(_caller(services, user), location.rsplit("/", 1)[1]).state


def _templates(user: OcciUser, services: Services, image: ImageView) -> tuple[str, str]:
    """The os_tpl of the public image and the resource_tpl of t2.micro, as rOCCI lists them."""
    os_tpls = user.occi("--action", "list", "--resource", "os_tpl").split()
    resource_tpls = user.occi("--action", "list", "--resource", "resource_tpl").split()
    flavor = next(f for f in services.catalog.list_flavors() if f.name == "t2.micro")
    os_tpl = f"http://schemas.cloudgate.invalid/occi/os_tpl#image-{image.id}"
    resource_tpl = f"http://schemas.cloudgate.invalid/occi/resource_tpl#flavor-{flavor.id}"
    assert os_tpl in os_tpls
    assert resource_tpl in resource_tpls
    assert len(resource_tpls) == len(services.catalog.list_flavors())
    return os_tpl.rpartition("#")[2], resource_tpl.rpartition("#")[2]


def test_rocci_lists_and_describes_the_templates(
    user: OcciUser, services: Services, image: ImageView
) -> None:
    _templates(user, services, image)
    described = user.occi("--action", "describe", "--resource", "os_tpl")
    assert "title:        tiny-linux" in described
    assert f"term:         image-{image.id}" in described
    flavors = user.occi("--action", "describe", "--resource", "resource_tpl")
    for flavor in services.catalog.list_flavors():
        assert f"title:        {flavor.name}\n" in flavors


@pytest.mark.parametrize("media_type", [None, "text/occi"])
def test_rocci_creates_stops_starts_and_deletes_a_compute(
    user: OcciUser,
    services: Services,
    image: ImageView,
    served_cloud: ServedCloud,
    media_type: str | None,
) -> None:
    media = ["--media-type", media_type] if media_type else []
    os_tpl, resource_tpl = _templates(user, services, image)
    printed = user.occi(
        "--action", "create", "--resource", "compute",
        "--mixin", f"os_tpl#{os_tpl}", "--mixin", f"resource_tpl#{resource_tpl}",
        "--attribute", "occi.core.title=foobar", *media,
    )  # fmt: skip
    location = printed.strip()
    assert location.startswith("/occi/compute/")
    instance = services.compute.get_instance(_caller(services, user), location.rsplit("/", 1)[1])
    assert (instance.name, instance.image_id, instance.flavor_name) == (
        "foobar",
        image.id,
        "t2.micro",
    )
    until(lambda: _state(services, user, location) is InstanceState.RUNNING)

    described = user.occi("--action", "describe", "--resource", location, *media)
    assert f">> location: {location}" in described
    assert f"occi.core.id = {instance.id}" in described
    assert "occi.core.title = foobar" in described
    assert "occi.compute.state = active" in described
    assert f"os_tpl#image-{image.id}" in described
    assert "compute/action#stop" in described
    assert location in user.occi("--action", "list", "--resource", "compute", *media)

    user.occi("--action", "trigger", "--resource", location, "--trigger-action", "stop", *media)
    until(lambda: _state(services, user, location) is InstanceState.STOPPED)
    assert "occi.compute.state = inactive" in user.occi(
        "--action", "describe", "--resource", location
    )
    ec2 = ec2_client(served_cloud.url, user.account)
    [reservation] = ec2.describe_instances(InstanceIds=[f"i-{instance.ref}"])["Reservations"]
    assert reservation["Instances"][0]["State"]["Name"] == "stopped"

    user.occi("--action", "trigger", "--resource", location, "--trigger-action", "start", *media)
    until(lambda: _state(services, user, location) is InstanceState.RUNNING)

    user.occi("--action", "delete", "--resource", location, *media)
    until(
        lambda: (
            _state(services, user, location)
            in (InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN)
        )
    )
    assert location not in user.occi("--action", "list", "--resource", "compute")


def _login(url: str, user: OcciUser) -> str:
    """The token an account gets: a session key from the native API's login."""
    form = {
        "command": "login",
        "username": user.account.username,
        "password": user.account.password,
        "response": "json",
    }
    answer = httpx.post(f"{url}/client/api", data=form, timeout=30).json()
    return str(answer["loginresponse"]["sessionkey"])


def test_rocci_links_and_unlinks_storage_with_token_auth(
    user: OcciUser, services: Services, image: ImageView, served_cloud: ServedCloud
) -> None:
    token = Token(_login(served_cloud.url, user))
    os_tpl, resource_tpl = _templates(user, services, image)
    compute = user.occi(
        "--action", "create", "--resource", "compute",
        "--mixin", f"os_tpl#{os_tpl}", "--mixin", f"resource_tpl#{resource_tpl}",
        "--attribute", "occi.core.title=with-disk", auth=token,
    ).strip()  # fmt: skip
    storage = user.occi(
        "--action", "create", "--resource", "storage",
        "--attribute", "occi.core.title=disk1", "--attribute", "occi.storage.size=1",
        auth=token,
    ).strip()  # fmt: skip
    assert storage.startswith("/occi/storage/")
    caller = _caller(services, user)
    volume_id = storage.rsplit("/", 1)[1]
    volume = services.storage.get_volume(caller, volume_id)
    assert (volume.name, volume.size_gib) == ("disk1", 1)
    until(lambda: _state(services, user, compute) is InstanceState.RUNNING)
    until(lambda: services.storage.get_volume(caller, volume_id).state is VolumeState.AVAILABLE)

    link = user.occi("--action", "link", "--resource", compute, "--link", storage, auth=token)
    assert link.strip() == f"/occi/link/storagelink/{volume_id}"
    until(lambda: services.storage.get_volume(caller, volume_id).state is VolumeState.IN_USE)
    described = user.occi("--action", "describe", "--resource", compute, auth=token)
    assert f">> location: /occi/link/storagelink/{volume_id}" in described
    assert f"occi.core.target = {storage}" in described

    user.occi("--action", "unlink", "--resource", link.strip(), auth=token)
    until(lambda: services.storage.get_volume(caller, volume_id).state is VolumeState.AVAILABLE)
    assert volume_id not in user.occi("--action", "describe", "--resource", compute)

    user.occi("--action", "delete", "--resource", storage, auth=token)
    until(lambda: storage not in user.occi("--action", "list", "--resource", "storage"))
    user.occi("--action", "delete", "--resource", compute, auth=token)


def test_rocci_context_reaches_the_instance_as_the_other_apis_see_it(
    user: OcciUser, services: Services, image: ImageView, served_cloud: ServedCloud, tmp_path: Path
) -> None:
    script = tmp_path / "user-data.sh"
    script.write_text("#!/bin/sh\necho hello from occi\n")
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k@x"
    os_tpl, resource_tpl = _templates(user, services, image)
    compute = user.occi(
        "--action", "create", "--resource", "compute",
        "--mixin", f"os_tpl#{os_tpl}", "--mixin", f"resource_tpl#{resource_tpl}",
        "--attribute", "occi.core.title=My Context VM",
        "--context", f"public_key={key}", "--context", f"user_data=file://{script}",
    ).strip()  # fmt: skip
    instance = services.compute.get_instance(_caller(services, user), compute.rsplit("/", 1)[1])
    assert instance.user_data == script.read_bytes()
    assert instance.hostname == "my-context-vm"
    until(lambda: _state(services, user, compute) is InstanceState.RUNNING)
    ec2 = ec2_client(served_cloud.url, user.account)
    ec2.stop_instances(InstanceIds=[f"i-{instance.ref}"])
    until(lambda: _state(services, user, compute) is InstanceState.STOPPED)
    user_data = ec2.describe_instance_attribute(
        InstanceId=f"i-{instance.ref}", Attribute="userData"
    )["UserData"]["Value"]
    assert user_data == base64.b64encode(script.read_bytes()).decode()
    assert "occi.compute.state = inactive" in user.occi(
        "--action", "describe", "--resource", compute
    )


def test_rocci_deletes_the_whole_compute_collection_of_its_account_only(
    user: OcciUser, services: Services, image: ImageView, served_cloud: ServedCloud
) -> None:
    flavor = min(services.catalog.list_flavors(), key=lambda f: f.memory_mib)
    other = OcciUser(served_cloud.url, served_cloud.account("occi-other"))
    mine = [user.create_compute(str(image.id), str(flavor.id), f"mine-{n}") for n in range(2)]
    theirs = other.create_compute(str(image.id), str(flavor.id), "theirs")

    def mine_in(*states: InstanceState) -> bool:
        return all(_state(services, user, location) in states for location in mine)

    until(lambda: mine_in(InstanceState.RUNNING))
    described = user.occi("--action", "describe", "--resource", "compute")
    assert described.count("occi.compute.state = active") == 2
    assert "occi.core.title = mine-0" in described and "occi.core.title = mine-1" in described
    assert "theirs" not in described
    user.occi("--action", "delete", "--resource", "compute")
    until(lambda: mine_in(InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN))
    assert user.occi("--action", "list", "--resource", "compute").strip() == ""
    assert other.occi("--action", "list", "--resource", "compute").split() == [theirs]
    other.occi("--action", "delete", "--resource", theirs)
