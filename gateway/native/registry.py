"""Commands as data: each declares its parameters once, and that one declaration drives
validation, typed access in the handler and the ``listApis`` metadata CloudMonkey caches.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from core import Services
from core.errors import NotFound
from core.views import Caller
from gateway.native.params import Params

DEFAULT_PAGE_SIZE: Final = 500  # CloudStack's default.page.size


class NativeError(Exception):
    """An error in CloudStack's envelope; ``errorcode`` is also the HTTP status."""

    def __init__(self, errorcode: int, cserrorcode: int, text: str) -> None:
        super().__init__(text)
        self.errorcode = errorcode
        self.cserrorcode = cserrorcode
        self.text = text


def param_error(text: str) -> NativeError:
    return NativeError(431, 4350, text)


class ParamType(enum.Enum):
    """CloudStack's parameter types, as listApis reports them."""

    STRING = "string"
    UUID = "uuid"
    INTEGER = "integer"
    LONG = "long"
    SHORT = "short"
    BOOLEAN = "boolean"
    DATE = "date"
    LIST = "list"
    MAP = "map"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: ParamType
    description: str
    required: bool = False
    related: str = ""
    length: int = 255


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows of a listing to return: CloudStack's page/pagesize, checked."""

    offset: int
    limit: int | None

    def slice(self, items: Sequence[Any]) -> Sequence[Any]:
        end = None if self.limit is None else self.offset + self.limit
        return items[self.offset : end]


@dataclass(frozen=True, slots=True)
class Listing:
    """A list reply: ``count`` is the total match, ``items`` only the requested page."""

    key: str
    items: Sequence[Mapping[str, Any]]
    total: int


@dataclass(frozen=True, slots=True)
class Single:
    """One object under its name, e.g. ``{"securitygroup": {...}}``."""

    key: str
    item: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Submitted:
    """An async command's reply: the job, and the new resource's id for create commands."""

    job_id: uuid.UUID
    resource_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Done:
    """A sync command that only succeeds: ``{"success": "true"}``."""

    text: str | None = None


@dataclass(frozen=True, slots=True)
class Raw:
    """A reply whose fields sit directly under the response name (login, getUser …)."""

    fields: Mapping[str, Any]


Reply = Listing | Single | Submitted | Done | Raw


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError("not a boolean")
    return lowered == "true"


def _date(text: str) -> dt.datetime:
    """``yyyy-MM-dd`` or ``yyyy-MM-dd HH:mm:ss`` (listEvents), read as UTC."""
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def _number(text: str, bits: int) -> int:
    value = int(text)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError("out of range")
    return value


_CONVERTERS: Final[Mapping[ParamType, Callable[[str], Any]]] = {
    ParamType.STRING: str,
    ParamType.UUID: uuid.UUID,
    ParamType.INTEGER: lambda text: _number(text, 32),
    ParamType.LONG: lambda text: _number(text, 64),
    ParamType.SHORT: lambda text: _number(text, 16),
    ParamType.BOOLEAN: _boolean,
    ParamType.DATE: _date,
    ParamType.LIST: lambda text: tuple(part.strip() for part in text.split(",") if part.strip()),
}


@dataclass(frozen=True, slots=True)
class Args:
    """A command's parameters after validation, by lowercase name and already typed."""

    values: Mapping[str, Any]
    entries: Mapping[str, tuple[Mapping[str, str], ...]]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def has(self, name: str) -> bool:
        return name in self.values or name in self.entries

    def map(self, name: str) -> tuple[Mapping[str, str], ...]:
        return self.entries.get(name, ())

    def tags(self) -> dict[str, tuple[str, ...]]:
        """``tags[i].key`` / ``tags[i].value`` as a filter: key → accepted values (any if ())."""
        wanted: dict[str, list[str]] = {}
        for entry in self.map("tags"):
            if "key" not in entry:
                raise param_error("tags: every entry needs a key")
            values = wanted.setdefault(entry["key"], [])
            if "value" in entry:
                values.append(entry["value"])
        return {key: tuple(values) for key, values in wanted.items()}


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler gets: the core, who asks, and the checked arguments."""

    services: Services
    caller: Caller
    command: Command
    args: Args
    window: Window

    def page(self, key: str, items: Sequence[Mapping[str, Any]]) -> Listing:
        return Listing(key, self.window.slice(items), len(items))

    def require_zone(self, zone_id: uuid.UUID) -> None:
        """A ``zoneid`` the caller sent must name a zone of this cloud (core decides which)."""
        try:
            self.services.catalog.get_zone(str(zone_id))
        except NotFound:
            raise param_error(f"Unable to find zone by id={zone_id}") from None

    @property
    def scope(self) -> Caller:
        """Whose resources a list call shows. As in CloudStack, an admin sees only its own
        account's unless it asks for ``listall`` or names an ``account``."""
        named = self.args.get("account")
        if not self.caller.is_admin:
            return self.caller
        if named:
            try:
                owner = self.services.identity.caller_for(named)
            except NotFound:
                raise param_error(f"Unable to find account by name {named}") from None
            return Caller(owner.account_id, owner.user_id, False)
        if self.args.get("listall"):
            return self.caller
        return Caller(self.caller.account_id, self.caller.user_id, False)


