"""What a client may choose for what it creates (OCCI lets it): the UUID of an instance, a
volume or a network, an SSH key given inline, a hostname. Core keeps each choice or refuses it
and then makes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core import LaunchRequest
from core.db.models import Instance
from core.errors import Conflict, InvalidArgument
from core.services.container import Services
from core.views import Caller, ImageView, InstanceQuery

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k@x"


def _launch(image: ImageView, **chosen: Any) -> LaunchRequest:
    return LaunchRequest(image=str(image.id), flavor="t2.nano", **chosen)


def test_an_instance_takes_the_id_and_key_its_client_chose(
    services: Services, alice: Caller, image: ImageView
) -> None:
    wanted = uuid.uuid4()
    reservation = services.compute.launch(
        alice, _launch(image, instance_id=wanted, public_key=KEY, name="My VM")
    )
    [instance] = reservation.instances
    assert instance.id == wanted
    assert instance.hostname == "my-vm"
    with services.db.transaction() as session:
        stored = session.get(Instance, wanted)
        assert stored is not None and stored.public_key == KEY


@pytest.mark.parametrize(
    ("chosen", "field"),
    [
        ({"public_key": "ssh-rsa nonsense"}, "public_key"),
        ({"public_key": KEY, "key_name": "mine"}, "public_key"),
        ({"hostname": "Not_A_Host"}, "hostname"),
        ({"instance_id": uuid.uuid4(), "count": 2}, "instance_id"),
    ],
)
def test_a_choice_core_cannot_keep_is_refused_and_nothing_is_made(
    services: Services, alice: Caller, image: ImageView, chosen: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        services.compute.launch(alice, _launch(image, **chosen))
    assert refused.value.field == field
    assert services.compute.list_instances(alice, InstanceQuery()).total == 0


def test_an_id_already_taken_by_any_account_is_a_conflict(
    services: Services, alice: Caller, admin: Caller, image: ImageView
) -> None:
    [theirs] = services.compute.launch(admin, _launch(image)).instances
    with pytest.raises(Conflict):
        services.compute.launch(alice, _launch(image, instance_id=theirs.id))
    volume = services.storage.create_volume(admin, size_gib=1).item.id
    with pytest.raises(Conflict):
        services.storage.create_volume(alice, size_gib=1, volume_id=volume)
    network = services.networks.create_network(alice, "mine", network_id=uuid.uuid4())
    with pytest.raises(Conflict):
        services.networks.create_network(alice, "again", network_id=network.id)
    assert services.compute.list_instances(alice, InstanceQuery()).total == 0
