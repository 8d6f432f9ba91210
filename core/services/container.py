"""Every core service for one process, built from settings and passed to the front ends.

Nothing here is a module-level singleton: two ``Services`` in one test process share nothing.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager

from core.db import migrate
from core.db.database import Database, rehearsal
from core.enums import VirtType
from core.events import EventService
from core.hosts.driver import HostDriver
from core.hosts.libvirt_driver import LibvirtDriver
from core.hosts.reconciler import Reconciler
from core.hosts.registry import HostDrivers
from core.installation import installation_id
from core.jobs.account_jobs import account_handlers
from core.jobs.image_jobs import image_handlers
from core.jobs.instance_jobs import instance_handlers
from core.jobs.network_jobs import network_handlers
from core.jobs.queue import JobService
from core.jobs.storage_jobs import storage_handlers
from core.jobs.worker import WorkerPool
from core.services.catalog import CatalogService
from core.services.compute import ComputeService
from core.services.identity import IdentityService
from core.services.images import ImageService
from core.services.keypairs import KeyPairService
from core.services.launch_templates import LaunchTemplateService
from core.services.networks import NetworkService
from core.services.security_groups import SecurityGroupService
from core.services.storage import StorageService
from core.services.tagging import TagService
from core.services.usage import UsageService
from core.services.volume_templates import VolumeTemplateService
from core.settings import CoreSettings

log = logging.getLogger(__name__)


class Services:
    def __init__(self, settings: CoreSettings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(settings.database_url)
        migrate.upgrade(self.db)
        self.installation = installation_id(self.db)
        self.drivers = HostDrivers(self._open_driver)
        self.workers = WorkerPool(
            self.db,
            {
                **instance_handlers(self.db, self.drivers, stop_timeout=settings.stop_timeout),
                **storage_handlers(self.db, self.drivers, detach_timeout=settings.detach_timeout),
                **network_handlers(self.db, self.drivers),
                **account_handlers(self.db, self.drivers),
                **image_handlers(self.db, max_bytes=settings.max_image_bytes),
            },
            size=settings.workers,
        )
        self.identity = IdentityService(self.db, settings, wake_workers=self.workers.wake)
        self.catalog = CatalogService(self.db, self.drivers)
        self.images = ImageService(self.db, settings.images_dir, self.workers.wake)
        self.key_pairs = KeyPairService(self.db)
        self.launch_templates = LaunchTemplateService(self.db)
        self.volume_templates = VolumeTemplateService(self.db)
        self.compute = ComputeService(self.db, self.drivers, settings, self.workers.wake)
        self.storage = StorageService(self.db, settings, self.workers.wake)
        self.networks = NetworkService(self.db, settings, self.workers.wake)
        self.security_groups = SecurityGroupService(self.db, self.workers.wake)
        self.tags = TagService(self.db)
        self.usage = UsageService(self.db)
        self.jobs = JobService(self.db)
        self.events = EventService(self.db)
        self.reconciler = Reconciler(
            self.db,
            self.drivers,
            interval=settings.reconcile_interval,
            chores=(self.compute.expunge_due, self.images.remove_unneeded_files),
        )
        self._background = False

    def _open_driver(self, uri: str, virt_type: VirtType | None) -> HostDriver:
        return LibvirtDriver(
            uri,
            installation=self.installation,
            pool_name=self.settings.pool_name,
            pool_path=self.settings.pool_path,
            virt_type=virt_type,
            retry_timeout=self.settings.host_retry_timeout,
        )

    def rehearsal(self) -> AbstractContextManager[None]:
        """Run service calls for their checks only: every write they make is rolled back."""
        return rehearsal()

    def start_background(self) -> None:
        """Recover interrupted jobs, align with the hosts once, then keep working."""
        self.workers.recover()
        report = self.reconciler.reconcile_once()
        log.info("start-up reconcile: %s", report)
        self.workers.start()
        self.reconciler.start()
        self._background = True

    def close(self) -> None:
        if self._background:
            self.reconciler.stop()
            self.workers.stop()
            self._background = False
        self.drivers.close()
        self.db.dispose()
