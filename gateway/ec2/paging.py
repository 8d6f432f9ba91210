"""``MaxResults`` / ``NextToken`` for Describe calls.

A token is the offset of the next page plus a digest of the request's other arguments, so it
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

from gateway.ec2.errors import Ec2Error, combination, invalid_value

T = TypeVar("T")

MIN_RESULTS: Final = 5
MAX_RESULTS: Final = 1000
_NOT_QUERY: Final = frozenset({"MaxResults", "NextToken", "DryRun"})


def _digest(args: Mapping[str, Any]) -> str:
    query = {k: v for k, v in args.items() if k not in _NOT_QUERY}
    text = json.dumps(query, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _token(offset: int, args: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{_digest(args)}".encode()).decode()


def _offset(token: str, args: Mapping[str, Any]) -> int:
    refused = Ec2Error(
        "InvalidParameterValue",
        f"Value ( {token} ) for parameter NextToken is invalid. The token is invalid.",
    )
    try:
        offset_text, _, digest = base64.urlsafe_b64decode(token).decode().partition(":")
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise refused from None
    if offset < 1 or digest != _digest(args):
        raise refused
    return offset


def page(
    args: Mapping[str, Any], items: Sequence[T], ids: tuple[str, str] | None = None
) -> tuple[Sequence[T], str | None]:
    """The requested page and the next token. ``ids`` is the member holding explicit ids and
    its name in EC2's message (``("InstanceIds", "instancesSet")``): with those, no paging."""
    limit = args.get("MaxResults")
    token = args.get("NextToken") or None
    if limit is None and token is None:
        return items, None
    if ids is not None and limit is not None and args.get(ids[0]):
        raise combination(ids[1], "maxResults")
    if limit is not None and limit < MIN_RESULTS:
        raise invalid_value(
            "maxResults", limit, f"Expecting a value greater than or equal to {MIN_RESULTS}."
        )
    size = min(limit or MAX_RESULTS, MAX_RESULTS)
    start = 0 if token is None else _offset(token, args)
    end = start + size
    return items[start:end], _token(end, args) if end < len(items) else None
