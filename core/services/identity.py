"""Accounts (tenants) → users → credentials: one identity store for all four APIs (rule 7).

Passwords are hashed with argon2id (argon2-cffi), each hash recording its own costs, so costs can
rise without locking anyone out: a hash with older costs, or an scrypt hash from an earlier
release, is replaced at its owner's next successful login. A user whose password is given wrong
``login_attempts_allowed`` times in a row is locked, on every API that takes a password, until
an administrator enables the user again. Access and secret keys are random and shown once at
creation; they keep working while a user's password is locked, so guessing at a password
cannot cut off a user's signed calls, and an administrator can still sign the unlock.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from core import events, paging
from core.db.base import utcnow
from core.db.database import Database
from core.db.models import Account, Credential, LoginSession, User
from core.enums import (
    AccountState,
    EventLevel,
    EventState,
    EventType,
    JobKind,
    ResourceKind,
    Settle,
)
from core.errors import Conflict, InvalidArgument, InvalidState, NotFound
from core.installation import ADMIN_ACCOUNT
from core.jobs import queue, settling
from core.jobs.account_jobs import cancel_pending, refuse_dependents
from core.services.lookup import contains_text, identity_clause, identity_clauses
from core.services.security_groups import default_group
from core.settings import CoreSettings
from core.views import (
    Accepted,
    AccountQuery,
    AccountView,
    Caller,
    LoginView,
    NewAccount,
    Page,
    UserView,
)

log = logging.getLogger(__name__)

_SCRYPT_PREFIX: Final = "scrypt$"
_SCRYPT: Final = {"n": 2**14, "r": 8, "p": 1}  # the costs every earlier "scrypt$salt$digest" used
_ACCOUNT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_ACCESS_KEY_ALPHABET: Final = string.ascii_uppercase + string.digits


def _verify_scrypt(password: str, stored: str) -> bool:
    """An earlier release's hash: ``scrypt$<salt>$<digest>``, base64, at the costs above."""
    _scheme, salt, digest = stored.split("$")
    computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(computed, base64.b64decode(digest))


class Passwords:
    """argon2id at the costs the settings name; a hash in PHC form records them
    (``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<digest>``), so it verifies after they change."""

    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    @classmethod
    def of(cls, settings: CoreSettings) -> Passwords:
        return cls(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_cost,
            parallelism=settings.password_parallelism,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password: str, stored: str) -> bool:
        if stored.startswith(_SCRYPT_PREFIX):
            return _verify_scrypt(password, stored)
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """An scrypt hash, or an argon2 one made at other costs than today's."""
        return stored.startswith(_SCRYPT_PREFIX) or self._hasher.check_needs_rehash(stored)


def new_access_key() -> str:
    """20 characters like an AWS key id, so clients that check the shape accept it."""
    return "CG" + "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(18))


def new_secret_key() -> str:
    return secrets.token_urlsafe(30)


def to_view(account: Account) -> AccountView:
    return AccountView(
        account.id, account.ref, account.name, account.is_admin, account.created_at, account.state
    )


def _account_views(accounts: Sequence[Account]) -> list[AccountView]:
    return [to_view(account) for account in accounts]


def user_view(user: User) -> UserView:
    return UserView(
        user.id,
        user.username,
        user.account_id,
        user.account.name,
        user.account.is_admin,
        [c.access_key for c in user.credentials],
        user.created_at,
        user.locked_at is not None,
    )


def _session_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _enabled(user: User | None) -> bool:
    """Only users of an enabled account sign in: from the moment an account is being deleted,
    its keys, passwords and sessions identify no one."""
    return user is not None and user.account.state is AccountState.ENABLED


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A user a password login names, read before the (slow) password check."""

    id: UUID
    password_hash: str


def _signed_in(session: Session, user_id: UUID, username: str) -> User:
    """The user a checked password names, still in an enabled account."""
    user = session.get(User, user_id)
    if user is None or not _enabled(user):
        raise NotFound("user", username)
    return user


def _caller(user: User) -> Caller:
    return Caller(user.account_id, user.id, user.account.is_admin)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What a signature check needs: who signs with this key, and the secret to verify with."""

    caller: Caller
    secret_key: str


