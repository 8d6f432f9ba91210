"""boto3's DescribeInstanceStatus for an instance whose guest its host holds paused: the
instance stays running, and both status checks say impaired until the guest runs again."""

from __future__ import annotations

from typing import Any

from core.services.container import Services
from core.views import ImageView
from tests.contract.ec2 import fast
from tests.unit.helpers import behind_cores_back


def _statuses(ec2: Any, instance_id: str) -> tuple[str, str, str, str]:
    [status] = ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
    return (
        status["InstanceState"]["Name"],
        status["InstanceStatus"]["Status"],
        status["InstanceStatus"]["Details"][0]["Status"],
        status["SystemStatus"]["Status"],
    )


def test_a_paused_guest_is_impaired_until_it_runs_again(
    ec2: Any, services: Services, image: ImageView
) -> None:
    [instance] = ec2.run_instances(
        ImageId=f"ami-{image.ref}", MinCount=1, MaxCount=1, InstanceType="t2.nano"
    )["Instances"]
    instance_id = instance["InstanceId"]
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[instance_id], WaiterConfig=fast())
    guest = services.compute.get_instance(
        services.identity.caller_for("admin"), instance_id.removeprefix("i-")
    ).id
    dom = behind_cores_back(services).lookupByUUIDString(str(guest))
    dom.suspend()
    services.reconciler.reconcile_once()
    assert _statuses(ec2, instance_id) == ("running", "impaired", "failed", "impaired")
    impaired = ec2.describe_instance_status(
        Filters=[{"Name": "instance-status.status", "Values": ["impaired"]}]
    )["InstanceStatuses"]
    assert [s["InstanceId"] for s in impaired] == [instance_id]

    dom.resume()
    services.reconciler.reconcile_once()
    assert _statuses(ec2, instance_id) == ("running", "ok", "passed", "ok")
    ec2.terminate_instances(InstanceIds=[instance_id])
