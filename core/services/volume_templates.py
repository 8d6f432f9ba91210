"""Volume templates: named volumes an account keeps, to make volumes from later (CIMI's
VolumeTemplate: a volumeConfig, here a size or a disk offering, and optionally a volumeImage,
here a snapshot to copy).

A template's size, offering and snapshot are checked as ``create_volume`` checks them, when
the template is stored or changed: a fixed-size offering fixes the size, a size is 1 to
``MAX_VOLUME_GIB`` GiB and no smaller than the snapshot, and a template without a size has a
snapshot. A volume made from it is checked again, as the snapshot may since have been deleted.

Snapshots are deleted by state and their rows stay, so a template keeps naming a deleted
snapshot; its view and its filters show none (as a template whose snapshot row went would,
through ON DELETE SET NULL), and a change to its contents forgets it.

No event is recorded for a template: core's event types are CloudStack's (DESIGN rule 6), and
CloudStack has no volume templates, so it has no event type that names a change to one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Final, cast

from sqlalchemy import ColumnElement, Row, Select, and_, select
from sqlalchemy.orm import Session, aliased

from core import filtering, paging
from core import tags as resource_tags
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Account, DiskOffering, Snapshot, VolumeTemplate
from core.enums import ResourceKind, SnapshotState
from core.errors import InvalidArgument
from core.services import templates
from core.services.catalog import find_disk_offering
from core.services.lookup import contains_text, identity_clauses
from core.services.storage import GIB, MAX_VOLUME_GIB, find_snapshot
from core.views import (
    UNCHANGED,
    Caller,
    Page,
    Unchanged,
    VolumeTemplateQuery,
    VolumeTemplateView,
)

KIND: Final = ResourceKind.VOLUME_TEMPLATE

# A template with its account's and offering's names, and its snapshot's id unless deleted.
Listing = Select[VolumeTemplate, str, str | None, uuid.UUID | None]
Listed = Row[VolumeTemplate, str, str | None, uuid.UUID | None]


def _listed() -> Listing:
    """Templates with what their views show, in one statement however many there are."""
    statement = (
        select(VolumeTemplate, Account.name, DiskOffering.name, Snapshot.id)
        .join(Account, Account.id == VolumeTemplate.account_id)
        .outerjoin(DiskOffering, DiskOffering.id == VolumeTemplate.disk_offering_id)
        .outerjoin(
            Snapshot,
            and_(
                Snapshot.id == VolumeTemplate.snapshot_id, Snapshot.state != SnapshotState.DELETED
            ),
        )
    )
    return cast(Listing, statement)  # outer-joined: the offering and snapshot may be missing


def _views(session: Session, rows: Sequence[Listed]) -> list[VolumeTemplateView]:
    """The rows' views, with their tags read in one more statement."""
    tags = resource_tags.of(session, [row[0].id for row in rows])
    return [
        VolumeTemplateView(
            id=template.id,
            ref=template.ref,
            account_id=template.account_id,
            account_name=account_name,
            name=template.name,
            description=template.description,
            disk_offering_id=template.disk_offering_id,
            disk_offering_name=offering_name,
            size_gib=template.size_gib,
            snapshot_id=snapshot_id,
            tags=tags.get(template.id, {}),
            created_at=template.created_at,
            updated_at=template.updated_at,
        )
        for template, account_name, offering_name, snapshot_id in rows
    ]


def _view(session: Session, template: VolumeTemplate) -> VolumeTemplateView:
    session.flush()
    [view] = _views(
        session, session.execute(_listed().where(VolumeTemplate.id == template.id)).all()
    )
    return view


def _offering(session: Session, text: str | None) -> DiskOffering | None:
    return None if text is None else find_disk_offering(session, text)


def _snapshot(session: Session, caller: Caller, text: str | None) -> Snapshot | None:
    return None if text is None else find_snapshot(session, caller, text)


def _kept_offering(session: Session, template: VolumeTemplate) -> DiskOffering | None:
    if template.disk_offering_id is None:
        return None
    return session.get_one(DiskOffering, template.disk_offering_id)


