"""``os_tpl`` mixins from the images a caller may launch, ``resource_tpl`` mixins from the
flavors: one mixin each, its term made from the UUID (stable for as long as the image or flavor
exists, valid under GFD.185's and rOCCI's term grammars), its title the name users know.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from core import Services
from core.enums import ImageState
from core.views import Caller, FlavorView, ImageQuery, ImageView
from gateway.occi.categories import OS_TPL_SCHEME, RESOURCE_TPL_SCHEME, Category, Class
from gateway.occi.schema import COMPUTE, OS_TPL, PREFIX, RESOURCE_TPL

IMAGE_TERM: Final = "image-"
FLAVOR_TERM: Final = "flavor-"


def _template(scheme: str, family: Category, prefix: str, id_: uuid.UUID, title: str) -> Category:
    term = f"{prefix}{id_}"
    return Category(
        scheme,
        term,
        Class.MIXIN,
        title,
        related=(family.identifier,),
        applies=(COMPUTE.identifier,),
        location=f"{PREFIX}/mixin/{family.term}/{term}/",
    )


def os_tpl(image_id: uuid.UUID, name: str) -> Category:
    return _template(OS_TPL_SCHEME, OS_TPL, IMAGE_TERM, image_id, name)


def resource_tpl(flavor_id: uuid.UUID, name: str) -> Category:
    return _template(RESOURCE_TPL_SCHEME, RESOURCE_TPL, FLAVOR_TERM, flavor_id, name)


def id_of(term: str, prefix: str) -> uuid.UUID | None:
    """The UUID a template term names, None when the term is not one of ours."""
    if not term.startswith(prefix):
        return None
    try:
        return uuid.UUID(term.removeprefix(prefix))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Templates:
    images: tuple[ImageView, ...]
    flavors: tuple[FlavorView, ...]

    @classmethod
    def read(cls, services: Services, caller: Caller) -> Templates:
        images = services.images.list_images(caller, ImageQuery(states=(ImageState.AVAILABLE,)))
        return cls(tuple(images.items), tuple(services.catalog.list_flavors()))

    def mixins(self) -> list[Category]:
        return [os_tpl(i.id, i.name) for i in self.images] + [
            resource_tpl(f.id, f.name) for f in self.flavors
        ]
