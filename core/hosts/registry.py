"""One driver per host, opened on first use and shared by request threads and workers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from core.enums import VirtType
from core.hosts.driver import HostDriver

DriverFactory = Callable[[str, VirtType | None], HostDriver]


class HostDrivers:
    def __init__(self, factory: DriverFactory) -> None:
        self._factory = factory
        self._drivers: dict[uuid.UUID, HostDriver] = {}
        self._lock = threading.Lock()

    def open(self, uri: str, virt_type: VirtType | None = None) -> HostDriver:
        """A driver not yet tied to a host row (``host add`` probes through it first)."""
        return self._factory(uri, virt_type)

    def get(self, host_id: uuid.UUID, uri: str, virt_type: VirtType) -> HostDriver:
        with self._lock:
            driver = self._drivers.get(host_id)
            if driver is None:
                driver = self._drivers[host_id] = self._factory(uri, virt_type)
            return driver

    def close(self) -> None:
        with self._lock:
            for driver in self._drivers.values():
                driver.close()
            self._drivers.clear()
