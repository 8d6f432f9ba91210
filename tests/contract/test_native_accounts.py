"""deleteAccount with the ``cs`` client from PyPI: an admin deletes a user's account, whose keys
stop working and which leaves the account list; a user may not call it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from core.enums import EventType, JobKind, JobStatus, ResourceKind
from core.jobs import queue
from core.services.container import Services
from core.views import Caller, ImageView
from tests.contract.conftest import ServedCloud
from tests.contract.native import NativeUser


@pytest.fixture
def served_cloud(fresh_cloud: ServedCloud) -> ServedCloud:
    """A cloud per test: an administrator lists the accounts of the whole cloud, and a test
    here expects the one account it is deleting to be the only one listed as disabled."""
    return fresh_cloud


def _client(user: NativeUser) -> CloudStack:
    return CloudStack(
        endpoint=user.endpoint, key=user.key, secret=user.secret, poll_interval=0.2, job_timeout=60
    )


def _accounts(cs: CloudStack) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in cs.listAccounts(listall=True, fetch_list=True)}


def test_admin_deletes_a_users_account(
    native_admin: NativeUser, native_user: NativeUser, image: ImageView
) -> None:
    admin, user = _client(native_admin), _client(native_user)
    [zone] = user.listZones()["zone"]
    [offering] = [
        o for o in user.listServiceOfferings()["serviceoffering"] if o["name"] == "t1.micro"
    ]
    vm = user.deployVirtualMachine(
        zoneid=zone["id"],
        serviceofferingid=offering["id"],
        templateid=str(image.id),
        fetch_result=True,
    )["virtualmachine"]
    user.createSSHKeyPair(name="k1")
    name = native_user.account.account.name
    alice = _accounts(admin)[name]
    assert alice["state"] == "enabled"

    done = admin.deleteAccount(id=alice["id"], fetch_result=True)
    assert done == {"success": True}
    with pytest.raises(CloudStackApiException) as refused:
        user.listVirtualMachines()
    assert refused.value.response.status_code == 401
    assert refused.value.error["errorcode"] == 401
    assert name not in _accounts(admin)
    assert admin.listVirtualMachines(listall=True, id=vm["id"]) == {}  # gone with its account


def test_a_user_may_not_delete_accounts(native_admin: NativeUser, native_user: NativeUser) -> None:
    with pytest.raises(CloudStackApiException) as refused:
        _client(native_user).deleteAccount(id=str(native_admin.account.account.id))
    assert refused.value.response.status_code == 401
    assert (refused.value.error["errorcode"], refused.value.error["cserrorcode"]) == (401, 4365)
    assert "not available for user" in refused.value.error["errortext"]
    admin_name = native_admin.account.account.name
    assert _accounts(_client(native_admin))[admin_name]["state"] == "enabled"


def test_an_admin_may_not_delete_its_own_account(native_admin: NativeUser) -> None:
    admin = _client(native_admin)
    with pytest.raises(CloudStackApiException) as refused:
        admin.deleteAccount(id=str(native_admin.account.account.id), fetch_result=True)
    assert refused.value.args[0] == "Job failure"
    assert refused.value.error["errorcode"] == 431
    assert "own" in refused.value.error["errortext"]
    with pytest.raises(CloudStackApiException) as unknown:
        admin.deleteAccount(id="00000000-0000-4000-8000-000000000000")
    assert unknown.value.error["errorcode"] == 431


def test_an_account_being_deleted_is_listed_disabled(
    services: Services, native_admin: NativeUser, native_user: NativeUser
) -> None:
    """The deletion waits for the account's running jobs; meanwhile the account is listed."""
    alice = native_user.account
    with services.db.transaction() as session:  # a job of alice's another worker is running
        busy = queue.enqueue(
            session,
            Caller(alice.account.id, alice.user_id, False),
            kind=JobKind.CREATE_TAGS,
            resource=(ResourceKind.ACCOUNT, alice.account.id),
            account_id=alice.account.id,
            event_type=EventType.TAGS_CREATE,
            description="tagging",
        )
        busy.status = JobStatus.RUNNING
    admin = _client(native_admin)
    submitted = admin.deleteAccount(id=str(alice.account.id))
    assert _accounts(admin)[alice.account.name]["state"] == "disabled"
    [listed] = admin.listAccounts(state="disabled", listall=True)["account"]
    assert listed["name"] == alice.account.name
    with services.db.transaction() as session:
        queue.finish(session, busy.id, event_type=EventType.TAGS_CREATE)
    deadline = time.monotonic() + 30
    while (job := admin.queryAsyncJobResult(jobid=submitted["jobid"]))["jobstatus"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert (job["jobstatus"], job["jobresult"]) == (1, {"success": True})
    assert alice.account.name not in _accounts(admin)
