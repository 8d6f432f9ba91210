"""Which characters a cloud's text may hold: only those XML 1.0 can carry.

Every API but one renders XML somewhere (EC2 always, native and CIMI on request), and a name
set through one API is listed through all of them, so a control character let in by one
would break another's listings. Core keeps none: what a caller writes is refused
(``core.db.base`` checks every string column on its way to the database), and what the cloud
writes itself from outside text (a hypervisor's error message) is kept with each such
character replaced. Renderers replace them too (``xml_safe``), for text that never reaches the
database (a request's own bad value quoted in an error) and rows kept before this rule.

Lone surrogates are in the set as well: no UTF-8 encoder writes them, so JSON bodies and the
database refuse them just as XML does.
"""

from __future__ import annotations

import re
from typing import Final

XML_UNSAFE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT: Final = "\ufffd"


def unsafe_character(text: str) -> str | None:
    """The first character of ``text`` XML 1.0 cannot carry, as ``U+0001``; None if none."""
    found = XML_UNSAFE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def xml_safe(text: str) -> str:
    """``text`` with each character XML 1.0 cannot carry replaced by U+FFFD."""
    return XML_UNSAFE.sub(REPLACEMENT, text)
