"""What the native-API contract tests share: an account with keys and a launchable image."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

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


def java_encode(value: str) -> str:
    """``URLEncoder.encode(value, "UTF-8")`` with ``+`` as ``%20``, written here independently of
    the gateway's own code so the tests check it rather than mirror it."""
    return quote(value, safe="*-._")


def signed(params: dict[str, str], key: str, secret: str) -> dict[str, str]:
    """CloudStack's reference signing: sorted raw names, Java-encoded values, lowercased."""
    with_key = {**params, "apiKey": key}
    canonical = "&".join(f"{k}={java_encode(with_key[k])}" for k in sorted(with_key)).lower()
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha1).digest()
    return {**with_key, "signature": base64.b64encode(digest).decode()}
