"""A CloudStack API request's parameters, as CloudStack's dispatcher sees them (spec §1.1).

Names are case-insensitive, and ``name[i].field=value`` builds a list of maps, as in
``server/.../api/dispatch/ParamUnpackWorker.java``. The raw pairs are kept too, because the
signature covers the names exactly as the client wrote them.

Where ParamUnpackWorker is lax we are strict: it reads ``[0].key`` and ``tags]`` as plain names,
ignores text between ``]`` and ``.``, and accepts an empty field or a signed index. None of this is
sent by any client we know of, so such a name is a MalformedParameter (error 430) here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

# CloudStack parses the index with Integer.parseInt, so an index beyond a Java int is malformed.
_MAX_INDEX: Final = 2**31 - 1
# name, index in brackets, then the field; the field may itself contain dots (ParamUnpackWorker
# splits at the first dot after the bracket).
_MAP_NAME: Final = re.compile(r"(?P<map>[^\[\].]+)\[(?P<index>[0-9]{1,10})\]\.(?P<field>[^\[\]]+)")
# ApiServer.CONTROL_CHARACTERS, "[\000-\011\013-\014\016-\037\177]": TAB (\011) is refused,
# while LF and CR are allowed so that multi-line values (certificates, scripts) go through.
_CONTROL_CHARACTERS: Final = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
# Holds a JavaScript-like rule that CloudStack exempts from the control-character check.
_EXEMPT_FROM_CONTROL_CHECK: Final = "activationrule"


class MalformedParameter(Exception):
    """A parameter name with bracket syntax other than ``name[index].field``."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Unable to decode parameter {name}; if specifying an object array, please use "
            "parameter[index].field=XXX, e.g. userGroupList[0].group=httpGroup"
        )
        self.name = name


@dataclass(frozen=True, slots=True)
class Params:
    """One request's parameters; build it with :func:`parse`."""

    raw: tuple[tuple[str, str], ...]
    scalars: Mapping[str, str]
    maps: Mapping[str, tuple[Mapping[str, str], ...]]

    def get(self, name: str) -> str | None:
        return self.scalars.get(name.lower())

    def has(self, name: str) -> bool:
        """Whether the request carries ``name`` at all, as a plain value or as a map."""
        key = name.lower()
        return key in self.scalars or key in self.maps

    def entries(self, name: str) -> tuple[Mapping[str, str], ...]:
        return self.maps.get(name.lower(), ())


def parse(query: Sequence[tuple[str, str]], form: Sequence[tuple[str, str]]) -> Params:
    """Merge decoded query-string and form-body pairs, query string first, as the servlet does.

    When a (lowercased) name repeats, the first occurrence wins. CloudStack itself is not
    consistent here: on the servlet path ``utf8Fixup`` lets the last query-string value win, while
    the integration port keeps the first. We pick one rule and use it everywhere, including in
    ``signature``, so the value we act on is always the value whose signature we checked.
    """
    raw = (*query, *form)
    scalars: dict[str, str] = {}
    fields: dict[str, dict[int, dict[str, str]]] = {}
    for name, value in raw:
        if "[" not in name and "]" not in name:
            scalars.setdefault(name.lower(), value)
            continue
        match = _MAP_NAME.fullmatch(name)
        if match is None or int(match["index"]) > _MAX_INDEX:
            raise MalformedParameter(name)
        entry = fields.setdefault(match["map"].lower(), {}).setdefault(int(match["index"]), {})
        entry.setdefault(match["field"].lower(), value)
    maps = {
        name: tuple(MappingProxyType(by_index[i]) for i in sorted(by_index))
        for name, by_index in fields.items()
    }
    return Params(raw=raw, scalars=MappingProxyType(scalars), maps=MappingProxyType(maps))


def control_character_parameter(params: Params) -> str | None:
    """The first parameter whose value CloudStack would refuse with 431, as the client named it.

    CloudStack checks only the first value of each name; we check every value received, since a
    duplicate we ignore is still something the client meant to send.
    """
    for name, value in params.raw:
        if name.lower() != _EXEMPT_FROM_CONTROL_CHECK and _CONTROL_CHARACTERS.search(value):
            return name
    return None
