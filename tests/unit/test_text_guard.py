"""Core keeps only text XML 1.0 can carry (``core.text``): a caller's string with any other
character is refused and nothing is written, whichever service it came through; the cloud's
own text from outside (an error message) is kept with such characters replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.db.models import Event, SecurityGroup
from core.enums import EventLevel, EventState, EventType, ResourceKind
from core.errors import InvalidArgument
from core.services.container import Services
from core.views import Caller, SecurityGroupQuery, TagQuery

HOSTILE = ["a\x00b", "bell\x07", "form\x0cfeed", "\x1f", "\ufffe", "lone \ud800 surrogate"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_callers_name_or_description_is_refused(
    services: Services, alice: Caller, text: str
) -> None:
    groups = services.security_groups
    before = groups.list_groups(alice, SecurityGroupQuery()).total
    with pytest.raises(InvalidArgument, match=r"U\+|surrogate"):
        groups.create_group(alice, "web", description=text)
    with pytest.raises(InvalidArgument, match=r"U\+|surrogate"):
        groups.create_group(alice, text)
    assert groups.list_groups(alice, SecurityGroupQuery()).total == before


def test_tabs_and_newlines_are_text(services: Services, alice: Caller) -> None:
    made = services.security_groups.create_group(alice, "web", description="one\ttwo\r\nthree")
    assert made.description == "one\ttwo\r\nthree"


def test_a_tag_is_refused_whole(services: Services, alice: Caller) -> None:
    group = services.security_groups.create_group(alice, "web")
    with pytest.raises(InvalidArgument, match="U\\+0002"):
        services.tags.create_tags(
            alice, ResourceKind.SECURITY_GROUP, [group.ref], {"ok": "1", "bad": "v\x02"}
        )
    assert services.tags.list_tags(alice, TagQuery(resources=[group.ref])).total == 0


def test_a_row_kept_before_the_rule_still_changes(services: Services, alice: Caller) -> None:
    """Only what a change writes is checked: an old row holding such a character can still be
    tagged, and renamed to a clean name."""
    group = services.security_groups.create_group(alice, "old")
    with services.db.transaction() as session:
        session.execute(
            update(SecurityGroup).where(SecurityGroup.id == group.id).values(description="x\x01")
        )
    services.tags.create_tags(alice, ResourceKind.SECURITY_GROUP, [group.ref], {"k": "v"})


def test_the_clouds_own_text_is_cleaned_not_refused(services: Services, alice: Caller) -> None:
    with services.db.transaction() as session:
        session.add(
            Event(
                account_id=alice.account_id,
                type=EventType.VM_START,
                state=EventState.COMPLETED,
                level=EventLevel.ERROR,
                description="qemu said \x1b[31mno\x00",
            )
        )
    with services.db.transaction() as session:
        kept = session.scalars(select(Event.description).where(Event.level == EventLevel.ERROR))
        assert "qemu said \ufffd[31mno\ufffd" in list(kept)
