"""Password hashes that record their costs, scrypt hashes of earlier releases renewed at login,
and the lockout after failed logins in a row, which only an administrator lifts."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
import secrets
from pathlib import Path

import argon2
import pytest
from sqlalchemy import select, update

from core.db.models import User
from core.enums import EventType
from core.errors import NotFound
from core.services.container import Services
from core.services.identity import IdentityService, Passwords
from core.settings import CoreSettings
from core.views import Caller, NewAccount


def _stored_hash(services: Services, username: str) -> str:
    with services.db.transaction() as session:
        return session.scalars(select(User.password_hash).where(User.username == username)).one()


def _store_hash(services: Services, username: str, stored: str) -> None:
    with services.db.transaction() as session:
        session.execute(update(User).where(User.username == username).values(password_hash=stored))


def _scrypt_hash(password: str) -> str:
    """What releases before argon2 stored: ``scrypt$<salt>$<digest>`` at n=2^14, r=8, p=1."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _identity(services: Services, settings: CoreSettings) -> IdentityService:
    """A second identity service on the same database, with other settings."""
    return IdentityService(services.db, settings)


@pytest.fixture
def carol(services: Services) -> NewAccount:
    return services.identity.create_account("carol", password="carols-secret")


def test_default_costs_are_argon2_cffis_recommended_profile() -> None:
    settings = CoreSettings(
        database_url="sqlite://", libvirt_uri="test:///default", data_dir=Path(".")
    )
    profile = argon2.profiles.RFC_9106_LOW_MEMORY
    assert (
        settings.password_time_cost,
        settings.password_memory_cost,
        settings.password_parallelism,
    ) == (profile.time_cost, profile.memory_cost, profile.parallelism)
    assert settings.login_attempts_allowed == 5


def test_a_hash_records_its_algorithm_and_costs(services: Services, carol: NewAccount) -> None:
    stored = _stored_hash(services, carol.username)
    assert stored.startswith("$argon2id$v=19$m=64,t=1,p=1$")  # the unit tests' settings
    assert argon2.extract_parameters(stored) == argon2.Parameters(
        type=argon2.Type.ID,
        version=19,
        salt_len=16,
        hash_len=32,
        time_cost=1,
        memory_cost=64,
        parallelism=1,
    )


@pytest.mark.parametrize(
    ("stored", "password", "verifies"),
    [
        pytest.param(_scrypt_hash("old-secret"), "old-secret", True, id="scrypt-right"),
        pytest.param(_scrypt_hash("old-secret"), "old-secreT", False, id="scrypt-wrong"),
        pytest.param("$argon2id$v=19$m=64,t=1,p=1$not-a-hash", "x", False, id="argon2-garbled"),
        pytest.param("md5$abc", "x", False, id="unknown-scheme"),
    ],
)
def test_verify(stored: str, password: str, verifies: bool) -> None:
    passwords = Passwords(time_cost=1, memory_cost=64, parallelism=1)
    assert passwords.verify(password, stored) is verifies


def test_an_scrypt_hash_is_renewed_as_argon2id_at_the_next_login(
    services: Services, carol: NewAccount
) -> None:
    old = _scrypt_hash("carols-secret")
    _store_hash(services, carol.username, old)
    with pytest.raises(NotFound):
        services.identity.login(carol.username, "wrong")
    assert _stored_hash(services, carol.username) == old  # a failed login renews nothing
    services.identity.login(carol.username, "carols-secret")
    renewed = _stored_hash(services, carol.username)
    assert renewed.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert services.identity.authenticate_password(carol.username, "carols-secret")


def test_a_hash_at_old_costs_is_renewed_at_the_new_ones(
    services: Services, carol: NewAccount
) -> None:
    stronger = _identity(
        services,
        dataclasses.replace(services.settings, password_time_cost=2, password_memory_cost=128),
    )
    stronger.authenticate_password(carol.username, "carols-secret")
    assert _stored_hash(services, carol.username).startswith("$argon2id$v=19$m=128,t=2,p=1$")
    services.identity.login(carol.username, "carols-secret")  # old costs still verify
    assert _stored_hash(services, carol.username).startswith("$argon2id$v=19$m=64,t=1,p=1$")


