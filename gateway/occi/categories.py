"""OCCI's type system: Kinds, Mixins and Actions, and the attributes they define.

One ``Category`` type serves all three classes, because every rendering (the query interface's
Category lines, GFD.225's JSON, the Category filter) treats them alike and differs only in the
few fields each class uses: ``related`` is a Kind's parent or a Mixin's dependencies, ``applies``
names the Kinds a Mixin applies to, and an Action has no location.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

Value = str | int | float | bool


class Class(enum.StrEnum):
    KIND = "kind"
    MIXIN = "mixin"
    ACTION = "action"


class Type(enum.StrEnum):
    """GFD.225's attribute types; the text rendering has no types, only value syntax."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    type: Type = Type.STRING
    mutable: bool = True
    required: bool = False
    description: str = ""

    @property
    def text(self) -> str:
        """The 1.1 attribute-def: the name with its ``{immutable required}`` properties."""
        flags = [
            p for p, on in (("immutable", not self.mutable), ("required", self.required)) if on
        ]
        return f"{self.name}{{{' '.join(flags)}}}" if flags else self.name


@dataclass(frozen=True, slots=True)
class Category:
    scheme: str  # ends with "#"
    term: str
    cls: Class
    title: str = ""
    related: tuple[str, ...] = ()  # a Kind's parent, a Mixin's dependencies (identifiers)
    applies: tuple[str, ...] = ()  # a Mixin's Kinds (identifiers)
    attributes: tuple[Attribute, ...] = ()
    actions: tuple[str, ...] = ()  # identifiers of the Actions it offers
    location: str | None = None  # absolute path ending in "/"

    @property
    def identifier(self) -> str:
        return f"{self.scheme}{self.term}"


CORE: Final = "http://schemas.ogf.org/occi/core#"
INFRA: Final = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE_ACTION: Final = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
STORAGE_ACTION: Final = "http://schemas.ogf.org/occi/infrastructure/storage/action#"
NETWORK_ACTION: Final = "http://schemas.ogf.org/occi/infrastructure/network/action#"
IPNETWORK: Final = "http://schemas.ogf.org/occi/infrastructure/network#"
IPNETWORKINTERFACE: Final = "http://schemas.ogf.org/occi/infrastructure/networkinterface#"
# OCCI 1.2's contextualization (GFD.224 §3.5) and the OpenStack-named mixins of occi-os, which
# rOCCI-cli's --context sends; both land on the same config drive.
CREDENTIALS: Final = "http://schemas.ogf.org/occi/infrastructure/credentials#"
COMPUTE_MIXINS: Final = "http://schemas.ogf.org/occi/infrastructure/compute#"
OPENSTACK_CREDENTIALS: Final = "http://schemas.openstack.org/instance/credentials#"
OPENSTACK_INSTANCE: Final = "http://schemas.openstack.org/compute/instance#"
# Our own templates: a scheme under a reserved name (RFC 2606 ".invalid"), so it can never be
# mistaken for a site of ours or anyone's; the terms come from image and flavor UUIDs.
OS_TPL_SCHEME: Final = "http://schemas.cloudgate.invalid/occi/os_tpl#"
RESOURCE_TPL_SCHEME: Final = "http://schemas.cloudgate.invalid/occi/resource_tpl#"
