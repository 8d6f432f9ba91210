"""Accounts and users: one domain (ROOT), accounts with their first user and keys."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from core.enums import AccountState, Settle
from core.views import AccountQuery, UserView
from gateway.native import objects
from gateway.native.jobs import settled
from gateway.native.registry import (
    ACCOUNT_LIST_PARAMS,
    Call,
    CommandSet,
    Listing,
    Param,
    ParamType,
    Reply,
    Single,
    param_error,
)

commands = CommandSet()
_ADMIN_TYPE: Final = 1
# CloudStack's account states are enabled, disabled and locked (lowercase on the wire); it has
# no "deleting": an account being deleted can no longer sign in, as a disabled one.
_STATES: Final[Mapping[AccountState, str]] = MappingProxyType(
    {
        AccountState.ENABLED: "enabled",
        AccountState.DELETING: "disabled",
        AccountState.DELETED: "disabled",  # never listed
    }
)
_LISTED: Final = (AccountState.ENABLED, AccountState.DELETING)  # a deleted one never is


@commands.command(
    "listAccounts",
    "Lists accounts the caller may see",
    (
        *ACCOUNT_LIST_PARAMS,
        Param("id", ParamType.UUID, "The account id"),
        Param("name", ParamType.STRING, "The account name"),
        Param("accounttype", ParamType.INTEGER, "0 user, 1 admin"),
        Param("state", ParamType.STRING, "Account state: enabled, or disabled while being deleted"),
    ),
    response_key="account",
)
def list_accounts(call: Call) -> Reply:
    """Administrators see every account, ``listall`` or not: this cloud has one domain, ROOT.
    ``name`` and ``account`` both name one. A type, a state or two names that can match
    nothing answer an empty list without asking core."""
    kind, state = call.args.get("accounttype"), call.args.get("state")
    names = {n for n in (call.args.get("name"), call.args.get("account")) if n}
    states = tuple(s for s in _LISTED if state is None or state.lower() == _STATES[s])
    if kind not in (None, 0, _ADMIN_TYPE) or not states or len(names) > 1:
        return Listing("account", [], 0)
    one = call.args.get("id")
    query = AccountQuery(
        ids=(str(one),) if one else (),
        names=tuple(names),
        name_contains=call.args.get("keyword") or "",
        is_admin=None if kind is None else kind == _ADMIN_TYPE,
        states=states,
        offset=call.window.offset,
        limit=call.window.limit,
    )
    page = call.services.identity.list_accounts(call.caller, query)
    domain = objects.domain(call.services)
    found = [{**objects.account(a, domain), "state": _STATES[a.state]} for a in page.items]
    return Listing("account", found, page.total)


@commands.command(
    "createAccount",
    "Creates an account with its first user and API keys (admins)",
    (
        Param("username", ParamType.STRING, "The first user's login", required=True),
        Param("password", ParamType.STRING, "The first user's password", required=True),
        Param("email", ParamType.STRING, "E-mail (kept by the client; not stored)"),
        Param("firstname", ParamType.STRING, "First name (not stored)"),
        Param("lastname", ParamType.STRING, "Last name (not stored)"),
        Param("account", ParamType.STRING, "The account name; the username when absent"),
        Param("accounttype", ParamType.INTEGER, "0 for a user account, 1 for an admin"),
        Param("roleid", ParamType.UUID, "Role (the account type decides here)"),
        Param("domainid", ParamType.UUID, "The domain; ROOT", related="listDomains"),
        Param("timezone", ParamType.STRING, "Time zone (UTC here)"),
    ),
    admin_only=True,
    response_key="account",
)
def create_account(call: Call) -> Reply:
    domain = objects.domain(call.services)
    wanted = call.args.get("domainid")
    if wanted is not None and str(wanted) != domain:
        raise param_error(f"Unable to find domain by id {wanted}")
    kind = call.args.get("accounttype", 0)
    if kind not in (0, _ADMIN_TYPE):
        raise param_error("accounttype must be 0 (user) or 1 (admin)")
    created = call.services.identity.create_account(
        call.args.get("account") or call.args["username"],
        admin=kind == _ADMIN_TYPE,
        username=call.args["username"],
        password=call.args["password"],
    )
    user = call.services.identity.user_by_access_key(call.caller, created.access_key)
    rendered = objects.account(created.account, domain)
    rendered["user"] = [{**objects.user(user, domain), "secretkey": created.secret_key}]
    return Single("account", rendered)


@commands.command(
    "deleteAccount",
    "Deletes an account and everything it owns (admins)",
    (Param("id", ParamType.UUID, "The account", required=True, related="listAccounts"),),
    is_async=True,
    admin_only=True,
)
def delete_account(call: Call) -> Reply:
    ref = str(call.args["id"])
    return settled(call.services.identity.delete_account(call.caller, ref, settle=Settle.AS_JOB))


def _user(view: UserView, domain: str) -> dict[str, Any]:
    """CloudStack's user states are enabled, disabled and locked; a user is locked here by
    too many failed password logins."""
    return {**objects.user(view, domain), "state": "locked" if view.locked else "enabled"}


@commands.command(
    "getUser",
    "Finds the user holding an API key",
    (Param("userapikey", ParamType.STRING, "The user's API key", required=True),),
    response_key="user",
)
def get_user(call: Call) -> Reply:
    domain = objects.domain(call.services)
    found = call.services.identity.user_by_access_key(call.caller, call.args["userapikey"])
    return Single("user", _user(found, domain))


@commands.command(
    "enableUser",
    "Enables a user: lifts the lock that failed password logins put on it (admins)",
    (Param("id", ParamType.UUID, "The user", required=True),),
    admin_only=True,
    response_key="user",
)
def enable_user(call: Call) -> Reply:
    """CloudStack's ``enableUser`` is synchronous and answers the user (``UserResponse``)."""
    found = call.services.identity.enable_user(call.caller, str(call.args["id"]))
    return Single("user", _user(found, objects.domain(call.services)))
