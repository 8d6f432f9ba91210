"""What launch templates and volume templates share: each is a record an account keeps under a
name unique in that account, with a description and tags, found by UUID or ref among what the
caller may see or by name among its own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Final, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import tags as resource_tags
from core.db.models import LaunchTemplate, VolumeTemplate
from core.enums import ResourceKind
from core.errors import Conflict, InvalidArgument, NotFound
from core.services.lookup import identity_clause
from core.views import Caller

MAX_NAME: Final = 255
MAX_DESCRIPTION: Final = 255


T = TypeVar("T", LaunchTemplate, VolumeTemplate)


def find(session: Session, caller: Caller, model: type[T], kind: ResourceKind, text: str) -> T:
    """By UUID or ref among the templates the caller sees, or by name among its own."""
    clause = identity_clause(model, text)
    statement = select(model)
    if clause is not None:
        statement = statement.where(clause)
        if not caller.is_admin:
            statement = statement.where(model.account_id == caller.account_id)
    else:
        statement = statement.where(model.account_id == caller.account_id, model.name == text)
    found = session.scalar(statement)
    if found is None:
        raise NotFound(kind.value, text)
    return found


def check_fields(name: str | None, description: str | None, tags: Mapping[str, str]) -> None:
    """What can be refused before the database is read."""
    if name is not None and (not 0 < len(name) <= MAX_NAME or name != name.strip()):
        raise InvalidArgument("name", f"1-{MAX_NAME} characters, no spaces at either end")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidArgument("description", f"at most {MAX_DESCRIPTION} characters")
    resource_tags.validate(tags)


def check_free(
    session: Session, model: type[T], kind: ResourceKind, account_id: uuid.UUID, name: str
) -> None:
    """An account's template names are unique, as EC2's launch template names are."""
    taken = select(model.id).where(model.account_id == account_id, model.name == name)
    if session.scalar(taken) is not None:
        raise Conflict(kind.value, name, f"this account has a {kind.value} with that name")


def replace_tags(
    session: Session,
    template: LaunchTemplate | VolumeTemplate,
    kind: ResourceKind,
    tags: Mapping[str, str],
) -> None:
    resource_tags.remove_all(session, template.id)
    resource_tags.add(session, template.account_id, kind, template.id, tags)
