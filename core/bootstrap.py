"""First start of an installation: its id, the default zone, flavors, the admin and the host.

Every step is idempotent, so ``cloudgate init`` and every ``cloudgate serve`` run it safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.db.database import Database
from core.db.models import Account
from core.errors import Conflict
from core.installation import ADMIN_ACCOUNT as ADMIN_ACCOUNT  # re-exported for tests, benches
from core.views import HostView, NewAccount

if TYPE_CHECKING:
    from core.services.container import Services


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    admin: NewAccount | None  # set only on the run that created it: its keys are shown once
    host: HostView | None  # set only on the run that registered the local host


def has_admin(db: Database) -> bool:
    with db.transaction() as session:
        return session.scalar(select(Account.id).where(Account.name == ADMIN_ACCOUNT)) is not None


def ensure_installation(services: Services) -> BootstrapResult:
    """Create what the installation lacks: zone, flavors, disk offerings, admin, local host."""
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


# The older name, which tests and benches import from here. ``core`` cannot export a name
# ``bootstrap``: once imported, the submodule ``core.bootstrap`` would shadow it.
bootstrap = ensure_installation
