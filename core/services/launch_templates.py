"""Launch templates: named sets of launch parameters an account keeps, to launch from later
(CIMI's MachineTemplate; EC2's launch templates can be served from the same rows).

A template's image, flavor, key pair and network are checked as a launch checks them, when the
template is stored or changed: it names only what its owner could launch with then. A launch
from it checks them again, as the image may since have been deregistered.

No event is recorded for a template: core's event types are CloudStack's (DESIGN rule 6), and
CloudStack has no launch templates, so it has no event type that names a change to one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Final, cast

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.orm import Session, aliased

from core import filtering, paging
from core import tags as resource_tags
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Account, Flavor, Image, KeyPair, LaunchTemplate
from core.enums import ResourceKind
from core.errors import InvalidArgument
from core.services import templates
from core.services.catalog import find_flavor
from core.services.compute import MAX_USER_DATA
from core.services.images import find_image
from core.services.keypairs import find_key_pair
from core.services.lookup import contains_text, identity_clauses
from core.services.networks import find_network
from core.views import (
    UNCHANGED,
    Caller,
    LaunchTemplateQuery,
    LaunchTemplateView,
    Page,
    Unchanged,
)

KIND: Final = ResourceKind.LAUNCH_TEMPLATE

# A template with the names of the account, image, flavor and key pair it refers to.
Listing = Select[LaunchTemplate, str, str, str, str | None]
Listed = Row[LaunchTemplate, str, str, str, str | None]


def _listed() -> Listing:
    """Templates with the names their views show, in one statement however many there are."""
    statement = (
        select(LaunchTemplate, Account.name, Image.name, Flavor.name, KeyPair.name)
        .join(Account, Account.id == LaunchTemplate.account_id)
        .join(Image, Image.id == LaunchTemplate.image_id)
        .join(Flavor, Flavor.id == LaunchTemplate.flavor_id)
        .outerjoin(KeyPair, KeyPair.id == LaunchTemplate.key_pair_id)
    )
    return cast(Listing, statement)  # outer-joined: a template without a key has no key name


def _views(session: Session, rows: Sequence[Listed]) -> list[LaunchTemplateView]:
    """The rows' views, with their tags read in one more statement."""
    tags = resource_tags.of(session, [row[0].id for row in rows])
    return [
        LaunchTemplateView(
            id=template.id,
            ref=template.ref,
            account_id=template.account_id,
            account_name=account_name,
            name=template.name,
            description=template.description,
            image_id=template.image_id,
            image_name=image_name,
            flavor_id=template.flavor_id,
            flavor_name=flavor_name,
            key_name=key_name,
            user_data=template.user_data,
            network_id=template.network_id,
            start=template.start,
            tags=tags.get(template.id, {}),
            created_at=template.created_at,
            updated_at=template.updated_at,
        )
        for template, account_name, image_name, flavor_name, key_name in rows
    ]


def _view(session: Session, template: LaunchTemplate) -> LaunchTemplateView:
    session.flush()
    [view] = _views(
        session, session.execute(_listed().where(LaunchTemplate.id == template.id)).all()
    )
    return view


def _check_fields(
    name: str | None, description: str | None, user_data: bytes | None, tags: Mapping[str, str]
) -> None:
    """What can be refused before the database is read."""
    templates.check_fields(name, description, tags)
    if user_data is not None and len(user_data) > MAX_USER_DATA:
        raise InvalidArgument("user_data", f"at most {MAX_USER_DATA} bytes")


def _key_pair_id(session: Session, account_id: uuid.UUID, key_name: str | None) -> uuid.UUID | None:
    """The account's key pair by name: a template uses its owner's keys, as a launch does."""
    return None if key_name is None else find_key_pair(session, account_id, key_name).id


def _network_id(session: Session, caller: Caller, network: str | None) -> uuid.UUID | None:
    return None if network is None else find_network(session, caller, network).id


