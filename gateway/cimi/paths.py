"""Where each CIMI resource lives: one collection per CloudEntryPoint key, resources by UUID
below it, a Machine's volumes and interfaces below the Machine.

Every ``id`` and ``href`` is absolute and starts with the CloudEntryPoint's ``baseURI`` (the
Sirocco SDK derives request paths by stripping that prefix); the base comes from the request, so
the gateway can sit behind any host name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

PREFIX: Final = "/cimi"
NAMESPACE: Final = "http://schemas.dmtf.org/cimi/1"

# CloudEntryPoint key → the type of its members, in the XSD's order of the CEP's children
COLLECTIONS: Final = {
    "machines": "Machine",
    "machineTemplates": "MachineTemplate",
    "machineConfigs": "MachineConfiguration",
    "machineImages": "MachineImage",
    "credentials": "Credential",
    "volumes": "Volume",
    "volumeConfigs": "VolumeConfiguration",
    "volumeImages": "VolumeImage",
    "networks": "Network",
    "jobs": "Job",
}


def type_uri(name: str) -> str:
    return f"{NAMESPACE}/{name}"


class NotOurs(ValueError):
    """An href that names no resource of the expected collection here."""


@dataclass(frozen=True, slots=True)
class Urls:
    base: str  # e.g. "http://127.0.0.1:8080/cimi/": ends with "/"

    def at(self, path: str) -> str:
        """The absolute URI of a request path (``/cimi/machines/<id>/volumes``)."""
        return f"{self.base.removesuffix(PREFIX + '/')}{path}"

    def collection(self, key: str) -> str:
        return f"{self.base}{key}"

    def of(self, key: str, id_: uuid.UUID | str) -> str:
        return f"{self.base}{key}/{id_}"

    def below(self, key: str, id_: uuid.UUID | str, sub: str, sub_id: object = None) -> str:
        tail = f"/{sub_id}" if sub_id is not None else ""
        return f"{self.base}{key}/{id_}/{sub}{tail}"

    def id_in(self, href: str, key: str) -> uuid.UUID:
        """The UUID an href of collection ``key`` names, whether absolute or relative to the
        base (``machineConfigs/<uuid>``)."""
        for prefix in (self.of(key, ""), f"{key}/", f"{PREFIX}/{key}/"):
            if href.startswith(prefix):
                try:
                    return uuid.UUID(href.removeprefix(prefix).strip("/"))
                except ValueError:
                    break
        raise NotOurs(f"{href!r} is not a {COLLECTIONS.get(key, key)} of this cloud")
