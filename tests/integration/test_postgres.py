"""The same migration history and the same job queue on PostgreSQL, where claims use
FOR UPDATE SKIP LOCKED and several workers really race for them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from core.bootstrap import ADMIN_ACCOUNT, bootstrap
from core.db import migrate
from core.db.base import Base
from core.db.database import Database
from core.enums import JobStatus
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.settings import CoreSettings
from core.states import InstanceState
from core.views import InstanceQuery
from tests.integration.conftest import wait_for
from tests.integration.postgres import new_database


def test_migrations_build_the_models_on_postgres(postgres_server: str) -> None:
    db = Database(new_database(postgres_server))
    migrate.upgrade(db)
    migrate.check(db)
    migrate.upgrade(db)
    with db.engine.connect() as connection:
        tables = set(db.engine.dialect.get_table_names(connection))
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    db.dispose()


def test_concurrent_workers_claim_each_job_once(postgres_server: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="cloudgate-pgcore-", dir="/var/tmp"))
    services = Services(
        CoreSettings(
            database_url=new_database(postgres_server),
            libvirt_uri="test:///default",
            data_dir=workdir / "data",
            pool_name=f"cg-pg-{uuid.uuid4().hex[:8]}",
            workers=4,
            reconcile_interval=3600.0,
        )
    )
    try:
        bootstrap(services)
        admin = services.identity.caller_for(ADMIN_ACCOUNT)
        disk = workdir / "base.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
        services.images.register(admin, disk, name="tiny-linux", public=True)
        services.start_background()
        refs = [
            i.ref
            for i in services.compute.launch(
                admin, LaunchRequest("tiny-linux", "t2.nano", count=6)
            ).instances
        ]

        def states() -> set[InstanceState]:
            page = services.compute.list_instances(admin, InstanceQuery(ids=refs))
            return {i.state for i in page.items}

        wait_for("6 instances running", lambda: states() == {InstanceState.RUNNING}, timeout=60)
        services.compute.terminate_instances(admin, refs)
        wait_for(
            "8 instances terminated", lambda: states() == {InstanceState.TERMINATED}, timeout=60
        )
        jobs = services.jobs.list_jobs(admin).items
        assert len(jobs) == 12
        assert {(j.status, j.attempts) for j in jobs} == {(JobStatus.SUCCEEDED, 1)}
    finally:
        services.close()
        shutil.rmtree(workdir)
