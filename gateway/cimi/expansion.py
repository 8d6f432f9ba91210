"""``$expand`` of references (DSP0263 §4.1.6.3): each named reference (or every one, for ``*``)
that points into one of ``readers``' collections is replaced by that resource, read with one
query per kind for all the documents at one depth. ``a/b`` goes on inside what took ``a``'s place:
the resource, or each member of an inlined collection, so a Machine's ``volumes/volume`` inlines
its MachineVolumes and the Volume each one attaches. A reference in an array (a Job's
``affectedResources``) is expanded like a lone one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

from gateway.cimi import representation
from gateway.cimi.context import Context
from gateway.cimi.paths import NotOurs
from gateway.cimi.query import Expansion
from gateway.cimi.readers import READERS

Document = dict[str, Any]
Slot = tuple[MutableMapping[str, Any] | MutableSequence[Any], Any]  # a container and a key in it


def _target(ctx: Context, value: object) -> tuple[str, uuid.UUID] | None:
    """The reader and id a reference names, when it is one ``readers`` can read: ``key/<id>``,
    or ``parent/<id>/part`` for reader ``parent/part``."""
    if not isinstance(value, Mapping) or set(value) != {"href"}:
        return None
    href = str(value["href"])
    for key in READERS:
        parent, _, part = key.partition("/")
        if part and not href.endswith(f"/{part}"):
            continue
        try:
            return key, ctx.urls.id_in(href.removesuffix(f"/{part}") if part else href, parent)
        except NotOurs:
            continue
    return None


def _slots(document: Document, name: str) -> list[Slot]:
    """Where a reference or an inlined resource sits under ``name``: the attribute itself, each
    element of an array of them, or each member of an inlined collection. Arrays and collections
    are copied first: the caller's documents stay as they were."""
    value = document.get(name)
    if isinstance(value, list):
        document[name] = elements = list(value)
        return [(elements, i) for i in range(len(elements))]
    if not isinstance(value, Mapping):
        return []
    key = representation.members_key(value)
    if key is None:
        return [(document, name)]
    document[name] = collection = dict(value)
    collection[key] = members = list(value.get(key, []))
    return [(members, i) for i in range(len(members))]


def expand(ctx: Context, documents: Sequence[Document], wanted: Expansion) -> list[Document]:
    """``documents`` with the references ``wanted`` picks replaced by what they name."""
    copies = [dict(d) for d in documents]
    if not wanted:
        return copies
    holders: dict[str, list[Document]] = {}
    for document in copies:
        for name in document:
            if wanted.wants(name):
                holders.setdefault(name, []).append(document)
    refs: dict[str, set[uuid.UUID]] = {}
    for name, documents_with_it in holders.items():
        for container, key in (s for d in documents_with_it for s in _slots(d, name)):
            target = _target(ctx, container[key])
            if target is not None:
                refs.setdefault(target[0], set()).add(target[1])
    found: dict[str, Document] = {}
    for reader, ids in refs.items():
        found |= {d["id"]: d for d in READERS[reader](ctx, [str(i) for i in ids])}
    for name, documents_with_it in holders.items():
        for container, key in (s for d in documents_with_it for s in _slots(d, name)):
            if _target(ctx, container[key]) is not None:
                container[key] = found.get(container[key]["href"], container[key])
        # again: a collection put in a reference's place is entered, its members expanded
        inner = [
            (container, key)
            for container, key in (s for d in documents_with_it for s in _slots(d, name))
            if "resourceURI" in container[key]
        ]
        deeper = expand(ctx, [c[k] for c, k in inner], wanted.inside(name))
        for (container, key), document in zip(inner, deeper, strict=True):
            container[key] = document
    return copies