def _kept_snapshot(session: Session, template: VolumeTemplate) -> Snapshot | None:
    """The template's snapshot, unless it has since been deleted."""
    if template.snapshot_id is None:
        return None
    snapshot = session.get(Snapshot, template.snapshot_id)
    return None if snapshot is None or snapshot.state is SnapshotState.DELETED else snapshot


def _size(offering: DiskOffering | None, size_gib: int | None, *, asked: bool) -> int | None:
    """The size the template keeps: a fixed-size offering's own, which a different size asked
    for contradicts (as ``create_volume`` refuses it), else ``size_gib``."""
    if offering is None or offering.size_gib is None:
        return size_gib
    if asked and size_gib not in (None, offering.size_gib):
        raise InvalidArgument("size", f"offering {offering.name} has a fixed size")
    return offering.size_gib


def _check_contents(size_gib: int | None, snapshot: Snapshot | None) -> None:
    """What ``create_volume`` needs of a size and a snapshot: one of them, in its bounds."""
    if snapshot is None and size_gib is None:
        raise InvalidArgument(
            "size", "a size, a fixed-size disk offering or a snapshot is required"
        )
    if size_gib is not None and not 1 <= size_gib <= MAX_VOLUME_GIB:
        raise InvalidArgument("size", f"must be between 1 and {MAX_VOLUME_GIB} GiB")
    if snapshot is not None and size_gib is not None and size_gib * GIB < snapshot.size_bytes:
        raise InvalidArgument("size", "smaller than the snapshot")


def _change_contents(
    session: Session,
    caller: Caller,
    template: VolumeTemplate,
    size_gib: int | Unchanged | None,
    disk_offering: str | Unchanged | None,
    snapshot: str | Unchanged | None,
) -> None:
    """Sets what is given and checks the result whole, as a new template is checked: a new
    fixed-size offering brings its size unless one is given."""
    offering = (
        _kept_offering(session, template)
        if isinstance(disk_offering, Unchanged)
        else _offering(session, disk_offering)
    )
    size = (
        _size(offering, template.size_gib, asked=False)
        if isinstance(size_gib, Unchanged)
        else _size(offering, size_gib, asked=True)
    )
    source = (
        _kept_snapshot(session, template)
        if isinstance(snapshot, Unchanged)
        else _snapshot(session, caller, snapshot)
    )
    _check_contents(size, source)
    template.disk_offering_id = None if offering is None else offering.id
    template.size_gib = size
    template.snapshot_id = None if source is None else source.id


