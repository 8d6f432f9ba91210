"""User data decoding, shared by every API (each words a refusal in its own error)."""

from __future__ import annotations

import pytest

from gateway.common import NotBase64, decode_user_data


@pytest.mark.parametrize(
    ("text", "data"),
    [
        pytest.param(None, b"", id="none"),
        pytest.param("", b"", id="empty"),
        pytest.param("aGVsbG8=", b"hello", id="plain"),
        pytest.param("aGVs\r\nbG8=\n", b"hello", id="mime-wrapped"),
    ],
)
def test_decodes(text: str | None, data: bytes) -> None:
    assert decode_user_data(text) == data


@pytest.mark.parametrize("text", ["not base64!", "aGVsbG8", "aGVsbG8=="])
def test_refuses_what_is_not_base64(text: str) -> None:
    with pytest.raises(NotBase64):
        decode_user_data(text)
