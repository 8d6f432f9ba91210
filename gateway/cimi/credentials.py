"""Credentials: core's key pairs, imported from a public key or generated."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from starlette.responses import Response

from core.views import KeyPairQuery, KeyPairView
from gateway.cimi import resources, wire
from gateway.cimi.kit import (
    DATED,
    CimiError,
    Context,
    Listed,
    Selection,
    allowed,
    members,
    one,
    uuid_of,
)


def credentials(ctx: Context, rest: list[str]) -> Response:
    keys = ctx.services.key_pairs
    if not rest:

        def read(selection: Selection) -> Listed:
            page = keys.list_key_pairs(ctx.caller, KeyPairQuery(**selection))
            return [resources.credential(ctx.urls, k) for k in page.items], page.total

        return members(ctx, "Credential", read, DATED, lambda: _create_credential(ctx))
    allowed(ctx, "GET", "DELETE")
    key = key_of(ctx, uuid_of(rest[0]))
    if ctx.request.method == "DELETE":
        keys.delete_key_pair(ctx.caller, key.name)
        return wire.respond(ctx.request, None, 200)
    return one(ctx, resources.credential(ctx.urls, key))


def key_of(ctx: Context, id_: uuid.UUID) -> KeyPairView:
    page = ctx.services.key_pairs.list_key_pairs(ctx.caller, KeyPairQuery(ids=[str(id_)]))
    if not page.items:
        raise CimiError(404, f"no credential {id_}")
    return page.items[0]


def _create_credential(ctx: Context) -> Response:
    """A key pair from the template's public key, or a new one generated here: then the 201
    answer's ``key`` is the private key, shown this once (core never stores it); every later
    read shows the public key."""
    body = wire.read(ctx.request, "CredentialCreate")
    if "credentialTemplate" not in body:
        raise CimiError(400, "a CredentialCreate needs a credentialTemplate")
    template = body["credentialTemplate"] or {}  # an empty <credentialTemplate/> reads as None
    name = body.get("name") or f"credential-{uuid.uuid4().hex[:8]}"
    keys = ctx.services.key_pairs
    if template.get("key"):
        made = keys.import_key_pair(ctx.caller, name, template["key"])
        document = resources.credential(ctx.urls, made)
    else:
        generated = keys.create_key_pair(ctx.caller, name)
        made = generated.key_pair
        document = {**resources.credential(ctx.urls, made), "key": generated.private_key}
    href = ctx.urls.of("credentials", made.id)
    return wire.respond(ctx.request, document, 201, {"Location": href})


def key_ids_by_name(ctx: Context, names: Sequence[str]) -> dict[str, uuid.UUID]:
    """The ids of the caller's key pairs of these names: one query for a page of templates."""
    if not names:
        return {}
    page = ctx.services.key_pairs.list_key_pairs(ctx.caller, KeyPairQuery(names=list(names)))
    return {k.name: k.id for k in page.items}
