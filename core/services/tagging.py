"""Tags on every taggable resource, through one service: EC2 CreateTags/DeleteTags/
DescribeTags and CloudStack createTags/deleteTags/listTags map onto it directly."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from sqlalchemy import ColumnElement, Row, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from core import events, ids, paging, tags
from core.db.base import Model
from core.db.database import Database
from core.db.models import (
    Address,
    Image,
    Instance,
    LaunchTemplate,
    Network,
    SecurityGroup,
    Snapshot,
    Tag,
    Volume,
    VolumeTemplate,
    Vpc,
)
from core.enums import EventState, EventType, JobKind, ResourceKind, Settle
from core.errors import InvalidArgument, NotFound, QuotaExceeded
from core.jobs import settling
from core.services.lookup import contains_text, identity_clause
from core.views import Accepted, Caller, Page, TagQuery, TagView

TAGGABLE: Final[Mapping[ResourceKind, type[Model]]] = {
    ResourceKind.INSTANCE: Instance,
    ResourceKind.VOLUME: Volume,
    ResourceKind.SNAPSHOT: Snapshot,
    ResourceKind.IMAGE: Image,
    ResourceKind.SECURITY_GROUP: SecurityGroup,
    ResourceKind.NETWORK: Network,
    ResourceKind.ADDRESS: Address,
    ResourceKind.VPC: Vpc,
    ResourceKind.LAUNCH_TEMPLATE: LaunchTemplate,
    ResourceKind.VOLUME_TEMPLATE: VolumeTemplate,
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

    def replace_tags(
        self, caller: Caller, kind: ResourceKind, ref: str, wanted: Mapping[str, str]
    ) -> None:
        """Every tag of one resource becomes ``wanted``, at once: a key left out is removed
        (CIMI's PUT of ``properties``, which names them all). All or nothing."""
        tags.validate(wanted)
        if len(wanted) > tags.MAX_TAGS:
            raise QuotaExceeded("tags per resource", tags.MAX_TAGS)
        with self._db.transaction() as session:
            [(resource_id, found, owner)] = _resolve(session, caller, kind, [ref])
            if tags.of(session, [resource_id]).get(resource_id, {}) == dict(wanted):
                return
            session.execute(delete(Tag).where(Tag.resource_id == resource_id))
            tags.add(session, owner, kind, resource_id, wanted)
            events.record(
                session,
                account_id=owner,
                user_id=caller.user_id,
                type=EventType.TAGS_CREATE,
                state=EventState.COMPLETED,
                description=f"tags of {kind.value} {found} replaced",
                resource=(kind, resource_id),
            )

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

    def list_tags(self, caller: Caller, query: TagQuery) -> Page[TagView]:
        """The tags ``query`` selects, filtered and windowed in SQL, each with its resource's
        ref: a count and one read of the page whatever the number of tags."""
        ref: ColumnElement[str] = func.coalesce(*(model.ref for model in TAGGABLE.values()))
        statement = select(Tag, ref).select_from(Tag)
        for kind, model in TAGGABLE.items():
            joined = and_(model.id == Tag.resource_id, Tag.resource_kind == kind)
            statement = statement.outerjoin(model, joined)
        if not caller.is_admin:
            statement = statement.where(Tag.account_id == caller.account_id)
        if query.accounts:
            statement = statement.where(Tag.account_id.in_(query.accounts))
        if query.kinds:
            statement = statement.where(Tag.resource_kind.in_(query.kinds))
        if query.resources:
            statement = statement.where(_naming(ref, query.resources))
        if query.keys:
            statement = statement.where(Tag.key.in_(query.keys))
        if query.values:
            statement = statement.where(Tag.value.in_(query.values))
        if query.text_contains:
            statement = statement.where(contains_text(query.text_contains, Tag.key, Tag.value))
        window = query.window
        last = None if window.after is None else paging.decode(window.after, _position)
        ordered = paging.windowed(statement, window, (Tag.resource_id, Tag.key), last)
        with self._db.transaction() as session:
            total = paging.count(session, statement, Tag.id)
            rows = session.execute(ordered).all()
            return paging.paged(rows, window, total, _views, _cursor)


def _naming(ref: ColumnElement[str], texts: Sequence[str]) -> ColumnElement[bool]:
    """The tagged resource is one of ``texts``, given by UUID or ref."""
    uuids = [u for u in (ids.parse_uuid(t) for t in texts) if u is not None]
    return or_(Tag.resource_id.in_(uuids), ref.in_([t for t in texts if ids.is_ref(t)]))


def _views(rows: Sequence[Row[Tag, str]]) -> list[TagView]:
    """Tags of resources since gone (a deleted volume's row, say) show an empty ref."""
    return [
        TagView(tag.resource_kind, tag.resource_id, ref or "", tag.key, tag.value)
        for tag, ref in rows
    ]


def _cursor(view: TagView) -> str:
    return paging.encode(view.resource_id.hex, view.key)


def _position(resource_hex: str, key: str) -> tuple[uuid.UUID, str]:
    return uuid.UUID(hex=resource_hex), key
