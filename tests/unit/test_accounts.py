"""Deleting an account: it stops authenticating at once, and its job removes everything it owns
from the hosts and retires its rows, safely again after a crash."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db.models import (
    Account,
    Address,
    Credential,
    Image,
    Instance,
    Job,
    KeyPair,
    LaunchTemplate,
    LoginSession,
    Network,
    Nic,
    SecurityGroup,
    Snapshot,
    Tag,
    User,
    Volume,
    VolumeTemplate,
)
from core.enums import (
    AccountState,
    EventState,
    EventType,
    ImageState,
    JobKind,
    JobStatus,
    NetworkState,
    SnapshotState,
    VolumeState,
)
from core.errors import InUse, InvalidState, NotFound
from core.jobs import queue
from core.jobs.account_jobs import DeleteAccount, account_handlers
from core.jobs.worker import WorkerPool
from core.network.rules import Direction
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.states import InstanceState
from core.views import AccountQuery, Caller, ImageView, NetworkQuery, NewAccount, RuleRequest
from tests.unit.helpers import behind_cores_back, host_driver

_STARTED = {JobKind.DELETE_ACCOUNT: EventType.ACCOUNT_DELETE}


@dataclass(frozen=True, slots=True)
class HostState:
    guests: frozenset[str]
    volumes: frozenset[str]
    networks: frozenset[str]


def host_state(services: Services) -> HostState:
    """What test:///default holds, read by an outsider (it has no nwfilter driver to read)."""
    conn = behind_cores_back(services)
    pool = conn.storagePoolLookupByName(services.settings.pool_name)
    pool.refresh(0)
    return HostState(
        frozenset(d.UUIDString() for d in conn.listAllDomains(0)),
        frozenset(v.name() for v in pool.listAllVolumes(0)),
        frozenset(n.UUIDString() for n in conn.listAllNetworks(0)),
    )


def live_rows(services: Services, account_id: uuid.UUID) -> dict[str, int]:
    """The account's rows that are not terminated, deleted or deregistered."""
    owned: list[tuple[Any, Any]] = [
        (Instance, Instance.state != InstanceState.TERMINATED),
        (Volume, Volume.state != VolumeState.DELETED),
        (Snapshot, Snapshot.state != SnapshotState.DELETED),
        (Image, Image.state != ImageState.DEREGISTERED),
        (Network, Network.state != NetworkState.DELETED),
        (SecurityGroup, None),
        (Address, None),
        (KeyPair, None),
        (Tag, None),
    ]
    with services.db.transaction() as session:
        counts = {
            model.__tablename__: session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.account_id == account_id, *([] if live is None else [live]))
            )
            or 0
            for model, live in owned
        }
        for model in (Credential, LoginSession):
            counts[model.__tablename__] = (
                session.scalar(
                    select(func.count())
                    .select_from(model)
                    .join(User, User.id == model.user_id)
                    .where(User.account_id == account_id)
                )
                or 0
            )
        counts["nics"] = (
            session.scalar(
                select(func.count())
                .select_from(Nic)
                .join(Instance, Instance.id == Nic.instance_id)
                .where(Instance.account_id == account_id, Nic.released.is_(False))
            )
            or 0
        )
        return counts


def own_image(services: Services, caller: Caller, tmp_path: Path) -> ImageView:
    disk = tmp_path / "own.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    return services.images.register(caller, disk, name="own-image")


def furnish(services: Services, alice: Caller, tmp_path: Path) -> None:
    """Everything an account can own, live: a running instance on a private network in a group
    with a rule, a data volume attached to it, a snapshot, a public address bound to it, a key
    pair, tags, a second instance from the account's own image, and a launch still queued."""
    services.key_pairs.create_key_pair(alice, "k1")
    services.networks.create_network(alice, "blue", cidr="10.254.201.0/24")
    services.security_groups.create_group(alice, "web")
    services.security_groups.authorize(
        alice, "web", Direction.INGRESS, [RuleRequest("tcp", 22, 22, cidr="10.0.0.0/8")]
    )
    request = LaunchRequest(
        "tiny-linux",
        "t1.micro",
        key_name="k1",
        network="blue",
        security_groups=("web",),
        tags={"role": "web"},
    )
    [web] = services.compute.launch(alice, request).instances
    mine = own_image(services, alice, tmp_path)
    services.compute.launch(alice, LaunchRequest(mine.ref, "t1.micro"))
    volume = services.storage.create_volume(alice, size_gib=1, volume_tags={"tier": "gold"})
    services.workers.run_pending()
    services.storage.attach_volume(alice, volume.item.ref, web.ref)
    services.workers.run_pending()
    services.storage.create_snapshot(alice, volume.item.ref)
    services.workers.run_pending()
    address = services.networks.allocate_address(alice).item
    services.networks.associate_address(alice, address.ref, web.ref)
    services.compute.launch(alice, LaunchRequest("tiny-linux", "t1.micro"))  # left queued
    assert services.compute.get_instance(alice, web.ref).state is InstanceState.RUNNING


