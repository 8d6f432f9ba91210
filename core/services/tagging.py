"""Tags on every taggable resource, through one service: EC2 CreateTags/DeleteTags/
DescribeTags and CloudStack createTags/deleteTags/listTags map onto it directly."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import events, tags
from core.db.base import Model
from core.db.database import Database
from core.db.models import (
    Address,
    Image,
    Instance,
    Network,
    SecurityGroup,
    Snapshot,
    Tag,
    Volume,
    Vpc,
)
from core.enums import EventState, EventType, JobKind, ResourceKind, Settle
from core.errors import InvalidArgument, NotFound, QuotaExceeded
from core.jobs import settling
from core.services.lookup import identity_clause
from core.views import Accepted, Caller, TagView

TAGGABLE: Final[Mapping[ResourceKind, type[Model]]] = {
    ResourceKind.INSTANCE: Instance,
    ResourceKind.VOLUME: Volume,
    ResourceKind.SNAPSHOT: Snapshot,
    ResourceKind.IMAGE: Image,
    ResourceKind.SECURITY_GROUP: SecurityGroup,
    ResourceKind.NETWORK: Network,
    ResourceKind.ADDRESS: Address,
    ResourceKind.VPC: Vpc,
}


def _resolve(
    session: Session, caller: Caller, kind: ResourceKind, refs: Sequence[str]
) -> list[tuple[uuid.UUID, str, uuid.UUID]]:
    """(id, ref, owning account) of each named resource the caller owns, in the order named."""
    model = TAGGABLE.get(kind)
    if model is None:
        raise InvalidArgument("resource_type", f"{kind.value} resources cannot be tagged")
    if not refs:
        raise InvalidArgument("resource_ids", "at least one resource is required")
    found = []
    for ref in refs:
        clause = identity_clause(model, ref)
        row = None if clause is None else session.scalars(select(model).where(clause)).first()
        owner: uuid.UUID | None = getattr(row, "account_id", None)
        if row is None or owner is None or (not caller.is_admin and owner != caller.account_id):
            raise NotFound(kind.value, ref)
        found.append((row.id, row.ref, owner))
    return found


class TagService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _settled(
        self,
        caller: Caller,
        how: Settle,
        kind: ResourceKind,
        run: Callable[[], list[uuid.UUID]],
        job: tuple[JobKind, EventType, str],
    ) -> Accepted[Sequence[uuid.UUID]]:
        """The tagged resources' ids; settled as a job, a finished one on the first of them."""

        def describe(
            tagged: Sequence[uuid.UUID] | None,
        ) -> tuple[settling.Work, Sequence[uuid.UUID]]:
            first = (tagged or [caller.account_id])[0]
            work = settling.Work(job[0], job[1], (kind, first), caller.account_id, job[2])
            return work, tagged or []

        return settling.settle(
            self._db, caller, how, lambda: Accepted(run(), None), describe, done_at_once=True
        )

    def create_tags(
        self,
        caller: Caller,
        kind: ResourceKind,
        refs: Sequence[str],
        wanted: Mapping[str, str],
        *,
        settle: Settle = Settle.RAISE,
    ) -> Accepted[Sequence[uuid.UUID]]:
        """Adds the tags, overwriting the value of a key already present; all or nothing."""
        tags.validate(wanted)
        job = (JobKind.CREATE_TAGS, EventType.TAGS_CREATE, f"tags {', '.join(sorted(wanted))} set")
        return self._settled(
            caller, settle, kind, lambda: self._create(caller, kind, refs, wanted), job
        )

    def _create(
        self, caller: Caller, kind: ResourceKind, refs: Sequence[str], wanted: Mapping[str, str]
    ) -> list[uuid.UUID]:
        tagged = []
        with self._db.transaction() as session:
            for resource_id, ref, owner in _resolve(session, caller, kind, refs):
                tagged.append(resource_id)
                present = tags.of(session, [resource_id]).get(resource_id, {})
                if len(present.keys() | wanted.keys()) > tags.MAX_TAGS:
                    raise QuotaExceeded("tags per resource", tags.MAX_TAGS)
                session.execute(
                    delete(Tag).where(Tag.resource_id == resource_id, Tag.key.in_(list(wanted)))
                )
                tags.add(session, owner, kind, resource_id, wanted)
                events.record(
                    session,
                    account_id=owner,
                    user_id=caller.user_id,
                    type=EventType.TAGS_CREATE,
                    state=EventState.COMPLETED,
                    description=f"tags {', '.join(sorted(wanted))} set on {kind.value} {ref}",
                    resource=(kind, resource_id),
                )
        return tagged

    def delete_tags(
        self,
        caller: Caller,
        kind: ResourceKind,
        refs: Sequence[str],
        keys: Mapping[str, str | None],
        *,
        settle: Settle = Settle.RAISE,
    ) -> Accepted[Sequence[uuid.UUID]]:
        """Removes each key (only where its value matches, when a value is given); no keys
        removes every tag of the resources."""
        job = (JobKind.DELETE_TAGS, EventType.TAGS_DELETE, "tags removed")
        return self._settled(
            caller, settle, kind, lambda: self._delete(caller, kind, refs, keys), job
        )

    def _delete(
        self,
        caller: Caller,
        kind: ResourceKind,
        refs: Sequence[str],
        keys: Mapping[str, str | None],
    ) -> list[uuid.UUID]:
        untagged = []
        with self._db.transaction() as session:
            for resource_id, ref, owner in _resolve(session, caller, kind, refs):
                untagged.append(resource_id)
                statement = delete(Tag).where(Tag.resource_id == resource_id)
                if keys:
                    matches = [
                        (Tag.key == key) & (Tag.value == value if value is not None else True)
                        for key, value in keys.items()
                    ]
                    clause = matches[0]
                    for more in matches[1:]:
                        clause = clause | more
                    statement = statement.where(clause)
                session.execute(statement)
                events.record(
                    session,
                    account_id=owner,
                    user_id=caller.user_id,
                    type=EventType.TAGS_DELETE,
                    state=EventState.COMPLETED,
                    description=f"tags removed from {kind.value} {ref}",
                    resource=(kind, resource_id),
                )
        return untagged

    def list_tags(
        self,
        caller: Caller,
        *,
        kinds: Sequence[ResourceKind] = (),
        keys: Sequence[str] = (),
        values: Sequence[str] = (),
        resource_ids: Sequence[uuid.UUID] = (),
    ) -> list[TagView]:
        statement = select(Tag)
        if not caller.is_admin:
            statement = statement.where(Tag.account_id == caller.account_id)
        if kinds:
            statement = statement.where(Tag.resource_kind.in_(kinds))
        if keys:
            statement = statement.where(Tag.key.in_(keys))
        if values:
            statement = statement.where(Tag.value.in_(values))
        if resource_ids:
            statement = statement.where(Tag.resource_id.in_(resource_ids))
        with self._db.transaction() as session:
            rows = list(session.scalars(statement.order_by(Tag.resource_id, Tag.key)))
            refs: dict[uuid.UUID, str] = {}
            for kind in {r.resource_kind for r in rows}:
                model = TAGGABLE[kind]
                wanted = [r.resource_id for r in rows if r.resource_kind is kind]
                refs.update(
                    (row[0], row[1])
                    for row in session.execute(
                        select(model.id, model.ref).where(model.id.in_(wanted))
                    )
                )
            return [
                TagView(r.resource_kind, r.resource_id, refs.get(r.resource_id, ""), r.key, r.value)
                for r in rows
            ]
