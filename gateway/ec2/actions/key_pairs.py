"""Key pairs: create (AWS's SHA-1 fingerprint of the private key), import (MD5 of the public
key's DER), describe, delete. Deleting a key pair that does not exist succeeds, as on AWS."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Final

from core.errors import InvalidArgument, NotFound
from core.views import KeyPairView
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


def describe_key_pairs(call: Call) -> Mapping[str, Any]:
    pairs = call.services.key_pairs.list_key_pairs(call.caller)
    names = call.args.get("KeyNames") or ()
    ids = call.refs(KEY_PAIR, "KeyPairIds")
    by_name = {p.name: p for p in pairs}
    by_ref = {p.ref: p for p in pairs}
    for name in names:
        if name not in by_name:
            raise not_found(KEY_PAIR, name)
    for ref in ids:
        if ref not in by_ref:
            raise Ec2Error(
                "InvalidKeyPair.NotFound",
                f"The key pair ID '{KEY_PAIR.render(ref)}' does not exist",
            )
    chosen = [p for p in pairs if not (names or ids) or p.name in names or p.ref in ids]
    items = [_item(p, public_key=bool(call.args.get("IncludePublicKey"))) for p in chosen]
    found = filters.select(items, call.args.get("Filters"), _FILTERS)
    return {"KeyPairs": found}


def delete_key_pair(call: Call) -> Mapping[str, Any]:
    name = call.args.get("KeyName")
    pair_id = call.args.get("KeyPairId")
    if not name and not pair_id:
        raise Ec2Error(
            "MissingParameter", "The request must contain the parameter KeyName or KeyPairId"
        )
    if pair_id:
        ref = call.ref(KEY_PAIR, "KeyPairId")
        match = [p for p in call.services.key_pairs.list_key_pairs(call.caller) if p.ref == ref]
        name = match[0].name if match else None
    if name is None:
        return {"Return": True, "KeyPairId": pair_id}
    with contextlib.suppress(NotFound):
        call.services.key_pairs.delete_key_pair(call.caller, name)
    return {"Return": True, "KeyPairId": pair_id}
