"""Identity of resources: one UUID plus a short random ref (DESIGN rule 3).

The ref is 17 lowercase hex digits so that EC2 can render ``i-<ref>`` exactly like AWS ids,
while native, OCCI and CIMI render the UUID. Both are unique and either finds the resource.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Final

REF_LENGTH: Final = 17
_REF_RE: Final = re.compile(r"[0-9a-f]{17}")


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def new_ref() -> str:
    """17 random hex digits (68 bits); the unique index on ``ref`` catches a collision."""
    return secrets.token_hex(9)[:REF_LENGTH]


def is_ref(text: str) -> bool:
    return _REF_RE.fullmatch(text) is not None


def parse_uuid(text: str) -> uuid.UUID | None:
    """A UUID in any of Python's accepted spellings, or None: callers decide the error."""
    try:
        return uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None
