"""User data as every API carries it: base64 text, which may be wrapped over several lines."""

from __future__ import annotations

import base64
import binascii


class NotBase64(ValueError):
    """The text is not base64; each API words the refusal in its own error."""


def decode(text: str | None) -> bytes:
    """The bytes ``text`` encodes; nothing for no text. White space is ignored, as the MIME
    line breaks some clients insert are."""
    if not text:
        return b""
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise NotBase64(text[:32]) from None
