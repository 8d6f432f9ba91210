"""``replace_tags``: a resource's whole set of tags replaced at once (CIMI's PUT of
``properties``), all or nothing."""

from __future__ import annotations

import pytest

from core import tags
from core.enums import ResourceKind
from core.errors import InvalidArgument, NotFound, QuotaExceeded
from core.services.container import Services
from core.views import Caller, TagQuery


def tags_of(services: Services, caller: Caller, ref: str) -> dict[str, str]:
    page = services.tags.list_tags(caller, TagQuery(resources=[ref]))
    return {t.key: t.value for t in page.items}


def test_the_tags_named_are_all_that_remain(services: Services, alice: Caller) -> None:
    group = services.security_groups.create_group(alice, "g", group_tags={"a": "1", "b": "2"})
    services.tags.replace_tags(alice, ResourceKind.SECURITY_GROUP, group.ref, {"b": "3", "c": ""})
    assert tags_of(services, alice, group.ref) == {"b": "3", "c": ""}
    services.tags.replace_tags(alice, ResourceKind.SECURITY_GROUP, group.ref, {})
    assert tags_of(services, alice, group.ref) == {}


@pytest.mark.parametrize(
    ("wanted", "error"),
    [
        pytest.param({"aws:name": "x", "ok": "1"}, InvalidArgument, id="reserved-prefix"),
        pytest.param(
            {f"k{n}": "v" for n in range(tags.MAX_TAGS + 1)}, QuotaExceeded, id="too-many"
        ),
    ],
)
def test_a_refused_set_changes_nothing(
    services: Services, alice: Caller, wanted: dict[str, str], error: type[Exception]
) -> None:
    group = services.security_groups.create_group(alice, "g", group_tags={"a": "1"})
    with pytest.raises(error):
        services.tags.replace_tags(alice, ResourceKind.SECURITY_GROUP, group.ref, wanted)
    assert tags_of(services, alice, group.ref) == {"a": "1"}


def test_another_accounts_resource_is_not_found(
    services: Services, alice: Caller, admin: Caller
) -> None:
    group = services.security_groups.create_group(admin, "g", group_tags={"a": "1"})
    with pytest.raises(NotFound):
        services.tags.replace_tags(alice, ResourceKind.SECURITY_GROUP, group.ref, {"b": "2"})
    assert tags_of(services, admin, group.ref) == {"a": "1"}
