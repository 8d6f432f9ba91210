"""One instance through its life (spec §2.5, §2.7, §2.8, §2.11): ``RunInstances`` answers a
``pending`` (or already ``running``) instance with a well-formed id, boto3's waiters see it run,
stop, start and terminate, filters find it by state and by the ``Name`` tag it was launched
with, ``ClientToken`` makes the launch idempotent, ``GetConsoleOutput`` answers for it, and a
terminated instance is still described by id. Needs ``--ec2-image-id``.

The module launches ONE instance (``MinCount=MaxCount=1``) and shares it: the tests run in file
order, and the last one terminates it. Teardown terminates it in any case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest

from conformance.ec2.checks import WAIT, id_pattern, refused
from conformance.ec2.client import Ec2, Resources, Target, new_name, tag_spec

INSTANCE_ID: Final = id_pattern("i")
RESERVATION_ID: Final = id_pattern("r")
# instanceState/code; clients mask off the high byte, which is for AWS's own use (spec §2.7)
STATES: Final = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}


def state_of(instance: dict[str, Any]) -> tuple[str, int]:
    """(name, code) of an instance's state, the code masked to its low byte."""
    return instance["State"]["Name"], instance["State"]["Code"] & 0xFF


@dataclass(frozen=True, slots=True)
class Launch:
    name: str  # its Name tag, and its ClientToken
    request: dict[str, Any]  # what RunInstances was sent
    reservation: dict[str, Any]  # what it answered
    instance_id: str


@pytest.fixture(scope="module")
def launch(ec2: Ec2, target: Target, image_id: str, zone: str) -> Iterator[Launch]:
    resources = Resources(ec2, zone)
    name = new_name()
    request: dict[str, Any] = {
        "ImageId": image_id,
        "InstanceType": target.instance_type,
        "MinCount": 1,
        "MaxCount": 1,
        "Placement": {"AvailabilityZone": zone},
        "ClientToken": name,
        "TagSpecifications": tag_spec("instance", Name=name),
    }
    try:
        reservation = ec2.run_instances(**request)
        [instance_id] = resources.instances(reservation)
        yield Launch(name, request, reservation, instance_id)
    finally:
        resources.close()


def describe(ec2: Ec2, instance_id: str) -> dict[str, Any]:
    [reservation] = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    [instance] = reservation["Instances"]
    return dict(instance)


def by_name_and_state(ec2: Ec2, name: str, state: str) -> list[str]:
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": [name]},
            {"Name": "instance-state-name", "Values": [state]},
        ]
    )["Reservations"]
    return [i["InstanceId"] for r in reservations for i in r["Instances"]]


def test_run_instances_answers_a_pending_instance(launch: Launch, target: Target) -> None:
    reservation = launch.reservation
    assert RESERVATION_ID.fullmatch(reservation["ReservationId"]), reservation["ReservationId"]
    [instance] = reservation["Instances"]
    assert INSTANCE_ID.fullmatch(instance["InstanceId"]), instance["InstanceId"]
    name, code = state_of(instance)
    assert name in ("pending", "running") and code == STATES[name], instance["State"]
    assert instance["ImageId"] == launch.request["ImageId"]
    assert instance["InstanceType"] == target.instance_type
    assert (
        instance["Placement"]["AvailabilityZone"] == launch.request["Placement"]["AvailabilityZone"]
    )


def test_running_waiter_and_state_and_tag_filters(ec2: Ec2, launch: Launch) -> None:
    ec2.get_waiter("instance_running").wait(InstanceIds=[launch.instance_id], WaiterConfig=WAIT)
    instance = describe(ec2, launch.instance_id)
    assert state_of(instance) == ("running", 16)
    assert {"Key": "Name", "Value": launch.name} in instance["Tags"]
    assert by_name_and_state(ec2, launch.name, "running") == [launch.instance_id]
    assert by_name_and_state(ec2, launch.name, "stopped") == []
    assert by_name_and_state(ec2, launch.name.upper(), "running") == []


def test_same_client_token_and_parameters_is_the_same_launch(ec2: Ec2, launch: Launch) -> None:
    again = ec2.run_instances(**launch.request)
    assert again["ReservationId"] == launch.reservation["ReservationId"]
    assert [i["InstanceId"] for i in again["Instances"]] == [launch.instance_id]
    tagged = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [launch.name]}])
    assert [i["InstanceId"] for r in tagged["Reservations"] for i in r["Instances"]] == [
        launch.instance_id
    ]


def test_same_client_token_other_parameters_is_a_mismatch(
    ec2: Ec2, launch: Launch, resources: Resources
) -> None:
    other = {**launch.request, "MinCount": 2, "MaxCount": 2}
    answer = refused(lambda: ec2.run_instances(**other), resources.adopt)
    assert answer == ("IdempotentParameterMismatch", 400)


def test_console_output_names_the_instance(ec2: Ec2, launch: Launch) -> None:
    """botocore decodes ``output`` from base64 itself (spec §2.11); a fresh instance may have
    none yet."""
    console = ec2.get_console_output(InstanceId=launch.instance_id)
    assert console["InstanceId"] == launch.instance_id
    assert isinstance(console.get("Output", ""), str)


def test_stop_start_terminate(ec2: Ec2, launch: Launch) -> None:
    ids = [launch.instance_id]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=WAIT)
    [stopping] = ec2.stop_instances(InstanceIds=ids)["StoppingInstances"]
    assert stopping["InstanceId"] == launch.instance_id
    assert stopping["PreviousState"]["Name"] == "running"
    assert stopping["CurrentState"]["Name"] in ("stopping", "stopped")
    ec2.get_waiter("instance_stopped").wait(InstanceIds=ids, WaiterConfig=WAIT)
    assert state_of(describe(ec2, launch.instance_id)) == ("stopped", 80)
    assert by_name_and_state(ec2, launch.name, "stopped") == ids

    [starting] = ec2.start_instances(InstanceIds=ids)["StartingInstances"]
    assert starting["PreviousState"]["Name"] == "stopped"
    assert starting["CurrentState"]["Name"] in ("pending", "running")
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=WAIT)

    [terminating] = ec2.terminate_instances(InstanceIds=ids)["TerminatingInstances"]
    assert terminating["CurrentState"]["Name"] in ("shutting-down", "terminated")
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=WAIT)
    assert state_of(describe(ec2, launch.instance_id)) == ("terminated", 48)
