"""The two facts that name an installation: its id and the name of its admin account.

Services, identity and bootstrap all read them, so they live below all three: this module imports
only the database layer, and ``core.bootstrap`` (which needs every service) sits on top.
"""

from __future__ import annotations

import uuid
from typing import Final

from core.db.database import Database
from core.db.models import Setting

ADMIN_ACCOUNT: Final = "admin"
_INSTALLATION_KEY = "installation"


def installation_id(db: Database) -> str:
    """A UUID naming this installation; libvirt objects are tagged with it to tell them ours."""
    with db.transaction() as session:
        found = session.get(Setting, _INSTALLATION_KEY)
        if found is None:
            found = Setting(key=_INSTALLATION_KEY, value=str(uuid.uuid4()))
            session.add(found)
        return found.value
