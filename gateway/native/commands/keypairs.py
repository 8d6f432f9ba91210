"""SSH key pairs, by name within the caller's account; fingerprints are MD5 colon-hex."""

from __future__ import annotations

from typing import Final

from core.views import KeyPairQuery
from gateway.native import objects
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    Call,
    CommandSet,
    Done,
    Listing,
    Param,
    ParamType,
    Reply,
    Single,
)

commands = CommandSet()
_NAME: Final = Param("name", ParamType.STRING, "Name of the key pair", required=True)


@commands.command(
    "listSSHKeyPairs",
    "Lists SSH key pairs",
    (
        *ACCOUNT_LIST_PARAMS,
        Param("id", ParamType.UUID, "The key pair"),
        Param("name", ParamType.STRING, "The exact name"),
        Param("fingerprint", ParamType.STRING, "The MD5 fingerprint"),
    ),
    response_key="sshkeypair",
)
def list_ssh_key_pairs(call: Call) -> Reply:
    one, name = call.args.get("id"), call.args.get("name")
    fingerprint = call.args.get("fingerprint")
    query = KeyPairQuery(
        ids=(str(one),) if one else (),
        names=(name,) if name is not None else (),
        name_contains=call.args.get("keyword") or "",
        fingerprints=(fingerprint,) if fingerprint is not None else (),
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.key_pairs.list_key_pairs(call.scope, query)
    domain = objects.domain(call.services)
    rendered = [objects.ssh_key_pair(p, domain) for p in page.items]
    return Listing("sshkeypair", rendered, page.total)


@commands.command(
    "createSSHKeyPair",
    "Creates an RSA key pair; the private key is returned only this once",
    (_NAME,),
    response_key="keypair",
)
def create_ssh_key_pair(call: Call) -> Reply:
    domain = objects.domain(call.services)
    created = call.services.key_pairs.create_key_pair(call.caller, call.args["name"])
    rendered = objects.ssh_key_pair(created.key_pair, domain)
    return Single("keypair", {**rendered, "privatekey": created.private_key})


@commands.command(
    "registerSSHKeyPair",
    "Registers an existing public key",
    (_NAME, Param("publickey", ParamType.STRING, "OpenSSH public key", required=True, length=5120)),
    response_key="keypair",
)
def register_ssh_key_pair(call: Call) -> Reply:
    domain = objects.domain(call.services)
    pair = call.services.key_pairs.import_key_pair(
        call.caller, call.args["name"], call.args["publickey"]
    )
    return Single("keypair", objects.ssh_key_pair(pair, domain))


@commands.command("deleteSSHKeyPair", "Deletes a key pair", (_NAME,))
def delete_ssh_key_pair(call: Call) -> Reply:
    call.services.key_pairs.delete_key_pair(call.caller, call.args["name"])
    return Done()