Handler = Callable[[Call], Reply]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str
    handler: Handler
    params: tuple[Param, ...]
    is_async: bool = False
    admin_only: bool = False
    response_key: str = ""  # the object it returns, for listApis
    is_list: bool = False
    envelope: str = ""  # CloudStack's response name where it is not <command>response

    @property
    def response_name(self) -> str:
        return self.envelope or f"{self.name.lower()}response"

    def check(self, params: Params) -> Args:
        """Convert every declared parameter; unknown ones are ignored as CloudStack does."""
        values: dict[str, Any] = {}
        entries: dict[str, tuple[Mapping[str, str], ...]] = {}
        for param in self.params:
            key = param.name.lower()
            if param.type is ParamType.MAP:
                if found := params.entries(key):
                    entries[key] = found
                elif param.required:
                    raise self._missing(param)
                continue
            text = params.get(key)
            if text is None or (text == "" and param.type is not ParamType.STRING):
                if param.required:
                    raise self._missing(param)
                continue
            try:
                values[key] = _CONVERTERS[param.type](text)
            except ValueError:
                raise param_error(
                    f"Unable to execute API command {self.name.lower()} due to invalid value. "
                    f"Invalid parameter {key} value={text} due to incorrect "
                    f"{param.type.value} value format"
                ) from None
        return Args(values, entries)

    def _missing(self, param: Param) -> NativeError:
        return param_error(
            f"Unable to execute API command {self.name.lower()} due to missing parameter "
            f"{param.name.lower()}"
        )


@dataclass
class CommandSet:
    """The commands of one module, registered with the ``command`` decorator."""

    commands: list[Command] = field(default_factory=list)

    def command(
        self,
        name: str,
        description: str,
        params: Iterable[Param] = (),
        *,
        is_async: bool = False,
        admin_only: bool = False,
        response_key: str = "",
        is_list: bool = False,
        envelope: str = "",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands.append(
                Command(
                    name,
                    description,
                    handler,
                    tuple(params),
                    is_async=is_async,
                    admin_only=admin_only,
                    response_key=response_key,
                    is_list=is_list or name.startswith("list"),
                    envelope=envelope,
                )
            )
            return handler

        return register

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)


# Parameters that every list command shares (BaseListCmd, BaseListAccountResourcesCmd).
LIST_PARAMS: Final = (
    Param("keyword", ParamType.STRING, "List by keyword"),
    Param("page", ParamType.INTEGER, "The page number, from 1"),
    Param("pagesize", ParamType.INTEGER, "Rows per page; -1 for all"),
)
ACCOUNT_LIST_PARAMS: Final = (
    *LIST_PARAMS,
    Param("listall", ParamType.BOOLEAN, "All resources the caller may see, not only its own"),
    Param("account", ParamType.STRING, "List resources of this account (admins)"),
    Param("domainid", ParamType.UUID, "List resources of this domain", related="listDomains"),
    Param("isrecursive", ParamType.BOOLEAN, "Include subdomains"),
    Param("projectid", ParamType.UUID, "List resources of this project"),
)
TAGS_PARAM: Final = Param("tags", ParamType.MAP, "List resources by tags (key/value pairs)")
