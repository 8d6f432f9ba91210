"""CIMI 1.x documents in both media types, written and read through the tables of
:mod:`gateway.cimi.schema`, so JSON and XML cannot drift apart.

A document is a mapping in JSON's shape that names its type by ``resourceURI``::

    {"resourceURI": "http://schemas.dmtf.org/cimi/1/Machine", "id": ..., "cpu": 2,
     "volumes": {"href": ...}, "properties": {"k": "v"},
     "operations": [{"rel": "edit", "href": ...}]}

A ref is ``{"href": ...}``; an expanded ref is the referenced document itself (its ``id`` is
the href). Empty values (None, "", [], {}) are left out, as the spec asks. ``to_xml`` writes
the XSD's element order, ``resourceURI`` only on a ``<Collection>``, hrefs as attributes,
byte[] as xs:hexBinary (base64 in JSON), dates with their offset.

``parse`` reads a request body of either media type into one plain dict shape (JSON's, with
typed values: int, bool, datetime, bytes; refs as {"href": ...}; an empty XML element or a JSON
null as None, which erases a referenced template's value). Anything it cannot read is a
:class:`RepresentationError`, which the server answers with 400.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence, Sized
from typing import Any, Final, Literal, TypeVar, cast

from lxml import etree

from core.text import xml_safe
from gateway.cimi.schema import (
    COLLECTION_SUFFIX,
    NAMESPACE,
    TYPES,
    Field,
    Kind,
    Type,
    collection_of,
    type_named,
    type_of_uri,
)

Document = Mapping[str, Any]
T = TypeVar("T")

_INTEGER: Final = re.compile(r"\s*[+-]?[0-9]+\s*")
_HEX: Final = re.compile(r"(?:[0-9a-fA-F]{2})*")
_BOOLEANS: Final = {"true": True, "1": True, "false": False, "0": False}


class RepresentationError(ValueError):
    """A request body that is not a readable CIMI document of the expected type."""


def collection(
    type_: str,
    id_: str,
    items: Sequence[Document],
    count: int | None = None,
    operations: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The 1.x Collection of ``type_`` members. ``count`` is the number of matches before
    $first/$last cut the page (``len(items)`` when not given)."""
    item = type_named(type_)
    if item.items is None:
        raise KeyError(f"CIMI type {type_!r} has no collection")
    return {
        "resourceURI": f"{item.uri}{COLLECTION_SUFFIX}",
        "id": id_,
        "count": len(items) if count is None else count,
        item.items: list(items),
        "operations": list(operations),
    }


def members_key(document: Mapping[str, Any]) -> str | None:
    """The key of a collection document's member array; None for any other document."""
    uri = str(document.get("resourceURI", ""))
    if not uri.endswith(COLLECTION_SUFFIX):
        return None
    return type_of_uri(uri.removesuffix(COLLECTION_SUFFIX)).items


def to_json(document: Document) -> dict[str, Any]:
    """The JSON object of ``document``, ready for ``json.dumps``."""
    return _json_fields(document, type_of_uri(document["resourceURI"]))


def to_xml(document: Document) -> bytes:
    """The XML of ``document``, in the XSD's order, with an XML declaration."""
    type_ = type_of_uri(document["resourceURI"])
    if type_.is_collection:
        root = etree.Element(
            _qualified("Collection"), resourceURI=document["resourceURI"], nsmap=_DEFAULT
        )
    else:
        root = etree.Element(_qualified(type_.name), nsmap=_DEFAULT)
    _xml_fields(root, document, type_)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def parse(body: bytes, media: Literal["json", "xml"], type_: str) -> dict[str, Any]:
    """The document of type ``type_`` (e.g. "MachineCreate", "Action") in ``body``."""
    schema = type_named(type_)
    if media == "json":
        return _parse_json(body, schema)
    return _parse_xml(body, schema)


# Writing


# CIMI's namespace as the default, <Machine xmlns="…">: lxml takes None as the default prefix,
# which its type stubs do not know
_DEFAULT: Final = cast("dict[str, str]", {None: NAMESPACE})


def _qualified(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, Sized) and len(value) == 0)