@pytest.fixture
def carol(services: Services) -> NewAccount:
    return services.identity.create_account("carol", password="carols-secret")


def test_account_is_deleted_completely_and_a_rerun_is_a_no_op(
    services: Services,
    admin: Caller,
    carol: NewAccount,
    image: ImageView,
    tmp_path: Path,
) -> None:
    bob = services.identity.create_account("bob")
    bobs = services.identity.caller_for("bob")
    [bobs_vm] = services.compute.launch(bobs, LaunchRequest("tiny-linux", "t1.micro")).instances
    services.workers.run_pending()
    before = host_state(services)
    caller = services.identity.caller_for("carol")
    furnish(services, caller, tmp_path)
    session_key = services.identity.login("carol", "carols-secret").session_key
    own = services.images.get_image(caller, "own-image")
    assert Path(_image_path(services, own)).exists()
    assert host_state(services) != before
    assert all(live_rows(services, carol.account.id).values())  # one of each, at least

    accepted = services.identity.delete_account(admin, "carol")
    assert (accepted.item.state, accepted.job_id is not None) == (AccountState.DELETING, True)
    for attempt in (
        lambda: services.identity.signing_key(carol.access_key),
        lambda: services.identity.session_caller(session_key),
        lambda: services.identity.authenticate_password("carol", "carols-secret"),
        lambda: services.identity.login("carol", "carols-secret"),
        lambda: services.identity.caller_for("carol"),
    ):
        with pytest.raises(NotFound):
            attempt()  # at once, before the job has run
    [listed] = services.identity.list_accounts(admin, AccountQuery(names=["carol"])).items
    assert listed.state is AccountState.DELETING
    queued = services.jobs.list_jobs(admin, statuses=(JobStatus.FAILED,)).items
    assert [j.kind for j in queued if j.account_id == carol.account.id] == [
        JobKind.LAUNCH_INSTANCE
    ]  # the queued launch was failed, not left to fight the deletion

    # a crash after the host work and before the outcome was recorded ...
    claimed = queue.claim(services.db, "doomed-worker", _STARTED)
    assert claimed is not None and claimed.id == accepted.job_id
    account_handlers(services.db, services.drivers)[JobKind.DELETE_ACCOUNT].run(claimed)
    assert host_state(services) == before
    # ... and the job runs again after the restart
    services.workers.recover()
    assert services.workers.run_pending() == 1
    job = services.jobs.get_job(admin, str(accepted.job_id))
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)

    assert host_state(services) == before  # guests, disks, snapshots, image, network gone
    assert set(live_rows(services, carol.account.id).values()) == {0}
    assert not Path(_image_path(services, own)).exists()
    assert services.identity.list_accounts(admin, AccountQuery(names=["carol"])).items == []
    with services.db.transaction() as session:
        assert session.get_one(Account, carol.account.id).state is AccountState.DELETED
    completed = [
        e
        for e in services.events.list_events(admin, types=(EventType.ACCOUNT_DELETE,)).items
        if e.state is EventState.COMPLETED
    ]
    assert [e.resource_id for e in completed] == [carol.account.id]
    assert services.compute.get_instance(bobs, bobs_vm.ref).state is InstanceState.RUNNING
    assert services.identity.signing_key(bob.access_key).caller == bobs

    # a second run changes nothing
    with services.db.transaction() as session:
        session.get_one(Job, accepted.job_id).status = JobStatus.PENDING
    rows = live_rows(services, carol.account.id)
    assert services.workers.run_pending() == 1
    assert (host_state(services), live_rows(services, carol.account.id)) == (before, rows)
    with pytest.raises(NotFound):
        services.identity.delete_account(admin, str(carol.account.id))


def _image_path(services: Services, image: ImageView) -> str:
    with services.db.transaction() as session:
        return session.get_one(Image, image.id).path


def test_an_image_another_account_runs_from_keeps_its_file(
    services: Services, admin: Caller, alice: Caller, tmp_path: Path
) -> None:
    shared = own_image(services, alice, tmp_path)
    with services.db.transaction() as session:
        session.get_one(Image, shared.id).is_public = True  # as an admin could have published it
    services.identity.create_account("bob")
    bob = services.identity.caller_for("bob")
    services.compute.launch(bob, LaunchRequest(shared.ref, "t1.micro"))
    services.workers.run_pending()
    services.identity.delete_account(admin, "alice")
    services.workers.run_pending()
    assert Path(_image_path(services, shared)).exists()
    base = [v for v in host_driver(services).volumes() if v.owner_id == shared.id]
    assert base  # bob's root disk is an overlay on it
    with services.db.transaction() as session:
        assert session.get_one(Image, shared.id).state is ImageState.DEREGISTERED


