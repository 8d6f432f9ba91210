"""The declarative base every table shares, and the column kinds that repeat.

Enums are stored by ``.value`` as plain strings (no native enum types), so the same migration
runs on SQLite and PostgreSQL and a new member never needs an ALTER TYPE. Timestamps are stored
as naive UTC and handed back timezone-aware, because SQLite keeps no offset.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Any, ClassVar, Final

from sqlalchemy import DateTime, Enum, MetaData, String, TypeDecorator, event, inspect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from core import ids, text
from core.errors import InvalidArgument

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC in Python, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


def _enum_values(cls: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in cls]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        enum.Enum: Enum(enum.Enum, native_enum=False, values_callable=_enum_values, length=32),
        dt.datetime: UTCDateTime(),
    }


#: A string column the cloud writes from outside text (a hypervisor's error message), whose
#: characters XML 1.0 cannot carry are replaced rather than refused (see ``core.text``).
MACHINE_WRITTEN: Final = {"machine_written": True}


def _check_text(_mapper: Mapper[Any], _connection: Connection, row: Base) -> None:
    """Every string a row is about to store, new or changed, holds only what XML 1.0 can
    carry: a caller's is refused (nothing is written), the cloud's own is cleaned."""
    state = inspect(row)
    for attribute in state.mapper.column_attrs:
        column = attribute.columns[0]
        value = state.dict.get(attribute.key)
        if not isinstance(column.type, String) or not isinstance(value, str):
            continue
        if state.persistent and not state.attrs[attribute.key].history.has_changes():
            continue
        bad = text.unsafe_character(value)
        if bad is None:
            continue
        if column.info.get("machine_written"):
            setattr(row, attribute.key, text.xml_safe(value))
        else:
            raise InvalidArgument(attribute.key, f"holds {bad}, a character XML 1.0 cannot carry")


event.listen(Base, "before_insert", _check_text, propagate=True)
event.listen(Base, "before_update", _check_text, propagate=True)


ref_column = Annotated[str, mapped_column(String(ids.REF_LENGTH), unique=True, default=ids.new_ref)]
created_column = Annotated[dt.datetime, mapped_column(default=utcnow, index=True)]
name_column = Annotated[str, mapped_column(String(255))]


class Model(Base):
    """A resource: a UUID primary key and the random 17-hex ref that EC2 renders."""

    __abstract__ = True

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ids.new_uuid)
    ref: Mapped[ref_column]
    created_at: Mapped[created_column]