class VolumeTemplateService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_volume_template(
        self,
        caller: Caller,
        name: str,
        *,
        size_gib: int | None = None,
        disk_offering: str | None = None,
        snapshot: str | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> VolumeTemplateView:
        """A new template of the caller's account: an empty volume of ``size_gib`` (or of the
        offering's fixed size), or a copy of ``snapshot`` (at least its size)."""
        wanted = dict(tags or {})
        templates.check_fields(name, description, wanted)
        with self._db.transaction() as session:
            offering = _offering(session, disk_offering)
            size = _size(offering, size_gib, asked=True)
            source = _snapshot(session, caller, snapshot)
            _check_contents(size, source)
            templates.check_free(session, VolumeTemplate, KIND, caller.account_id, name)
            template = VolumeTemplate(
                account_id=caller.account_id,
                name=name,
                description=description,
                disk_offering_id=None if offering is None else offering.id,
                size_gib=size,
                snapshot_id=None if source is None else source.id,
            )
            session.add(template)
            session.flush()
            resource_tags.add(session, caller.account_id, KIND, template.id, wanted)
            return _view(session, template)

    def get_volume_template(self, caller: Caller, ref: str) -> VolumeTemplateView:
        """By UUID or ref, or by name among the caller's own."""
        with self._db.transaction() as session:
            return _view(session, templates.find(session, caller, VolumeTemplate, KIND, ref))

    def list_volume_templates(
        self, caller: Caller, query: VolumeTemplateQuery
    ) -> Page[VolumeTemplateView]:
        """The templates ``query`` selects, filtered and windowed in SQL: a count, one read of
        the page with the names it shows, and one of its tags."""
        statement = _listed().where(*_selected(query), *FIELDS.selecting(query.where))
        if not caller.is_admin:
            statement = statement.where(VolumeTemplate.account_id == caller.account_id)
        with self._db.transaction() as session:
            return paging.read_rows(
                session,
                FIELDS.ordered(statement, query),
                VolumeTemplate,
                query.window,
                lambda rows: _views(session, rows),
            )

    def update_volume_template(
        self,
        caller: Caller,
        ref: str,
        *,
        name: str | None = None,
        description: str | None = None,
        size_gib: int | Unchanged | None = UNCHANGED,
        disk_offering: str | Unchanged | None = UNCHANGED,
        snapshot: str | Unchanged | None = UNCHANGED,
        tags: Mapping[str, str] | None = None,
    ) -> VolumeTemplateView:
        """Changes what is given (None, or ``UNCHANGED`` where None is a value, leaves a field
        as it is); ``tags`` replace all of the template's tags. A change to the size, offering
        or snapshot is checked with the others, so a template whose snapshot is deleted can
        still be renamed."""
        templates.check_fields(name, description, tags or {})
        with self._db.transaction() as session:
            template = templates.find(session, caller, VolumeTemplate, KIND, ref)
            if name is not None and name != template.name:
                templates.check_free(session, VolumeTemplate, KIND, template.account_id, name)
                template.name = name
            if description is not None:
                template.description = description
            contents = (size_gib, disk_offering, snapshot)
            if not all(isinstance(given, Unchanged) for given in contents):
                _change_contents(session, caller, template, *contents)
            if tags is not None:
                templates.replace_tags(session, template, KIND, tags)
            template.updated_at = utcnow()  # tags too are the template's, though not its row's
            return _view(session, template)

    def delete_volume_template(self, caller: Caller, ref: str) -> None:
        """Removes the template and its tags; volumes made from it stay as they are."""
        with self._db.transaction() as session:
            template = templates.find(session, caller, VolumeTemplate, KIND, ref)
            resource_tags.remove_all(session, template.id)
            session.delete(template)


#: What ``VolumeTemplateQuery.where`` can name: the view's fields. The offering's name and the
#: snapshot are read by subqueries of their own, not from the outer joins, because the filter
#: takes a NOT NULL column at its word and a template may have neither; the snapshot's, as
#: the view's, is none once the snapshot is deleted.
_OWN_OFFERING: Final = aliased(DiskOffering)
_OWN_SNAPSHOT: Final = aliased(Snapshot)
FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(VolumeTemplate, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "name",
                "description",
                "disk_offering_id",
                "size_gib",
                "created_at",
                "updated_at",
            )
        },
        "account_name": Account.name,
        "disk_offering_name": filtering.scalar(
            _OWN_OFFERING.name, _OWN_OFFERING.id == VolumeTemplate.disk_offering_id
        ),
        "snapshot_id": filtering.scalar(
            _OWN_SNAPSHOT.id,
            _OWN_SNAPSHOT.id == VolumeTemplate.snapshot_id,
            _OWN_SNAPSHOT.state != SnapshotState.DELETED,
        ),
    },
    filtering.Tagged(KIND, VolumeTemplate.id),
)


def _selected(query: VolumeTemplateQuery) -> list[ColumnElement[bool]]:
    where = resource_tags.selecting(VolumeTemplate.id, query)
    if query.ids:
        where.append(identity_clauses(VolumeTemplate, tuple(query.ids)))
    if query.names:
        where.append(VolumeTemplate.name.in_(query.names))
    if query.name_contains:
        where.append(contains_text(query.name_contains, VolumeTemplate.name))
    if query.disk_offerings:
        where.append(VolumeTemplate.disk_offering_id.in_(query.disk_offerings))
    if query.accounts:
        where.append(VolumeTemplate.account_id.in_(query.accounts))
    return where
