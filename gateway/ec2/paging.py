"""``MaxResults`` / ``NextToken`` for Describe calls.

A token is where the next page starts (an offset into a listing read whole, or the cursor core
gave out for a listing it pages in SQL) plus a digest of the request's other arguments, so it
is the same for identical requests (botocore stops on a repeated token, and Terraform loops on
a token that never ends) and a token from another request is refused. The last page carries no
token. ``MaxResults`` below 5 is refused and above 1000 capped, as EC2 does; it cannot be
combined with explicit ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

from core.views import Window
from gateway.ec2.errors import Ec2Error, combination, invalid_value

T = TypeVar("T")

MIN_RESULTS: Final = 5
MAX_RESULTS: Final = 1000
_NOT_QUERY: Final = frozenset({"MaxResults", "NextToken", "DryRun"})


def _digest(args: Mapping[str, Any]) -> str:
    query = {k: v for k, v in args.items() if k not in _NOT_QUERY}
    text = json.dumps(query, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _token(position: str, args: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{position}:{_digest(args)}".encode()).decode()


def _position(token: str, args: Mapping[str, Any]) -> str:
    """Where the page a token asks for starts: an offset, or a cursor core gave out."""
    try:
        position, _, digest = base64.urlsafe_b64decode(token).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _refused(token) from None
    if not position or digest != _digest(args):
        raise _refused(token)
    return position


def _refused(token: str) -> Ec2Error:
    return Ec2Error(
        "InvalidParameterValue",
        f"Value ( {token} ) for parameter NextToken is invalid. The token is invalid.",
    )


def _size(args: Mapping[str, Any], ids: tuple[str, str] | None) -> int | None:
    """The page size a request asks for; None when it asks for no paging at all."""
    limit = args.get("MaxResults")
    if limit is None and not args.get("NextToken"):
        return None
    if ids is not None and limit is not None and args.get(ids[0]):
        raise combination(ids[1], "maxResults")
    if limit is not None and limit < MIN_RESULTS:
        raise invalid_value(
            "maxResults", limit, f"Expecting a value greater than or equal to {MIN_RESULTS}."
        )
    return int(min(limit or MAX_RESULTS, MAX_RESULTS))


def page(
    args: Mapping[str, Any], items: Sequence[T], ids: tuple[str, str] | None = None
) -> tuple[Sequence[T], str | None]:
    """The requested page of a listing read whole, and the next token. ``ids`` is the member
    holding explicit ids and its name in EC2's message (``("InstanceIds", "instancesSet")``):
    with those, no paging."""
    size = _size(args, ids)
    if size is None:
        return items, None
    token = args.get("NextToken")
    start = 0
    if token:
        position = _position(token, args)
        if not position.isdigit() or int(position) < 1:
            raise _refused(token)
        start = int(position)
    end = start + size
    return items[start:end], _token(str(end), args) if end < len(items) else None


def cursor_window(args: Mapping[str, Any], ids: tuple[str, str] | None = None) -> Window:
    """The window of a listing core pages: at most one page, after the token's cursor."""
    size = _size(args, ids)
    token = args.get("NextToken")
    return Window(limit=size, after=_position(token, args) if token else None)


def cursor_token(cursor: str | None, args: Mapping[str, Any]) -> str | None:
    """The NextToken that continues after core's ``cursor``; None on the last page."""
    return None if cursor is None else _token(cursor, args)
