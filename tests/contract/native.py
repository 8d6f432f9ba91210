"""What the native-API contract tests share: an account with keys and a launchable image."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.bootstrap import ADMIN_ACCOUNT
from core.services.container import Services
from core.views import ImageView, NewAccount


@dataclass(frozen=True, slots=True)
class NativeUser:
    endpoint: str
    account: NewAccount

    @property
    def key(self) -> str:
        return self.account.access_key

    @property
    def secret(self) -> str:
        return self.account.secret_key


def public_image(services: Services, tmp_path: Path, name: str = "tiny-linux") -> ImageView:
    disk = tmp_path / f"{name}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    admin = services.identity.caller_for(ADMIN_ACCOUNT)
    return services.images.register(admin, disk, name=name, public=True)