class IdentityService:
    def __init__(
        self,
        db: Database,
        settings: CoreSettings,
        *,
        wake_workers: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._session_timeout = dt.timedelta(seconds=settings.session_timeout)
        self._attempts_allowed = settings.login_attempts_allowed
        self._passwords = Passwords.of(settings)
        # checked instead when no user can log in under a name, so that takes as long as a
        # wrong password: the time of a refusal does not tell which names exist or are locked
        self._decoy = self._passwords.hash(secrets.token_urlsafe(16))
        self._wake = wake_workers

    def create_account(
        self,
        name: str,
        *,
        admin: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> NewAccount:
        """An account with its first user (named like the account unless told otherwise) and
        one key pair of credentials; a password is generated when none is given."""
        login = username or name
        for field, value in (("name", name), ("username", login)):
            if not _ACCOUNT_NAME.fullmatch(value):
                raise InvalidArgument(
                    field, "1-63 letters, digits, '.', '_' or '-', starting alnum"
                )
        if password is not None and not 1 <= len(password) <= 255:
            raise InvalidArgument("password", "1 to 255 characters")
        password = password or secrets.token_urlsafe(18)
        with self._db.transaction() as session:
            if session.scalar(select(Account).where(Account.name == name)) is not None:
                raise Conflict("account", name, "an account with this name exists")
            if session.scalar(select(User).where(User.username == login)) is not None:
                raise Conflict("user", login, "a user with this name exists")
            account = Account(name=name, is_admin=admin)
            user = User(
                account=account, username=login, password_hash=self._passwords.hash(password)
            )
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

    def list_accounts(self, caller: Caller, query: AccountQuery) -> Page[AccountView]:
        """The accounts ``query`` selects, filtered and windowed in SQL. Deleted accounts are
        gone from the list unless a state asks for them; one being deleted shows its state."""
        statement = select(Account)
        if not caller.is_admin:
            statement = statement.where(Account.id == caller.account_id)
        if query.ids:
            statement = statement.where(identity_clauses(Account, tuple(query.ids)))
        if query.names:
            statement = statement.where(Account.name.in_(query.names))
        if query.name_contains:
            statement = statement.where(contains_text(query.name_contains, Account.name))
        if query.is_admin is not None:
            statement = statement.where(Account.is_admin.is_(query.is_admin))
        statement = statement.where(
            Account.state.in_(query.states)
            if query.states
            else Account.state != AccountState.DELETED
        )
        with self._db.transaction() as session:
            return paging.read_page(session, statement, Account, query.window, _account_views)

    def delete_account(
        self, caller: Caller, ref: str, *, settle: Settle = Settle.RAISE
    ) -> Accepted[AccountView]:
        """The deletion, settled as the caller asks (``core.jobs.settling``); its job is the
        deleting administrator's."""

        def describe(found: AccountView | None) -> tuple[settling.Work, AccountView]:
            account = found or self._listed_account(caller, ref)
            work = settling.Work(
                JobKind.DELETE_ACCOUNT,
                EventType.ACCOUNT_DELETE,
                (ResourceKind.ACCOUNT, account.id),
                caller.account_id,
                f"deleting account {account.name}",
            )
            return work, account

        return settling.settle(
            self._db, caller, settle, lambda: self._delete_account(caller, ref), describe
        )

    def _listed_account(self, caller: Caller, ref: str) -> AccountView:
        """The account ``ref`` names (id, ref or name) as ``list_accounts`` shows it."""
        for query in (AccountQuery(ids=(ref,)), AccountQuery(names=(ref,))):
            if found := self.list_accounts(caller, query).items:
                return found[0]
        raise NotFound("account", ref)

    def _delete_account(self, caller: Caller, ref: str) -> Accepted[AccountView]:
        """Admins only (others get NotFound, as if the operation did not exist for them). The
        account stops authenticating at once, its queued jobs are failed, and a DELETE_ACCOUNT
        job removes everything it owns (``core.jobs.account_jobs``). Refused for the caller's
        own account, the installation's admin, and while other accounts need its networks or
        security groups. An account whose deletion job failed may be deleted again."""
        if not caller.is_admin:
            raise NotFound("account", ref)
        with self._db.transaction() as session:
            clause = identity_clause(Account, ref)
            account = session.scalars(
                select(Account)
                .where(
                    clause if clause is not None else Account.name == ref,
                    Account.state != AccountState.DELETED,
                )
                .with_for_update()
            ).first()
            if account is None:
                raise NotFound("account", ref)
            if account.id == caller.account_id:
                raise InvalidState("account", account.name, "the caller's own", "delete")
            if account.name == ADMIN_ACCOUNT:
                raise InvalidState("account", account.name, "the installation's admin", "delete")
            if queue.pending_for(session, account.id, JobKind.DELETE_ACCOUNT):
                raise InvalidState("account", account.name, "being deleted", "delete")
            refuse_dependents(session, account)
            account.state = AccountState.DELETING
            cancel_pending(session, account.id)
            job = queue.enqueue(
                session,
                caller,
                kind=JobKind.DELETE_ACCOUNT,
                resource=(ResourceKind.ACCOUNT, account.id),
                account_id=caller.account_id,
                event_type=EventType.ACCOUNT_DELETE,
                description=f"deleting account {account.name} and everything it owns",
            )
            accepted = Accepted(to_view(account), job.id)
        self._wake()
        return accepted

    def caller_for(self, account_name: str) -> Caller:
        """The first user of an account, for the CLI and tests acting as that account."""
        with self._db.transaction() as session:
            user = session.scalar(
                select(User)
                .join(Account)
                .where(Account.name == account_name, Account.state == AccountState.ENABLED)
                .order_by(User.created_at)
            )
            if user is None:
                raise NotFound("account", account_name)
            return _caller(user)

    def signing_key(self, access_key: str) -> SigningKey:
        with self._db.transaction() as session:
            credential = session.scalar(
                select(Credential)
                .options(joinedload(Credential.user).joinedload(User.account))
                .where(Credential.access_key == access_key)
            )  # one statement: every signed request of every API comes here first
            if credential is None or not _enabled(credential.user):
                raise NotFound("credential", access_key)
            return SigningKey(_caller(credential.user), credential.secret_key)

    def user_by_access_key(self, caller: Caller, access_key: str) -> UserView:
        """A user holding this key, if the caller may see that user's account."""
        with self._db.transaction() as session:
            credential = session.scalar(
                select(Credential).where(Credential.access_key == access_key)
            )
            if (
                credential is None
                or not _enabled(credential.user)
                or not (caller.is_admin or credential.user.account_id == caller.account_id)
            ):
                raise NotFound("user", access_key)
            return user_view(credential.user)

    def login(self, username: str, password: str) -> LoginView:
        """A new session for a user; expired sessions are swept on the way."""
        user_id = self._check_password(username, password)
        with self._db.transaction() as session:
            user = _signed_in(session, user_id, username)
            key = secrets.token_urlsafe(24)
            now = utcnow()
            session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
            session.add(
                LoginSession(
                    key_hash=_session_hash(key),
                    user_id=user.id,
                    expires_at=now + self._session_timeout,
                )
            )
            return LoginView(
                key,
                user_view(user),
                int(self._session_timeout.total_seconds()),
            )

    def session_caller(self, key: str) -> Caller:
        """Who holds a live session key; each use keeps the session alive for another timeout."""
        with self._db.transaction() as session:
            found = session.get(LoginSession, _session_hash(key))
            now = utcnow()
            if found is None or found.expires_at < now or not _enabled(found.user):
                raise NotFound("session", "(key)")
            found.expires_at = now + self._session_timeout
            return _caller(found.user)

    def logout(self, key: str) -> None:
        with self._db.transaction() as session:
            session.execute(delete(LoginSession).where(LoginSession.key_hash == _session_hash(key)))

    def authenticate_password(self, username: str, password: str) -> Caller:
        """Who a username and password name (HTTP Basic): the same check and lockout as
        ``login``, without a session."""
        user_id = self._check_password(username, password)
        with self._db.transaction() as session:
            return _caller(_signed_in(session, user_id, username))

    def enable_user(self, caller: Caller, ref: str) -> UserView:
        """Admins only (others get NotFound, as if the user did not exist for them): lifts a
        lockout and starts the count of failed logins afresh. Enabling an enabled user
        changes nothing."""
        clause = identity_clause(User, ref)
        if not caller.is_admin or clause is None:
            raise NotFound("user", ref)
        with self._db.transaction() as session:
            user = session.scalar(select(User).where(clause))
            if user is None or not _enabled(user):
                raise NotFound("user", ref)
            if user.locked_at is not None:
                log.info("user %s unlocked by user %s", user.username, caller.user_id)
                events.record(
                    session,
                    account_id=user.account_id,
                    user_id=caller.user_id,
                    type=EventType.USER_ENABLE,
                    state=EventState.COMPLETED,
                    description=f"user {user.username} unlocked",
                )
            user.locked_at = None
            user.failed_logins = 0
            return user_view(user)

    def _check_password(self, username: str, password: str) -> UUID:
        """The id of the user this password is right for. NotFound alike for an unknown name, a
        locked user and a wrong password, so the answer does not say which; the log does. The
        hash is checked outside any transaction (it takes a good part of a second by design),
        and each outcome is written in one short statement, so concurrent guesses all count."""
        candidate = self._candidate(username)
        if candidate is None:
            self._passwords.verify(password, self._decoy)
            raise NotFound("user", username)
        if not self._passwords.verify(password, candidate.password_hash):
            self._count_failure(candidate.id, username)
            raise NotFound("user", username)
        renewed = (
            self._passwords.hash(password)
            if self._passwords.needs_rehash(candidate.password_hash)
            else candidate.password_hash
        )
        with self._db.transaction() as session:
            reset = session.execute(
                update(User)
                .where(User.id == candidate.id, User.locked_at.is_(None))
                .values(failed_logins=0, password_hash=renewed)
            )
        if reset.rowcount != 1:  # type: ignore[attr-defined]
            log.info("refused login for %s: locked while its password was checked", username)
            raise NotFound("user", username)
        return candidate.id

    def _candidate(self, username: str) -> _Candidate | None:
        """The user a login names; None when none may log in under that name."""
        with self._db.transaction() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not _enabled(user):
                log.info("refused login for %r: no such user in an enabled account", username)
                return None
            if user.locked_at is not None:
                log.info(
                    "refused login for %s: locked since %s after %d failed logins",
                    username,
                    user.locked_at.isoformat(),
                    user.failed_logins,
                )
                return None
            return _Candidate(user.id, user.password_hash)

    def _count_failure(self, user_id: UUID, username: str) -> None:
        """One more failed login in a row; the one that reaches the allowance locks the user."""
        with self._db.transaction() as session:
            counted = session.execute(
                update(User)
                .where(User.id == user_id)
                .values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins, User.account_id)
            ).one_or_none()
            failures = None if counted is None else counted.failed_logins
            if counted is not None and counted.failed_logins >= self._attempts_allowed:
                locked = session.execute(
                    update(User)
                    .where(User.id == user_id, User.locked_at.is_(None))
                    .values(locked_at=utcnow())
                )
                log.warning(
                    "user %s locked after %d failed password logins in a row", username, failures
                )
                if locked.rowcount == 1:  # type: ignore[attr-defined]
                    events.record(
                        session,
                        account_id=counted.account_id,
                        user_id=None,
                        type=EventType.USER_LOCK,
                        state=EventState.COMPLETED,
                        level=EventLevel.WARN,
                        description=f"user {username} locked after {failures} failed logins",
                    )
            else:
                log.info(
                    "refused login for %s: wrong password (%s of %d allowed)",
                    username,
                    failures,
                    self._attempts_allowed,
                )