def _check_keys(document: Document, type_: Type, extra: frozenset[str]) -> None:
    unknown = set(document) - {field.name for field in type_.fields} - extra
    if unknown:
        raise ValueError(f"CIMI {type_.name} has no attribute {', '.join(sorted(unknown))}")


def _nested_type(value: Document, field: Field) -> Type:
    """The type of a document held by a ref or struct: its own resourceURI says, else the
    field's target; an expRef (any target) must name its type."""
    if field.kind is Kind.COLLECTION:
        item = type_of_uri(value["resourceURI"]) if "resourceURI" in value else None
        return collection_of(
            type_named(item.name.removesuffix(COLLECTION_SUFFIX) if item else str(field.target)),
            in_ref=True,
        )
    if "resourceURI" in value:
        return type_of_uri(value["resourceURI"])
    if field.target is None:
        raise ValueError(f"an expanded {field.name} must carry its resourceURI")
    return type_named(field.target)


def _json_fields(document: Document, type_: Type) -> dict[str, Any]:
    _check_keys(document, type_, frozenset({"resourceURI", "href"}))
    out: dict[str, Any] = {}
    if "resourceURI" in document:
        out["resourceURI"] = document["resourceURI"]
    for field in type_.fields:
        value: Any = document.get(field.name)
        if _is_empty(value):
            continue
        if field.many:
            out[field.name] = [_json_value(field, one) for one in value]
        else:
            out[field.name] = _json_value(field, value)
    return out


def _json_value(field: Field, value: Any) -> Any:
    match field.kind:
        case Kind.REF | Kind.COLLECTION:
            return _json_ref(field, value)
        case Kind.STRUCT:
            return _json_fields(value, type_named(str(field.target)))
        case Kind.PROPERTIES | Kind.ANY:
            return dict(value)
        case Kind.OPERATIONS:
            return [{"rel": op["rel"], "href": op["href"]} for op in value]
        case Kind.BYTES:
            return base64.b64encode(_bytes(value)).decode("ascii")
        case Kind.DATETIME:
            return _datetime_text(value)
        case _:
            return _checked_scalar(field, value)


def _json_ref(field: Field, value: Document) -> dict[str, Any]:
    href = value.get("href") or value.get("id")
    if set(value) <= {"href"}:
        return {"href": href}
    nested = _nested_type(value, field)
    rendered = _json_fields(_without_absent(value, nested), nested)
    return {"href": href, **rendered} if href else rendered


def _without_absent(value: Document, type_: Type) -> Document:
    """An expanded Job collection ref drops the operations its XSD type cannot hold."""
    if type_.is_collection and type_.field("operations") is None:
        return {key: one for key, one in value.items() if key != "operations"}
    return value


def _xml_fields(element: etree._Element, document: Document, type_: Type) -> None:
    _check_keys(document, type_, frozenset({"resourceURI", "href"}))
    for field in type_.fields:
        value: Any = document.get(field.name)
        if _is_empty(value):
            continue
        if field.attribute:
            element.set(field.xml, _checked_scalar(field, value))
            continue
        for one in value if field.many else (value,):
            _xml_value(element, field, one)


def _xml_value(parent: etree._Element, field: Field, value: Any) -> None:
    match field.kind:
        case Kind.PROPERTIES:
            for key, text in value.items():
                etree.SubElement(parent, _qualified(field.xml), key=xml_safe(key)).text = xml_safe(
                    text
                )
        case Kind.OPERATIONS:
            for op in value:
                etree.SubElement(parent, _qualified(field.xml), rel=op["rel"], href=op["href"])
        case Kind.REF | Kind.COLLECTION:
            child = etree.SubElement(parent, _qualified(field.xml))
            href = value.get("href") or value.get("id")
            if href:
                child.set("href", href)
            if not set(value) <= {"href"}:
                nested = _nested_type(value, field)
                _xml_fields(child, _without_absent(value, nested), nested)
        case Kind.STRUCT:
            child = etree.SubElement(parent, _qualified(field.xml))
            _xml_fields(child, value, type_named(str(field.target)))
        case Kind.ANY:
            child = etree.SubElement(parent, _qualified(field.xml))
            for key, text in value.items():
                etree.SubElement(child, _qualified(key)).text = xml_safe(str(text))
        case _:
            etree.SubElement(parent, _qualified(field.xml)).text = xml_safe(_xml_text(field, value))