class LaunchTemplateService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_launch_template(
        self,
        caller: Caller,
        name: str,
        *,
        image: str,
        flavor: str,
        key_name: str | None = None,
        user_data: bytes = b"",
        network: str | None = None,
        start: bool = True,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> LaunchTemplateView:
        """A new template of the caller's account. ``network`` None launches on the zone's
        default network, as a launch without one does."""
        wanted = dict(tags or {})
        _check_fields(name, description, user_data, wanted)
        with self._db.transaction() as session:
            templates.check_free(session, LaunchTemplate, KIND, caller.account_id, name)
            template = LaunchTemplate(
                account_id=caller.account_id,
                name=name,
                description=description,
                image_id=find_image(session, caller, image).id,
                flavor_id=find_flavor(session, flavor).id,
                key_pair_id=_key_pair_id(session, caller.account_id, key_name),
                user_data=user_data,
                network_id=_network_id(session, caller, network),
                start=start,
            )
            session.add(template)
            session.flush()
            resource_tags.add(session, caller.account_id, KIND, template.id, wanted)
            return _view(session, template)

    def get_launch_template(self, caller: Caller, ref: str) -> LaunchTemplateView:
        """By UUID or ref, or by name among the caller's own."""
        with self._db.transaction() as session:
            return _view(session, templates.find(session, caller, LaunchTemplate, KIND, ref))

    def list_launch_templates(
        self, caller: Caller, query: LaunchTemplateQuery
    ) -> Page[LaunchTemplateView]:
        """The templates ``query`` selects, filtered and windowed in SQL: a count, one read of
        the page with the names it shows, and one of its tags."""
        statement = _listed().where(*_selected(query), *FIELDS.selecting(query.where))
        if not caller.is_admin:
            statement = statement.where(LaunchTemplate.account_id == caller.account_id)
        with self._db.transaction() as session:
            return paging.read_rows(
                session,
                FIELDS.ordered(statement, query),
                LaunchTemplate,
                query.window,
                lambda rows: _views(session, rows),
            )

    def update_launch_template(
        self,
        caller: Caller,
        ref: str,
        *,
        name: str | None = None,
        description: str | None = None,
        image: str | None = None,
        flavor: str | None = None,
        key_name: str | Unchanged | None = UNCHANGED,
        user_data: bytes | None = None,
        network: str | Unchanged | None = UNCHANGED,
        start: bool | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> LaunchTemplateView:
        """Changes what is given (None, or ``UNCHANGED`` where None is a value, leaves a field
        as it is); ``tags`` replace all of the template's tags. A key pair is its owner's."""
        _check_fields(name, description, user_data, tags or {})
        with self._db.transaction() as session:
            template = templates.find(session, caller, LaunchTemplate, KIND, ref)
            if name is not None and name != template.name:
                templates.check_free(session, LaunchTemplate, KIND, template.account_id, name)
                template.name = name
            if description is not None:
                template.description = description
            if image is not None:
                template.image_id = find_image(session, caller, image).id
            if flavor is not None:
                template.flavor_id = find_flavor(session, flavor).id
            if not isinstance(key_name, Unchanged):
                template.key_pair_id = _key_pair_id(session, template.account_id, key_name)
            if user_data is not None:
                template.user_data = user_data
            if not isinstance(network, Unchanged):
                template.network_id = _network_id(session, caller, network)
            if start is not None:
                template.start = start
            if tags is not None:
                templates.replace_tags(session, template, KIND, tags)
            template.updated_at = utcnow()  # tags too are the template's, though not its row's
            return _view(session, template)

    def delete_launch_template(self, caller: Caller, ref: str) -> None:
        """Removes the template and its tags; what was launched from it stays as it is."""
        with self._db.transaction() as session:
            template = templates.find(session, caller, LaunchTemplate, KIND, ref)
            resource_tags.remove_all(session, template.id)
            session.delete(template)


#: What ``LaunchTemplateQuery.where`` can name: the view's fields but its user data (bytes,
#: which no comparison is defined for). The key name is read by a subquery of its own, not
#: from the outer join, because the filter takes a NOT NULL column (``key_pairs.name``) at its
#: word and a template without a key has NULL there.
_OWN_KEY: Final = aliased(KeyPair)
FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(LaunchTemplate, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "name",
                "description",
                "image_id",
                "flavor_id",
                "network_id",
                "start",
                "created_at",
                "updated_at",
            )
        },
        "account_name": Account.name,
        "image_name": Image.name,
        "flavor_name": Flavor.name,
        "key_name": filtering.scalar(_OWN_KEY.name, _OWN_KEY.id == LaunchTemplate.key_pair_id),
    },
    filtering.Tagged(KIND, LaunchTemplate.id),
)


def _selected(query: LaunchTemplateQuery) -> list[ColumnElement[bool]]:
    where = resource_tags.selecting(LaunchTemplate.id, query)
    if query.ids:
        where.append(identity_clauses(LaunchTemplate, tuple(query.ids)))
    if query.names:
        where.append(LaunchTemplate.name.in_(query.names))
    if query.name_contains:
        where.append(contains_text(query.name_contains, LaunchTemplate.name))
    if query.images:
        where.append(LaunchTemplate.image_id.in_(query.images))
    if query.flavors:
        where.append(LaunchTemplate.flavor_id.in_(query.flavors))
    if query.accounts:
        where.append(LaunchTemplate.account_id.in_(query.accounts))
    return where
