"""First start of an installation: its id, the default zone, flavors, the admin and the host.

Every step is idempotent, so ``cloudgate init`` and every ``cloudgate serve`` run it safely.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.db.database import Database
from core.db.models import Account, Setting
from core.errors import Conflict
from core.views import HostView, NewAccount

if TYPE_CHECKING:
    from core.services.container import Services

ADMIN_ACCOUNT = "admin"
_INSTALLATION_KEY = "installation"


def installation_id(db: Database) -> str:
    """A UUID naming this installation; libvirt objects are tagged with it to tell them ours."""
    with db.transaction() as session:
        found = session.get(Setting, _INSTALLATION_KEY)
        if found is None:
            found = Setting(key=_INSTALLATION_KEY, value=str(uuid.uuid4()))
            session.add(found)
        return found.value


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    admin: NewAccount | None  # set only on the run that created it: its keys are shown once
    host: HostView | None  # set only on the run that registered the local host


def has_admin(db: Database) -> bool:
    with db.transaction() as session:
        return session.scalar(select(Account.id).where(Account.name == ADMIN_ACCOUNT)) is not None


def bootstrap(services: Services) -> BootstrapResult:
    settings = services.settings
    services.catalog.ensure_zone(settings.zone, settings.region)
    services.catalog.ensure_flavors()
    services.catalog.ensure_disk_offerings()
    admin = None
    if not has_admin(services.db):
        try:
            admin = services.identity.create_account(ADMIN_ACCOUNT, admin=True)
        except Conflict:
            admin = None  # another process created it between our check and our insert
    host = None
    if not services.catalog.has_host(settings.libvirt_uri):
        host = services.catalog.add_host(settings.libvirt_uri, settings.zone)
    return BootstrapResult(admin, host)
