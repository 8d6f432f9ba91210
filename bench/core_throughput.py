"""How fast core records intents and runs jobs, on SQLite and libvirt's test driver.

Prints figures; asserts nothing (these machines are shared and noisy). Run it with:

    .venv/bin/python bench/core_throughput.py [--instances 200]

Measures: launch calls (intent + job + event in one transaction), launch and terminate jobs run
by one inline worker (in batches, so the test driver's fixed-size pool never fills), and listing
every instance, so a change to the queue or the schema shows up as a number.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from core.bootstrap import ADMIN_ACCOUNT, bootstrap
from core.enums import JobStatus
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.settings import CoreSettings
from core.views import InstanceQuery

BATCH = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200, help="a multiple of 10")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cloudgate-bench-") as tmp:
        root = Path(tmp)
        services = Services(
            CoreSettings(
                database_url=f"sqlite:///{root}/bench.db",
                libvirt_uri="test:///default",
                data_dir=root / "data",
                pool_name=f"cg-bench-{uuid.uuid4().hex[:8]}",
                max_instances_per_request=1,
                cpu_overcommit=1000.0,
                memory_overcommit=1000.0,
            )
        )
        bootstrap(services)
        admin = services.identity.caller_for(ADMIN_ACCOUNT)
        disk = root / "base.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
        services.images.register(admin, disk, name="bench", public=True)

        latencies: list[float] = []
        ran, jobs_seconds = 0, 0.0
        for _ in range(0, args.instances, BATCH):
            refs = []
            for _ in range(BATCH):
                started = time.perf_counter()
                reservation = services.compute.launch(admin, LaunchRequest("bench", "t2.nano"))
                latencies.append(time.perf_counter() - started)
                refs += [i.ref for i in reservation.instances]
            started = time.perf_counter()
            ran += services.workers.run_pending()
            services.compute.terminate_instances(admin, refs)
            ran += services.workers.run_pending()
            jobs_seconds += time.perf_counter() - started
        failed = services.jobs.list_jobs(admin, statuses=[JobStatus.FAILED]).total
        started = time.perf_counter()
        listed = services.compute.list_instances(admin, InstanceQuery()).total
        list_seconds = time.perf_counter() - started
        services.close()

    ms = [value * 1000 for value in latencies]
    print(
        f"launch calls      n={len(ms)}  median {statistics.median(ms):.2f} ms  "
        f"p95 {statistics.quantiles(ms, n=20)[18]:.2f} ms"
    )
    print(f"jobs (1 worker)   n={ran}  {ran / jobs_seconds:.1f} jobs/s  failed {failed}")
    print(f"list instances    n={listed}  {list_seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
