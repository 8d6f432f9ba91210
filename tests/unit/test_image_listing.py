"""Image listings: owners, text, tags and windows selected in SQL, with a fixed number of
statements whatever the number of images (tags and source instances read once per page)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.db.models import Image
from core.enums import ImageScope, ImageState, ResourceKind
from core.services.compute import LaunchRequest
from core.services.container import Services
from core.views import Caller, ImageQuery, ImageView
from tests.unit.helpers import counted


def copies(
    services: Services,
    owner: Caller,
    template: ImageView,
    count: int,
    source: uuid.UUID | None = None,
) -> list[str]:
    """``count`` more images of ``owner`` like ``template`` (its file, other names), tagged,
    every other one captured from ``source`` (or from an instance since gone): rows a listing
    must read related data for."""
    with services.db.transaction() as session:
        rows = [
            Image(
                account_id=owner.account_id,
                name=f"{template.name}-copy-{uuid.uuid4().hex[:12]}",
                description="a copy",
                disk_format=template.disk_format,
                path=str(services.settings.data_dir / "images" / "shared.qcow2"),
                virtual_size=template.virtual_size,
                checksum=template.checksum,
                source_instance_id=(source or uuid.uuid4()) if index % 2 else None,
            )
            for index in range(count)
        ]
        session.add_all(rows)
        session.flush()
        refs = [row.ref for row in rows]
    services.tags.create_tags(owner, ResourceKind.IMAGE, refs, {"role": "copy"})
    return refs


def statements(services: Services, caller: Caller, query: ImageQuery) -> int:
    with counted(services) as seen:
        page = services.images.list_images(caller, query)
    assert page.items and all(i.tags for i in page.items if i.description == "a copy")
    return len(seen)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(ImageQuery(), id="all"),
        pytest.param(ImageQuery(limit=5), id="first-page-of-5"),
        pytest.param(ImageQuery(tags={"role": ["copy"]}, owners=[ImageScope.OWN]), id="filtered"),
    ],
)
def test_statements_do_not_grow_with_the_images(
    services: Services, admin: Caller, alice: Caller, image: ImageView, query: ImageQuery
) -> None:
    copies(services, alice, image, 10)
    at_10 = statements(services, alice, query)
    copies(services, alice, image, 190)
    at_200 = statements(services, alice, query)
    assert at_200 == at_10 <= 8


def test_query_fields_select_in_sql(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    mine = copies(services, alice, image, 3)
    services.images.update_image(admin, mine[2], public=True)
    services.images.update_image(admin, mine[1], description="The WEB front")

    def refs(caller: Caller = alice, **fields: Any) -> list[str]:
        return [i.ref for i in services.images.list_images(caller, ImageQuery(**fields)).items]

    assert refs() == [image.ref, *mine]
    assert refs(owners=[ImageScope.OWN]) == mine
    assert refs(owners=[ImageScope.SHARED]) == [image.ref]
    assert refs(owners=[ImageScope.PUBLIC]) == [image.ref, mine[2]]
    assert refs(owners=[admin.account_id]) == [image.ref]
    assert refs(owners=[ImageScope.OWN], launchable=[ImageScope.PUBLIC]) == [mine[2]]
    assert refs(public=False) == mine[:2]
    assert refs(text_contains="web fr") == [mine[1]]
    assert refs(names=[image.name]) == [image.ref]
    assert refs(ids=[mine[0], str(image.id)]) == [image.ref, mine[0]]
    assert refs(tag_keys=["role"], tag_values=["copy"]) == mine
    assert refs(states=[ImageState.DEREGISTERED]) == []
    services.images.deregister(alice, mine[0])
    assert refs(states=[ImageState.DEREGISTERED]) == []  # never listed, whatever is asked
    assert refs(admin, owners=[ImageScope.OWN]) == [image.ref]


def test_source_instance_and_tags_show_only_to_who_may_see_them(
    services: Services, admin: Caller, alice: Caller, image: ImageView
) -> None:
    [instance] = services.compute.launch(
        alice, LaunchRequest(image=image.ref, flavor="t1.micro")
    ).instances
    [_, captured] = copies(services, alice, image, 2, source=instance.id)
    services.images.update_image(admin, captured, public=True)
    services.identity.create_account("bob")
    bob = services.identity.caller_for("bob")
    assert services.images.get_image(alice, captured).source_instance_ref == instance.ref
    assert services.images.get_image(admin, captured).source_instance_ref == instance.ref
    assert services.images.get_image(bob, captured).source_instance_ref is None
    assert services.images.get_image(bob, captured).tags == {}  # tags stay their account's
    assert services.images.get_image(alice, captured).tags == {"role": "copy"}
    [gone] = copies(services, alice, image, 2)[1:]
    assert services.images.get_image(alice, gone).source_instance_ref is None


def test_pages_walk_every_image_once(services: Services, alice: Caller, image: ImageView) -> None:
    made = copies(services, alice, image, 12)
    seen: list[str] = []
    cursor = None
    while True:
        page = services.images.list_images(
            alice, ImageQuery(owners=[ImageScope.OWN], limit=5, after=cursor)
        )
        assert page.total == 12
        seen.extend(i.ref for i in page.items)
        if (cursor := page.next_cursor) is None:
            break
    assert seen == made
