"""Accounts (tenants) → users → credentials: one identity store for all four APIs (rule 7).

Passwords are hashed with scrypt from the standard library (a memory-hard KDF; no extra
dependency needed). Access and secret keys are random and shown once at creation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select

from core import events
from core.db.database import Database
from core.db.models import Account, Credential, User
from core.enums import EventState, EventType, ResourceKind
from core.errors import Conflict, InvalidArgument, NotFound
from core.services.security_groups import default_group
from core.views import AccountView, Caller, NewAccount

_SCRYPT: Final = {"n": 2**14, "r": 8, "p": 1}
_ACCOUNT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_ACCESS_KEY_ALPHABET: Final = string.ascii_uppercase + string.digits


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(computed, base64.b64decode(digest))


def new_access_key() -> str:
    """20 characters like an AWS key id, so clients that check the shape accept it."""
    return "CG" + "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(18))


def new_secret_key() -> str:
    return secrets.token_urlsafe(30)


def to_view(account: Account) -> AccountView:
    return AccountView(account.id, account.ref, account.name, account.is_admin, account.created_at)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What a signature check needs: who signs with this key, and the secret to verify with."""

    caller: Caller
    secret_key: str


class IdentityService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_account(self, name: str, *, admin: bool = False) -> NewAccount:
        if not _ACCOUNT_NAME.fullmatch(name):
            raise InvalidArgument("name", "1-63 letters, digits, '.', '_' or '-', starting alnum")
        password = secrets.token_urlsafe(18)
        with self._db.transaction() as session:
            if session.scalar(select(Account).where(Account.name == name)) is not None:
                raise Conflict("account", name, "an account with this name exists")
            account = Account(name=name, is_admin=admin)
            user = User(account=account, username=name, password_hash=hash_password(password))
            credential = Credential(
                user=user, access_key=new_access_key(), secret_key=new_secret_key()
            )
            session.add_all([account, user, credential])
            session.flush()
            default_group(session, account.id)
            events.record(
                session,
                account_id=account.id,
                user_id=None,
                type=EventType.ACCOUNT_CREATE,
                state=EventState.CREATED,
                description=f"account {name} created",
                resource=(ResourceKind.ACCOUNT, account.id),
            )
            return NewAccount(
                to_view(account),
                user.id,
                user.username,
                password,
                credential.access_key,
                credential.secret_key,
            )

    def list_accounts(self, caller: Caller) -> list[AccountView]:
        query = select(Account).order_by(Account.created_at)
        if not caller.is_admin:
            query = query.where(Account.id == caller.account_id)
        with self._db.transaction() as session:
            return [to_view(account) for account in session.scalars(query)]

    def caller_for(self, account_name: str) -> Caller:
        """The first user of an account, for the CLI and tests acting as that account."""
        with self._db.transaction() as session:
            user = session.scalar(
                select(User)
                .join(Account)
                .where(Account.name == account_name)
                .order_by(User.created_at)
            )
            if user is None:
                raise NotFound("account", account_name)
            return Caller(user.account_id, user.id, user.account.is_admin)

    def signing_key(self, access_key: str) -> SigningKey:
        with self._db.transaction() as session:
            credential = session.scalar(
                select(Credential).where(Credential.access_key == access_key)
            )
            if credential is None:
                raise NotFound("credential", access_key)
            user = credential.user
            return SigningKey(
                Caller(user.account_id, user.id, user.account.is_admin), credential.secret_key
            )

    def authenticate_password(self, username: str, password: str) -> Caller:
        with self._db.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not verify_password(password, user.password_hash):
                raise NotFound("user", username)
            return Caller(user.account_id, user.id, user.account.is_admin)
