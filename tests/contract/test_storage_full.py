"""A full database as the real clients meet it: boto3 gets ``ServiceUnavailable`` (503, which
botocore retries), ``cs`` CloudStack's 530 with the reason, not an internal error."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from cs import CloudStack, CloudStackApiException

from core.services.container import Services
from tests.contract.conftest import ServedCloud
from tests.contract.ec2 import client
from tests.unit.helpers import full_database
from tests.unit.test_storage_full import fill


def test_clients_are_told_to_try_again(served_cloud: ServedCloud) -> None:
    services: Services = served_cloud.services
    account = served_cloud.account("full")
    ec2 = client(served_cloud.url, account, retries=1)
    cs = CloudStack(
        endpoint=f"{served_cloud.url}/client/api",
        key=account.access_key,
        secret=account.secret_key,
    )
    with full_database(services):
        refused = fill(services, services.identity.caller_for(account.account.name))
        one_more = {"name": f"group-{refused}", "description": "x" * 200}  # as the refused one
        with pytest.raises(ClientError) as refused_ec2:
            ec2.create_security_group(
                GroupName=one_more["name"], Description=one_more["description"]
            )
        error = refused_ec2.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            "ServiceUnavailable",
            503,
        )
        assert "storage is full" in error["Error"]["Message"]
        with pytest.raises(CloudStackApiException) as native:
            cs.createSecurityGroup(**one_more)
        assert native.value.error["errorcode"] == 530
        assert "storage is full" in native.value.error["errortext"]
        assert ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
    ec2.create_security_group(GroupName=one_more["name"], Description=one_more["description"])
