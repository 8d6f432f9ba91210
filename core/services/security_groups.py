"""Security groups: per-account sets of ingress and egress rules, enforced with libvirt nwfilter.

Rules are validated and normalized in ``core.network.rules``; storing them is synchronous, and
a job then (re)defines the group's filter on every host, where libvirt applies it to running
guests at once. A new group lets all traffic out and nothing in, as in EC2; each account's
``default`` group also lets in everything from its own members.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session, selectinload

from core import events, ids, paging, tags
from core.db.database import Database
from core.db.models import (
    Instance,
    InstanceSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
)
from core.enums import EventState, EventType, JobKind, ResourceKind
from core.errors import Conflict, InUse, InvalidArgument, InvalidState, NotFound
from core.jobs import queue
from core.network import rules as rule_rules
from core.network.filters import rule_spec, stored_ports
from core.network.rules import Direction, RuleSpec
from core.services import instance_reads
from core.services.lookup import contains_text, identity_clause, identity_clauses
from core.states import InstanceState
from core.views import (
    Accepted,
    Caller,
    Page,
    RuleRequest,
    RuleView,
    SecurityGroupQuery,
    SecurityGroupView,
)

DEFAULT_GROUP: Final = "default"
_JOBS: Final = {
    (Direction.INGRESS, True): (JobKind.AUTHORIZE_INGRESS, EventType.SG_AUTH_INGRESS),
    (Direction.INGRESS, False): (JobKind.REVOKE_INGRESS, EventType.SG_REVOKE_INGRESS),
    (Direction.EGRESS, True): (JobKind.AUTHORIZE_EGRESS, EventType.SG_AUTH_EGRESS),
    (Direction.EGRESS, False): (JobKind.REVOKE_EGRESS, EventType.SG_REVOKE_EGRESS),
}


def group_view(group: SecurityGroup, group_tags: Mapping[str, str]) -> SecurityGroupView:
    return SecurityGroupView(
        id=group.id,
        ref=group.ref,
        account_id=group.account_id,
        account_name=group.account.name,
        name=group.name,
        description=group.description,
        rules=[
            RuleView(
                id=rule.id,
                ref=rule.ref,
                direction=rule.direction,
                protocol=rule.protocol,
                from_port=stored_ports(rule)[0],
                to_port=stored_ports(rule)[1],
                cidr=rule.cidr,
                source_group_id=rule.source_group_id,
                source_group_name=rule.source_group.name if rule.source_group else None,
                source_group_ref=rule.source_group.ref if rule.source_group else None,
            )
            for rule in group.rules
        ],
        tags=dict(group_tags),
        created_at=group.created_at,
    )


def _new_rule(group: SecurityGroup, spec: RuleSpec) -> SecurityGroupRule:
    return SecurityGroupRule(
        group=group,
        direction=spec.direction.value,
        protocol=spec.protocol.value,
        from_port=spec.from_port,
        to_port=spec.to_port,
        cidr=spec.cidr,
        source_group_id=spec.source_group,
    )


def _create(session: Session, account_id: uuid.UUID, name: str, description: str) -> SecurityGroup:
    group = SecurityGroup(ref=ids.new_ref(), account_id=account_id, name=name)
    group.description = description
    session.add(group)
    session.flush()
    everywhere = rule_rules.normalize_rule(Direction.EGRESS, "all", None, None, "0.0.0.0/0", None)
    session.add(_new_rule(group, everywhere))
    return group


def default_group(session: Session, account_id: uuid.UUID) -> SecurityGroup:
    """The account's ``default`` group, made on first use: in from its members, out to all."""
    found = session.scalar(
        select(SecurityGroup).where(
            SecurityGroup.account_id == account_id, SecurityGroup.name == DEFAULT_GROUP
        )
    )
    if found is not None:
        return found
    group = _create(session, account_id, DEFAULT_GROUP, "default group")
    members = rule_rules.normalize_rule(Direction.INGRESS, "all", None, None, None, group.id)
    session.add(_new_rule(group, members))
    session.flush()
    return group


def _scoped(caller: Caller) -> Select[SecurityGroup]:
    """The caller's groups with the rules and source groups every view shows, each read
    once for all the groups a statement finds (a source group's owner is not shown)."""
    query = select(SecurityGroup).options(
        selectinload(SecurityGroup.rules)
        .selectinload(SecurityGroupRule.source_group)
        .lazyload(SecurityGroup.account)
    )
    return query if caller.is_admin else query.where(SecurityGroup.account_id == caller.account_id)


