"""Client tokens: a create retried with the token it used before gets what it made the first
time, not a second resource, and a token reused for a different request is refused.

EC2's ``ClientToken`` is the one API that sends them today; every create that takes one goes
through here, so each kind keeps the same rules (1-64 ASCII characters, per account).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Final, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import QueryableAttribute, Session

from core.errors import Conflict, InvalidArgument

MAX_LENGTH: Final = 64


M = TypeVar("M")


def check(token: str | None) -> None:
    if token is not None and not (0 < len(token) <= MAX_LENGTH and token.isascii()):
        raise InvalidArgument("client_token", f"1-{MAX_LENGTH} ASCII characters")


def made_before(
    session: Session,
    rows: Select[M],
    owner: QueryableAttribute[uuid.UUID],
    token_column: QueryableAttribute[str | None],
    account_id: uuid.UUID,
    token: str,
) -> Sequence[M]:
    """What the account made with ``token`` among ``rows``: their ``owner`` is the account
    and their ``token_column`` holds the token."""
    return session.scalars(rows.where(owner == account_id, token_column == token)).all()


def require_same(token: str, made: Sequence[Any], asked: Sequence[Any]) -> None:
    """``made`` describes the earlier request as ``asked`` describes this one."""
    if tuple(made) != tuple(asked):
        raise Conflict("client-token", token, "was used with different parameters")
