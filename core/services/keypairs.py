"""SSH key pairs of an account: created here (private key shown once) or imported."""

from __future__ import annotations

import re
import uuid
from typing import Final

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core import events, filtering, keys, paging
from core.db.database import Database
from core.db.models import Account, KeyPair
from core.enums import EventState, EventType, ResourceKind
from core.errors import Conflict, InvalidArgument, NotFound
from core.services.lookup import contains_text, identity_clauses
from core.views import Caller, KeyPairQuery, KeyPairView, NewKeyPair, Page

_NAME: Final = re.compile(r"[\x20-\x7e]{1,255}")


def to_view(pair: KeyPair) -> KeyPairView:
    """The pair's fingerprints are worked out from its public key where a replica of the
    previous release stored none (migration 0010), which costs a parse only for those rows;
    the private key's SHA-1 of an RSA key it generated is its one stored fingerprint then."""
    sha256, der_md5 = pair.fingerprint_sha256, pair.public_der_md5
    private_sha1 = pair.private_key_sha1
    if sha256 is None or der_md5 is None:
        public = keys.parse_public_key(pair.public_key)
        sha256, der_md5 = keys.ssh_sha256(public), keys.public_der_md5(public)
        previous = pair.previous_release_fingerprint
        if pair.key_type == "rsa" and previous not in (None, der_md5):
            private_sha1 = previous  # an RSA key that release generated: what it showed
    return KeyPairView(
        pair.id,
        pair.ref,
        pair.account_id,
        pair.account.name,
        pair.name,
        pair.key_type,
        pair.public_key,
        pair.fingerprint_md5,
        sha256,
        der_md5,
        private_sha1,
        pair.created_at,
    )


def find_key_pair(session: Session, account_id: uuid.UUID, name: str) -> KeyPair:
    """An account's key pair by name; key pairs are never shared between accounts."""
    pair = session.scalar(
        select(KeyPair).where(KeyPair.account_id == account_id, KeyPair.name == name)
    )
    if pair is None:
        raise NotFound("key-pair", name)
    return pair


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name) or name != name.strip():
        raise InvalidArgument("key_name", "1-255 printable ASCII characters, no edge spaces")


class KeyPairService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _store(
        self, caller: Caller, name: str, public: keys.PublicKey, private_key_sha1: str | None
    ) -> KeyPairView:
        with self._db.transaction() as session:
            clash = select(KeyPair.id).where(
                KeyPair.account_id == caller.account_id, KeyPair.name == name
            )
            if session.scalar(clash) is not None:
                raise Conflict("key-pair", name, "a key pair with this name exists")
            pair = KeyPair(
                account_id=caller.account_id,
                name=name,
                key_type=public.key_type,
                public_key=public.openssh,
                fingerprint_md5=keys.ssh_md5(public),
                fingerprint_sha256=keys.ssh_sha256(public),
                public_der_md5=keys.public_der_md5(public),
                private_key_sha1=private_key_sha1,
            )
            session.add(pair)
            session.flush()
            events.record(
                session,
                account_id=caller.account_id,
                user_id=caller.user_id,
                type=EventType.REGISTER_SSH_KEYPAIR,
                state=EventState.COMPLETED,
                description=f"key pair {name} registered",
                resource=(ResourceKind.KEY_PAIR, pair.id),
            )
            return to_view(pair)

    def create_key_pair(
        self, caller: Caller, name: str, key_type: keys.KeyType = "rsa"
    ) -> NewKeyPair:
        _check_name(name)
        generated = keys.generate(key_type, comment=name.replace(" ", "_"))
        view = self._store(caller, name, generated.public, generated.private_key_sha1)
        return NewKeyPair(view, generated.private_pem)

    def import_key_pair(self, caller: Caller, name: str, public_key: str | bytes) -> KeyPairView:
        _check_name(name)
        public = keys.parse_public_key(public_key)
        return self._store(caller, name, public, None)

    def delete_key_pair(self, caller: Caller, name: str) -> None:
        with self._db.transaction() as session:
            # CloudStack has no event type for deleting a key pair, so none is written
            session.delete(find_key_pair(session, caller.account_id, name))

    def get_key_pair(self, caller: Caller, name: str) -> KeyPairView:
        with self._db.transaction() as session:
            return to_view(find_key_pair(session, caller.account_id, name))

    def list_key_pairs(self, caller: Caller, query: KeyPairQuery) -> Page[KeyPairView]:
        """The key pairs ``query`` selects, filtered and windowed in SQL."""
        statement = select(KeyPair).where(*_selected(query), *FIELDS.selecting(query.where))
        if not caller.is_admin:
            statement = statement.where(KeyPair.account_id == caller.account_id)
        with self._db.transaction() as session:
            return paging.read_page(
                session,
                FIELDS.ordered(statement, query),
                KeyPair,
                query.window,
                lambda shown: [to_view(p) for p in shown],
            )


#: What ``KeyPairQuery.where`` can name: the view's stored fields. The SHA-256 and DER
#: fingerprints are left out: rows of the previous release hold none, and their views work
#: them out from the public key (``to_view``), which SQL cannot.
FIELDS: Final = filtering.Fields(
    {
        **{
            name: getattr(KeyPair, name)
            for name in (
                "id",
                "ref",
                "account_id",
                "name",
                "key_type",
                "public_key",
                "fingerprint_md5",
                "created_at",
            )
        },
        "account_name": filtering.scalar(Account.name, Account.id == KeyPair.account_id),
    }
)


def _selected(query: KeyPairQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.ids:
        where.append(identity_clauses(KeyPair, tuple(query.ids)))
    if query.names:
        where.append(KeyPair.name.in_(query.names))
    if query.name_contains:
        where.append(contains_text(query.name_contains, KeyPair.name))
    if query.fingerprints:
        where.append(KeyPair.fingerprint_md5.in_(query.fingerprints))
    if query.accounts:
        where.append(KeyPair.account_id.in_(query.accounts))
    return where