def find_group(session: Session, caller: Caller, text: str, *, lock: bool = False) -> SecurityGroup:
    """By UUID, ref, or name within the caller's account."""
    clause = identity_clause(SecurityGroup, text)
    statement = _scoped(caller).where(
        clause
        if clause is not None
        else (SecurityGroup.name == text) & (SecurityGroup.account_id == caller.account_id)
    )
    if lock:
        statement = statement.with_for_update(of=SecurityGroup)
    found = session.scalars(statement).first()
    if found is None:
        raise NotFound("security-group", text)
    return found


class SecurityGroupService:
    def __init__(self, db: Database, wake_workers: Callable[[], None]) -> None:
        self._db = db
        self._wake = wake_workers

    def create_group(
        self,
        caller: Caller,
        name: str,
        description: str = "",
        group_tags: Mapping[str, str] | None = None,
    ) -> SecurityGroupView:
        wanted = dict(group_tags or {})
        tags.validate(wanted)
        if not 1 <= len(name) <= 255:
            raise InvalidArgument("group_name", "1-255 characters")
        if len(description) > 255:
            raise InvalidArgument("group_description", "at most 255 characters")
        with self._db.transaction() as session:
            default_group(session, caller.account_id)
            taken = select(SecurityGroup.id).where(
                SecurityGroup.account_id == caller.account_id, SecurityGroup.name == name
            )
            if session.scalar(taken) is not None:
                raise Conflict("security-group", name, "this account has a group with that name")
            group = _create(session, caller.account_id, name, description)
            tags.add(session, caller.account_id, ResourceKind.SECURITY_GROUP, group.id, wanted)
            events.record(
                session,
                account_id=caller.account_id,
                user_id=caller.user_id,
                type=EventType.SG_CREATE,
                state=EventState.COMPLETED,
                description=f"security group {name} created",
                resource=(ResourceKind.SECURITY_GROUP, group.id),
            )
            session.flush()
            session.refresh(group)
            return group_view(group, wanted)

    def _specs(
        self, session: Session, caller: Caller, direction: Direction, wanted: Sequence[RuleRequest]
    ) -> list[RuleSpec]:
        if not wanted:
            raise InvalidArgument("rules", "at least one rule is required")
        specs = []
        for rule in wanted:
            source = (
                None
                if rule.source_group is None
                else find_group(session, caller, rule.source_group).id
            )
            specs.append(
                rule_rules.normalize_rule(
                    direction, rule.protocol, rule.from_port, rule.to_port, rule.cidr, source
                )
            )
        return specs

    def _apply(
        self,
        session: Session,
        caller: Caller,
        group: SecurityGroup,
        job: tuple[JobKind, EventType],
        description: str,
        params: Mapping[str, object] | None = None,
    ) -> Accepted[SecurityGroupView]:
        enqueued = queue.enqueue(
            session,
            caller,
            kind=job[0],
            resource=(ResourceKind.SECURITY_GROUP, group.id),
            account_id=group.account_id,
            event_type=job[1],
            description=description,
            params=params,
        )
        session.flush()
        session.refresh(group)
        found = tags.of(session, [group.id]).get(group.id, {})
        return Accepted(group_view(group, found), enqueued.id)

    def authorize(
        self, caller: Caller, ref: str, direction: Direction, wanted: Sequence[RuleRequest]
    ) -> Accepted[SecurityGroupView]:
        with self._db.transaction() as session:
            group = find_group(session, caller, ref, lock=True)
            specs = self._specs(session, caller, direction, wanted)
            existing = [rule_spec(r) for r in group.rules if r.direction == direction.value]
            rule_rules.check_new_rules(existing, specs, group_ref=group.ref)
            added = [_new_rule(group, spec) for spec in specs]
            session.add_all(added)
            session.flush()
            accepted = self._apply(
                session,
                caller,
                group,
                _JOBS[direction, True],
                f"security group {group.name}: allow "
                + "; ".join(rule_rules.describe(s) for s in specs),
                params={"added": [str(rule.id) for rule in added]},
            )
        self._wake()
        return accepted

    def revoke(
        self, caller: Caller, ref: str, direction: Direction, wanted: Sequence[RuleRequest]
    ) -> Accepted[SecurityGroupView]:
        with self._db.transaction() as session:
            group = find_group(session, caller, ref, lock=True)
            specs = self._specs(session, caller, direction, wanted)
            stored = {rule_spec(r): r for r in group.rules}
            for spec in specs:
                if spec not in stored:
                    raise NotFound("security-group-rule", rule_rules.describe(spec))
            for spec in specs:
                group.rules.remove(stored[spec])
            accepted = self._apply(
                session,
                caller,
                group,
                _JOBS[direction, False],
                f"security group {group.name}: revoke "
                + "; ".join(rule_rules.describe(s) for s in specs),
            )
        self._wake()
        return accepted

    def revoke_rule(self, caller: Caller, rule_ref: str) -> Accepted[SecurityGroupView]:
        """Revoke one rule by its id or ref, in whichever group of the caller holds it."""
        with self._db.transaction() as session:
            clause = identity_clause(SecurityGroupRule, rule_ref)
            found = (
                None if clause is None else session.scalar(select(SecurityGroupRule).where(clause))
            )
            if found is None or not (
                caller.is_admin or found.group.account_id == caller.account_id
            ):
                raise NotFound("security-group-rule", rule_ref)
            group = find_group(session, caller, str(found.group_id), lock=True)
            direction = Direction(found.direction)
            described = rule_rules.describe(rule_spec(found))
            group.rules.remove(found)
            accepted = self._apply(
                session,
                caller,
                group,
                _JOBS[direction, False],
                f"security group {group.name}: revoke {described}",
            )
        self._wake()
        return accepted

    def delete_group(self, caller: Caller, ref: str) -> Accepted[SecurityGroupView]:
        """Refused while an instance uses the group or another group's rule names it."""
        with self._db.transaction() as session:
            group = find_group(session, caller, ref, lock=True)
            if group.name == DEFAULT_GROUP:
                raise InvalidState("security-group", group.ref, "default", "delete")
            in_use = session.scalar(
                select(func.count())
                .select_from(InstanceSecurityGroup)
                .join(Instance, Instance.id == InstanceSecurityGroup.instance_id)
                .where(
                    InstanceSecurityGroup.group_id == group.id,
                    Instance.state != InstanceState.TERMINATED,
                )
            )
            if in_use:
                raise InUse("security-group", group.ref, "is used by instances")
            cited = session.scalar(
                select(func.count())
                .select_from(SecurityGroupRule)
                .where(
                    SecurityGroupRule.source_group_id == group.id,
                    SecurityGroupRule.group_id != group.id,
                )
            )
            if cited:
                raise InUse("security-group", group.ref, "is named by another group's rule")
            accepted = self._apply(
                session,
                caller,
                group,
                (JobKind.DELETE_SECURITY_GROUP, EventType.SG_DELETE),
                f"deleting security group {group.name}; its filters go from the hosts",
            )
            session.execute(
                delete(InstanceSecurityGroup).where(InstanceSecurityGroup.group_id == group.id)
            )
            tags.remove_all(session, group.id)
            session.delete(group)
        self._wake()
        return accepted

    def get_group(self, caller: Caller, ref: str) -> SecurityGroupView:
        with self._db.transaction() as session:
            default_group(session, caller.account_id)
            group = find_group(session, caller, ref)
            return group_view(group, tags.of(session, [group.id]).get(group.id, {}))

    def list_groups(self, caller: Caller, query: SecurityGroupQuery) -> Page[SecurityGroupView]:
        """The groups ``query`` selects, filtered and windowed in SQL; the caller's account
        gets its ``default`` group first, as on any other first use."""
        statement = _scoped(caller).where(*_selected(query))
        with self._db.transaction() as session:
            default_group(session, caller.account_id)
            if query.instance is not None:
                statement = statement.where(_of_instance(session, caller, query.instance))

            def views(shown: Sequence[SecurityGroup]) -> list[SecurityGroupView]:
                found = tags.of(session, [g.id for g in shown])
                return [group_view(g, found.get(g.id, {})) for g in shown]

            return paging.read_page(session, statement, SecurityGroup, query.window, views)


def _selected(query: SecurityGroupQuery) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``query`` but its instance."""
    where = tags.selecting(SecurityGroup.id, query)
    if query.ids:
        where.append(identity_clauses(SecurityGroup, tuple(query.ids)))
    if query.names:
        where.append(SecurityGroup.name.in_(query.names))
    if query.name_contains:
        where.append(contains_text(query.name_contains, SecurityGroup.name))
    if query.accounts:
        where.append(SecurityGroup.account_id.in_(query.accounts))
    return where


def _of_instance(session: Session, caller: Caller, ref: str) -> ColumnElement[bool]:
    """The groups of the instance ``ref`` names, which the caller must see."""
    instance = instance_reads.find(session, caller, ref)
    members = select(InstanceSecurityGroup.group_id).where(
        InstanceSecurityGroup.instance_id == instance.id
    )
    return SecurityGroup.id.in_(members)