def _xml_text(field: Field, value: Any) -> str:
    match field.kind:
        case Kind.BYTES:
            return _bytes(value).hex()
        case Kind.DATETIME:
            return _datetime_text(value)
        case Kind.BOOLEAN:
            return "true" if _checked_scalar(field, value) else "false"
        case _:
            return str(_checked_scalar(field, value))


def _checked_scalar(field: Field, value: Any) -> Any:
    expected = {Kind.STRING: str, Kind.INTEGER: int, Kind.BOOLEAN: bool}[field.kind]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ValueError(f"CIMI {field.name} wants {expected.__name__}, not {value!r}")
    return value


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _datetime_text(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError(f"a CIMI date carries its offset: {value!r}")
    return value.isoformat()


# Reading


def _parse_json(body: bytes, type_: Type) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RepresentationError(f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise RepresentationError(f"a {type_.name} is a JSON object")
    uri = document.pop("resourceURI", type_.uri)
    if uri != type_.uri:
        raise RepresentationError(f"expected resourceURI {type_.uri}, got {uri!r}")
    return _from_json(document, type_, type_.name, reference=False)


def _from_json(
    document: dict[str, Any], type_: Type, path: str, *, reference: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in document.items():
        where = f"{path}.{key}"
        if key == "resourceURI":
            continue  # a nested document may name its type; the field already says it
        if key == "href" and reference:
            out["href"] = _expect(value, str, where)
            continue
        field = type_.field(key)
        if field is None:
            raise RepresentationError(f"{path}: unknown attribute {key!r}")
        if value is None:
            out[key] = None
        elif field.many:
            items = _expect(value, list, where)
            out[key] = [_json_one(field, one, f"{where}[{n}]") for n, one in enumerate(items)]
        else:
            out[key] = _json_one(field, value, where)
    return out


def _json_one(field: Field, value: Any, where: str) -> Any:
    match field.kind:
        case Kind.STRING:
            return _expect(value, str, where)
        case Kind.INTEGER:
            if isinstance(value, bool):
                raise RepresentationError(f"{where}: expected an integer, got {value!r}")
            return _expect(value, int, where)
        case Kind.BOOLEAN:
            return _expect(value, bool, where)
        case Kind.DATETIME:
            return _read_datetime(_expect(value, str, where), where)
        case Kind.BYTES:
            text = _expect(value, str, where)
            try:
                return base64.b64decode(text, validate=True)
            except binascii.Error:
                # A Credential's key as the text it is ("ssh-ed25519 AAAA… me"), as Deltacloud's
                # clients send it: no base64 has a space in it, so the two cannot be confused.
                if " " not in text.strip():
                    raise RepresentationError(f"{where}: expected base64") from None
                return text.encode()
        case Kind.REF | Kind.COLLECTION:
            nested = _reference_type(field)
            reference = _expect(value, dict, where)
            if nested is None:
                return {"href": _expect(reference.get("href"), str, f"{where}.href")}
            return _from_json(reference, nested, where, reference=True)
        case Kind.STRUCT:
            nested = type_named(str(field.target))
            return _from_json(_expect(value, dict, where), nested, where, reference=False)
        case Kind.PROPERTIES:
            properties = _expect(value, dict, where)
            return {str(k): _expect(v, str, f"{where}[{k!r}]") for k, v in properties.items()}
        case Kind.OPERATIONS:
            return [
                _json_operation(op, f"{where}[{n}]")
                for n, op in enumerate(_expect(value, list, where))
            ]
        case Kind.ANY:
            return _expect(value, dict, where)


def _json_operation(value: Any, where: str) -> dict[str, str]:
    op = _expect(value, dict, where)
    return {"rel": _expect(op.get("rel"), str, where), "href": _expect(op.get("href"), str, where)}


def _reference_type(field: Field) -> Type | None:
    """How to read a ref in a request: a typed ref may carry the referenced resource's
    attributes (given by value, or overriding a template's); a ref to a collection, to any
    type (expRef) or to a type not described here is read as its href alone, and whatever an
    echoed expansion holds beside it is left out, as read-only."""
    if field.kind is Kind.COLLECTION or field.target is None or field.target not in TYPES:
        return None
    return type_named(field.target)


def _expect(value: Any, kind: type[T], where: str) -> T:
    if not isinstance(value, kind):
        names = {
            str: "a string",
            int: "an integer",
            bool: "a boolean",
            dict: "an object",
            list: "an array",
        }
        raise RepresentationError(
            f"{where}: expected {names.get(kind, kind.__name__)}, got {value!r}"
        )
    return value


def _read_datetime(text: str, where: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise RepresentationError(f"{where}: expected an xs:dateTime, got {text!r}") from None


def _parse_xml(body: bytes, type_: Type) -> dict[str, Any]:
    try:
        root = etree.fromstring(body, _hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise RepresentationError(f"the body is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:  # any DOCTYPE, inline or not
        raise RepresentationError("a CIMI document has no DOCTYPE")
    if root.tag != _qualified(type_.name):
        raise RepresentationError(f'expected <{type_.name} xmlns="{NAMESPACE}">, got <{root.tag}>')
    return _from_xml(root, type_, type_.name, reference=False)


def _hardened_parser() -> etree.XMLParser:
    """A new parser for each body (lxml parsers are not shared between threads) that reads no
    DTD, resolves no entity and opens no URL."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _from_xml(
    element: etree._Element, type_: Type, path: str, *, reference: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reference and element.get("href") is not None:
        out["href"] = element.get("href")
    for attribute in type_.fields:
        if attribute.attribute and element.get(attribute.xml) is not None:
            out[attribute.name] = element.get(attribute.xml)
    for child in element:
        if not isinstance(child.tag, str):
            raise RepresentationError(f"{path}: entity references are not accepted")
        name = etree.QName(child)
        if name.namespace != NAMESPACE:
            continue  # the XSD's extension point: elements of other namespaces
        field = type_.xml_field(name.localname, attribute=False)
        where = f"{path}.{name.localname}"
        if field is None:
            raise RepresentationError(f"{path}: unknown element <{name.localname}>")
        value = _xml_one(field, child, where)
        if field.kind is Kind.PROPERTIES:
            out.setdefault(field.name, {}).update([value])
        elif field.kind is Kind.OPERATIONS or field.many:
            out.setdefault(field.name, []).append(value)
        elif field.name in out:
            raise RepresentationError(f"{path}: <{name.localname}> appears twice")
        else:
            out[field.name] = value
    return out


def _xml_one(field: Field, element: etree._Element, where: str) -> Any:
    text = element.text or ""
    if field.kind is Kind.PROPERTIES:
        return (_attribute(element, "key", where), text)
    if field.kind is Kind.OPERATIONS:
        return {
            "rel": _attribute(element, "rel", where),
            "href": _attribute(element, "href", where),
        }
    if not text.strip() and len(element) == 0 and not element.attrib:
        return None
    match field.kind:
        case Kind.STRING:
            return text
        case Kind.INTEGER:
            if not _INTEGER.fullmatch(text):
                raise RepresentationError(f"{where}: expected an integer, got {text!r}")
            return int(text)
        case Kind.BOOLEAN:
            if text.strip() not in _BOOLEANS:
                raise RepresentationError(f"{where}: expected true or false, got {text!r}")
            return _BOOLEANS[text.strip()]
        case Kind.DATETIME:
            return _read_datetime(text, where)
        case Kind.BYTES:
            if not _HEX.fullmatch(text.strip()):
                raise RepresentationError(f"{where}: expected xs:hexBinary")
            return bytes.fromhex(text.strip())
        case Kind.REF | Kind.COLLECTION:
            nested = _reference_type(field)
            if nested is None:
                return {"href": _attribute(element, "href", where)}
            return _from_xml(element, nested, where, reference=True)
        case Kind.STRUCT:
            return _from_xml(element, type_named(str(field.target)), where, reference=False)
        case _:
            return {etree.QName(child).localname: child.text or "" for child in element}


def _attribute(element: etree._Element, name: str, where: str) -> str:
    value = element.get(name)
    if value is None:
        raise RepresentationError(f"{where}: the {name} attribute is missing")
    return value