def test_failed_logins_in_a_row_lock_the_user_even_to_the_right_password(
    services: Services, carol: NewAccount, admin: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(4):
        with pytest.raises(NotFound):
            services.identity.login(carol.username, "guess")
    services.identity.login(carol.username, "carols-secret")  # the count starts afresh
    with caplog.at_level(logging.INFO, logger="core.services.identity"):
        for _ in range(5):
            with pytest.raises(NotFound):
                services.identity.login(carol.username, "guess")
        with pytest.raises(NotFound):
            services.identity.login(carol.username, "carols-secret")
        with pytest.raises(NotFound):
            services.identity.authenticate_password(carol.username, "carols-secret")
    logged = [r.getMessage() for r in caplog.records]
    assert "user carol locked after 5 failed password logins in a row" in logged
    assert sum("refused login for carol: locked since" in m for m in logged) == 2
    assert services.identity.user_by_access_key(admin, carol.access_key).locked


def test_the_allowance_is_a_setting(services: Services, carol: NewAccount) -> None:
    strict = _identity(services, dataclasses.replace(services.settings, login_attempts_allowed=1))
    with pytest.raises(NotFound):
        strict.login(carol.username, "guess")
    with pytest.raises(NotFound):
        strict.login(carol.username, "carols-secret")


def test_keys_and_sessions_keep_working_while_the_password_is_locked(
    services: Services, carol: NewAccount
) -> None:
    session = services.identity.login(carol.username, "carols-secret")
    for _ in range(5):
        with pytest.raises(NotFound):
            services.identity.authenticate_password(carol.username, "guess")
    caller = services.identity.signing_key(carol.access_key).caller
    assert services.identity.session_caller(session.session_key) == caller


def test_an_admin_enables_a_locked_user(
    services: Services, carol: NewAccount, admin: Caller, alice: Caller
) -> None:
    for _ in range(5):
        with pytest.raises(NotFound):
            services.identity.login(carol.username, "guess")
    with pytest.raises(NotFound):
        services.identity.enable_user(alice, str(carol.user_id))  # not an administrator
    with pytest.raises(NotFound):
        services.identity.enable_user(admin, "not-a-user")
    enabled = services.identity.enable_user(admin, str(carol.user_id))
    assert enabled.username == carol.username and not enabled.locked
    services.identity.login(carol.username, "carols-secret")
    for _ in range(4):  # the count started afresh
        with pytest.raises(NotFound):
            services.identity.login(carol.username, "guess")
    services.identity.login(carol.username, "carols-secret")
    events = services.events.list_events(services.identity.caller_for(carol.account.name)).items
    said = [(e.type, e.description) for e in events if e.type.value.startswith("USER.")]
    assert said == [
        (EventType.USER_ENABLE, "user carol unlocked"),
        (EventType.USER_LOCK, "user carol locked after 5 failed logins"),
    ]


def test_every_refusal_costs_one_password_check(
    services: Services, carol: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown name and a locked user are refused only after a hash is checked, as a wrong
    password is: how long a refusal takes does not say which names exist or are locked."""
    checked: list[str] = []
    verify = Passwords.verify

    def counted(self: Passwords, password: str, stored: str) -> bool:
        checked.append(password)
        return verify(self, password, stored)

    monkeypatch.setattr(Passwords, "verify", counted)
    for username in ("nobody", carol.username):
        with pytest.raises(NotFound):
            services.identity.login(username, "guess")
    for _ in range(5):
        with pytest.raises(NotFound):
            services.identity.login(carol.username, "guess")
    checked.clear()
    with pytest.raises(NotFound):
        services.identity.login(carol.username, "carols-secret")  # locked
    with pytest.raises(NotFound):
        services.identity.login("nobody", "guess")
    assert checked == ["carols-secret", "guess"]