@pytest.mark.parametrize(
    ("who", "whom", "error"),
    [
        pytest.param("alice", "bob", NotFound, id="non-admin"),
        pytest.param("alice", "alice", NotFound, id="non-admin-self"),
        pytest.param("admin", "admin", InvalidState, id="self"),
        pytest.param("root", "admin", InvalidState, id="installation-admin"),
        pytest.param("admin", "nobody", NotFound, id="unknown"),
    ],
)
def test_refusals_change_nothing(
    services: Services, alice: Caller, who: str, whom: str, error: type[Exception]
) -> None:
    services.identity.create_account("bob")
    services.identity.create_account("root", admin=True)
    with pytest.raises(error):
        services.identity.delete_account(services.identity.caller_for(who), whom)
    assert {
        a.state
        for a in services.identity.list_accounts(
            services.identity.caller_for("admin"), AccountQuery()
        ).items
    } == {AccountState.ENABLED}
    assert services.jobs.list_jobs(services.identity.caller_for("admin")).total == 0


def test_an_account_s_templates_go_with_it(
    services: Services, admin: Caller, carol: NewAccount, image: ImageView
) -> None:
    """Its launch templates (one naming its key pair) and volume templates (one copying its
    snapshot) are deleted with their tags; another account's stay."""
    bob = services.identity.create_account("bob")
    bobs = services.identity.caller_for("bob")
    for owner in (services.identity.caller_for("carol"), bobs):
        services.key_pairs.create_key_pair(owner, "k")
        volume = services.storage.create_volume(owner, size_gib=1).item
        services.workers.run_pending()
        snapshot = services.storage.create_snapshot(owner, volume.ref).item
        services.workers.run_pending()
        services.launch_templates.create_launch_template(
            owner, "web", image="tiny-linux", flavor="t1.micro", key_name="k", tags={"a": "1"}
        )
        services.volume_templates.create_volume_template(
            owner, "data", snapshot=snapshot.ref, tags={"b": "2"}
        )

    def templates(account_id: uuid.UUID) -> tuple[int, int]:
        with services.db.transaction() as session:
            launch, volume = (
                session.scalar(
                    select(func.count()).select_from(model).where(model.account_id == account_id)
                )
                or 0
                for model in (LaunchTemplate, VolumeTemplate)
            )
            return launch, volume

    assert templates(carol.account.id) == templates(bob.account.id) == (1, 1)
    services.identity.delete_account(admin, "carol")
    services.workers.run_pending()
    assert templates(carol.account.id) == (0, 0)
    assert live_rows(services, carol.account.id)["tags"] == 0
    assert templates(bob.account.id) == (1, 1)
    assert services.launch_templates.get_launch_template(bobs, "web").tags == {"a": "1"}
    assert services.volume_templates.get_volume_template(bobs, "data").tags == {"b": "2"}


def test_refused_while_another_account_needs_its_network(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    network = services.networks.create_network(alice, "blue", cidr="10.254.202.0/24")
    [vm] = services.compute.launch(
        admin, LaunchRequest("tiny-linux", "t1.micro", network=str(network.id))
    ).instances
    services.workers.run_pending()
    with pytest.raises(InUse, match="networks carry other accounts' instances"):
        services.identity.delete_account(admin, "alice")
    assert services.identity.caller_for("alice") == alice
    services.compute.terminate_instances(admin, [vm.ref])
    services.workers.run_pending()
    services.identity.delete_account(admin, "alice")
    services.workers.run_pending()
    listed = services.networks.list_networks(admin, NetworkQuery()).items
    assert [n.name for n in listed] == ["default"]


def test_a_deletion_that_waited_too_long_fails_and_may_be_asked_again(
    services: Services, admin: Caller, alice: Caller
) -> None:
    services.storage.create_volume(alice, size_gib=1)
    running = queue.claim(
        services.db, "busy-worker", {JobKind.CREATE_VOLUME: EventType.VOLUME_CREATE}
    )
    assert running is not None  # a worker is creating the disk right now
    first = services.identity.delete_account(admin, "alice")
    with pytest.raises(InvalidState):
        services.identity.delete_account(admin, "alice")  # its job is queued
    impatient = DeleteAccount(services.db, services.drivers, wait_timeout=0.2, poll_seconds=0.05)
    WorkerPool(services.db, {JobKind.DELETE_ACCOUNT: impatient}, size=1).run_pending()
    failed = services.jobs.get_job(admin, str(first.job_id))
    assert failed.status is JobStatus.FAILED
    assert "still running" in (failed.error_text or "")
    with pytest.raises(NotFound):
        services.identity.caller_for("alice")  # still being deleted: no way back in

    services.workers.recover()  # the busy worker died; its job is queued again ...
    again = services.identity.delete_account(admin, "alice")  # ... and failed by this one
    services.workers.run_pending()
    assert services.jobs.get_job(admin, str(again.job_id)).status is JobStatus.SUCCEEDED
    assert services.jobs.get_job(admin, str(running.id)).status is JobStatus.FAILED
    assert set(live_rows(services, alice.account_id).values()) == {0}
