"""Tags: key/value pairs on any resource, validated once for every API."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.orm import QueryableAttribute, Session

from core.db.models import Tag
from core.enums import ResourceKind
from core.errors import InvalidArgument, QuotaExceeded
from core.views import TaggedQuery

MAX_TAGS: Final = 50
MAX_KEY: Final = 128
MAX_VALUE: Final = 256
RESERVED_PREFIXES: Final = ("aws:", "cloudgate:")


def validate(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise QuotaExceeded("tags per resource", MAX_TAGS)
    for key, value in tags.items():
        if not 1 <= len(key) <= MAX_KEY:
            raise InvalidArgument("tag_key", f"1-{MAX_KEY} characters")
        if len(value) > MAX_VALUE:
            raise InvalidArgument("tag_value", f"at most {MAX_VALUE} characters")
        if key.lower().startswith(RESERVED_PREFIXES):
            raise InvalidArgument(
                "tag_key", f"the prefixes {', '.join(RESERVED_PREFIXES)} are reserved"
            )


def add(
    session: Session,
    account_id: uuid.UUID,
    kind: ResourceKind,
    resource_id: uuid.UUID,
    tags: Mapping[str, str],
) -> None:
    session.add_all(
        Tag(
            account_id=account_id, resource_kind=kind, resource_id=resource_id, key=key, value=value
        )
        for key, value in tags.items()
    )


def of(session: Session, resource_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    """Each resource's tags, in key order. Read as plain columns: listings ask for the tags
    of a thousand resources at once, and an ORM object per tag was most of that time."""
    found: dict[uuid.UUID, dict[str, str]] = {}
    wanted = list(resource_ids)
    if not wanted:
        return found
    rows = session.execute(
        select(Tag.resource_id, Tag.key, Tag.value)
        .where(Tag.resource_id.in_(wanted))
        .order_by(Tag.key)
    )
    for resource_id, key, value in rows:
        found.setdefault(resource_id, {})[key] = value
    return found


def selecting(
    resource_id: QueryableAttribute[uuid.UUID], query: TaggedQuery
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a listing's tag fields, for the resources ``resource_id`` names."""
    clauses = filter_clauses(resource_id, query.tags)
    if query.tag_keys:
        clauses.append(having(resource_id, keys=query.tag_keys))
    if query.tag_values:
        clauses.append(having(resource_id, values=query.tag_values))
    return clauses


def filter_clauses(
    resource_id: QueryableAttribute[uuid.UUID], wanted: Mapping[str, Sequence[str]]
) -> list[ColumnElement[bool]]:
    """One EXISTS per key: the resource has the key, with one of the values if any are given."""
    clauses: list[ColumnElement[bool]] = []
    for key, values in wanted.items():
        match = and_(Tag.resource_id == resource_id, Tag.key == key)
        if values:
            match = and_(match, Tag.value.in_(values))
        clauses.append(select(Tag.id).where(match).exists())
    return clauses


def having(
    resource_id: QueryableAttribute[uuid.UUID],
    *,
    keys: Sequence[str] = (),
    values: Sequence[str] = (),
) -> ColumnElement[bool]:
    """The resource has a tag with one of ``keys`` (any, if none are given) and one of
    ``values`` (likewise): EC2's ``tag-key`` and ``tag-value`` filters."""
    match = Tag.resource_id == resource_id
    if keys:
        match = and_(match, Tag.key.in_(keys))
    if values:
        match = and_(match, Tag.value.in_(values))
    return select(Tag.id).where(match).exists()


def remove_all(session: Session, resource_id: uuid.UUID) -> None:
    """A deleted resource takes its tags with it."""
    session.execute(delete(Tag).where(Tag.resource_id == resource_id))
