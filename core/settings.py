"""What core needs to know about its environment; the gateway fills it from TOML and env."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import argon2


@dataclass(frozen=True, slots=True)
class CoreSettings:
    database_url: str
    libvirt_uri: str
    data_dir: Path
    pool_name: str = "cloudgate"
    region: str = "cloudgate-1"
    zone: str = "cloudgate-1a"
    workers: int = 4
    stop_timeout: float = 30.0
    reconcile_interval: float = 10.0
    max_instances_per_request: int = 20
    cpu_overcommit: float = 4.0
    memory_overcommit: float = 1.0
    disk_overcommit: float = 1.0
    detach_timeout: float = 30.0
    # seconds a host call keeps reconnecting to a libvirtd that went away before its job fails
    host_retry_timeout: float = 60.0
    network_supernet: str = "10.254.0.0/16"  # networks without a CIDR get a /24 of it
    public_pool: str = "198.51.100.0/24"  # public addresses (model only; TEST-NET-2)
    session_timeout: float = 1800.0  # seconds a login session lives after its last use
    login_attempts_allowed: int = 5  # failed password logins in a row that lock a user
    # argon2id costs for new password hashes; argon2-cffi's recommended profile (RFC 9106,
    # low memory). Each hash records its own, so changing these rehashes at the next login.
    password_time_cost: int = argon2.DEFAULT_TIME_COST
    password_memory_cost: int = argon2.DEFAULT_MEMORY_COST  # KiB
    password_parallelism: int = argon2.DEFAULT_PARALLELISM
    expunge_delay: float = 86400.0  # seconds a destroyed instance stays recoverable
    max_image_bytes: int = 50 * 1024**3  # largest image a URL registration may download

    @property
    def pool_path(self) -> Path:
        return self.data_dir / "pool"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"
