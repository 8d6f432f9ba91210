"""Key pairs: create (AWS's SHA-1 fingerprint of the private key), import (MD5 of the public
key's DER), describe, delete. Deleting a key pair that does not exist succeeds, as on AWS."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Final

from core.errors import InvalidArgument, NotFound
from core.views import KeyPairQuery, KeyPairView
from gateway.ec2 import filters
from gateway.ec2.call import Call, tag_specs
from gateway.ec2.errors import Ec2Error, not_found
from translations.ec2 import KEY_PAIR, key_fingerprint

_FILTERS: Final = {
    "key-name": filters.path("KeyName"),
    "key-pair-id": filters.path("KeyPairId"),
    "fingerprint": filters.path("KeyFingerprint"),
    "key-type": filters.path("KeyType"),
}
# Filters core applies in SQL; the rest match the rendered items (``_FILTERS``), which are
# every key pair the caller has (EC2 pages no key pair listing): the fingerprint EC2 shows is
# not the MD5 one core's query matches, and core's query has no field for key types.
_QUERY_FIELDS: Final[Mapping[str, filters.QueryField]] = {
    "key-name": filters.as_values("names"),
    "key-pair-id": filters.as_refs(KEY_PAIR, "ids"),
}


def _item(pair: KeyPairView, *, public_key: bool = False) -> dict[str, Any]:
    return {
        "KeyPairId": KEY_PAIR.render(pair.ref),
        "KeyName": pair.name,
        "KeyFingerprint": key_fingerprint(pair),
        "KeyType": pair.key_type,
        "Tags": [],
        "PublicKey": pair.public_key if public_key else None,
        "CreateTime": pair.created_at,
    }


def create_key_pair(call: Call) -> Mapping[str, Any]:
    key_type = call.args.get("KeyType", "rsa")
    if key_type not in ("rsa", "ed25519"):
        raise Ec2Error("InvalidParameterValue", f"The key type '{key_type}' is not supported")
    if call.args.get("KeyFormat", "pem") != "pem":
        raise Ec2Error("InvalidParameterValue", "Only the pem key format is supported")
    tag_specs(call)
    created = call.services.key_pairs.create_key_pair(call.caller, call.args["KeyName"], key_type)
    return {
        "KeyName": created.key_pair.name,
        "KeyFingerprint": key_fingerprint(created.key_pair),
        "KeyMaterial": created.private_key,
        "KeyPairId": KEY_PAIR.render(created.key_pair.ref),
        "Tags": [],
    }


def import_key_pair(call: Call) -> Mapping[str, Any]:
    tag_specs(call)
    try:
        pair = call.services.key_pairs.import_key_pair(
            call.caller, call.args["KeyName"], call.args["PublicKeyMaterial"]
        )
    except InvalidArgument as exc:
        if exc.field != "public_key":
            raise
        raise Ec2Error(
            "InvalidKeyPair.Format", f"Key is not in valid OpenSSH public key format: {exc.why}"
        ) from None
    return {
        "KeyName": pair.name,
        "KeyFingerprint": key_fingerprint(pair),
        "KeyPairId": KEY_PAIR.render(pair.ref),
        "Tags": [],
    }


def _named_pairs(call: Call, names: list[str], ids: list[str]) -> list[KeyPairView]:
    """The key pairs ``KeyNames`` or ``KeyPairIds`` name, in listing order; every one must
    exist."""
    service = call.services.key_pairs
    by_name = service.list_key_pairs(call.caller, KeyPairQuery(names=names)).items if names else ()
    by_id = service.list_key_pairs(call.caller, KeyPairQuery(ids=ids)).items if ids else ()
    if absent := [n for n in names if n not in {p.name for p in by_name}]:
        raise not_found(KEY_PAIR, absent[0])
    if absent := [r for r in ids if r not in {p.ref for p in by_id}]:
        raise Ec2Error(
            "InvalidKeyPair.NotFound",
            f"The key pair ID '{KEY_PAIR.render(absent[0])}' does not exist",
        )
    chosen = {p.id: p for p in (*by_name, *by_id)}
    return sorted(chosen.values(), key=lambda p: (p.created_at, p.id))


def describe_key_pairs(call: Call) -> Mapping[str, Any]:
    """Every key pair at once: EC2 pages no key pair listing."""
    names = list(call.args.get("KeyNames") or ())
    ids = call.refs(KEY_PAIR, "KeyPairIds")
    wanted = call.args.get("Filters")
    if names or ids:
        pairs, rest = _named_pairs(call, names, ids), wanted
    else:
        fields, rest = filters.split(wanted, _QUERY_FIELDS, tags=False)
        pairs = list(
            call.services.key_pairs.list_key_pairs(call.caller, KeyPairQuery(**fields)).items
        )
    items = [_item(p, public_key=bool(call.args.get("IncludePublicKey"))) for p in pairs]
    return {"KeyPairs": filters.select(items, rest, _FILTERS)}


def delete_key_pair(call: Call) -> Mapping[str, Any]:
    name = call.args.get("KeyName")
    pair_id = call.args.get("KeyPairId")
    if not name and not pair_id:
        raise Ec2Error(
            "MissingParameter", "The request must contain the parameter KeyName or KeyPairId"
        )
    if pair_id:
        mine = KeyPairQuery(
            ids=(call.ref(KEY_PAIR, "KeyPairId"),), accounts=(call.caller.account_id,)
        )
        match = call.services.key_pairs.list_key_pairs(call.caller, mine).items
        name = match[0].name if match else None
    if name is None:
        return {"Return": True, "KeyPairId": pair_id}
    with contextlib.suppress(NotFound):
        call.services.key_pairs.delete_key_pair(call.caller, name)
    return {"Return": True, "KeyPairId": pair_id}
