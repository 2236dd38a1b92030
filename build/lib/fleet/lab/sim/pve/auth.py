"""Authentication (API token, ticket + CSRF token) and permission checks.

Tickets and CSRF tokens are HMACs over the user and time with a per-device secret, so they
survive a simulator restart with the state and expire after two hours like PVE's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

from .errors import AuthFailed, PermissionDenied

TICKET_LIFETIME = 7200
_TOKEN_HEADER = re.compile(r"(?:^|\s)PVEAPIToken(?:=| )([^;]*)")
_TOKEN_VALUE = re.compile(r"^([^\s!]+@[^\s!]+)!([A-Za-z][A-Za-z0-9.\-_]+)=(\S+)$")
_TICKET_AUTH = re.compile(r"(?:^|\s)PVEAuthCookie=([^;\s]+)")


@dataclass
class Identity:
    userid: str  # e.g. root@pam
    tokenid: str | None = None  # e.g. fleet
    superuser: bool = False
    ticket: bool = False

    @property
    def name(self) -> str:
        """What tasks record as their user: user@realm or user@realm!token."""
        return f"{self.userid}!{self.tokenid}" if self.tokenid else self.userid


def _sign(secret: str, text: str) -> str:
    mac = hmac.new(bytes.fromhex(secret), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode().rstrip("=")


def make_ticket(secret: str, userid: str, now: float) -> str:
    plain = f"PVE:{userid}:{int(now):08X}"
    return f"{plain}::{_sign(secret, plain)}"


def make_csrf(secret: str, userid: str, now: float) -> str:
    stamp = f"{int(now):08X}"
    return f"{stamp}:{_sign(secret, f'{stamp}:{userid}')}"


def check_ticket(secret: str, ticket: str, now: float) -> str | None:
    m = re.fullmatch(r"PVE:([^:]+):([0-9A-F]{8})::(.+)", ticket)
    if not m:
        return None
    plain = f"PVE:{m.group(1)}:{m.group(2)}"
    if not hmac.compare_digest(_sign(secret, plain), m.group(3)):
        return None
    age = now - int(m.group(2), 16)
    if age < -300 or age > TICKET_LIFETIME:
        return None
    return m.group(1)


def check_csrf(secret: str, userid: str, token: str | None, now: float) -> bool:
    if not token or ":" not in token:
        return False
    stamp, _, sig = token.partition(":")
    if not re.fullmatch(r"[0-9A-F]{8}", stamp):
        return False
    if not hmac.compare_digest(_sign(secret, f"{stamp}:{userid}"), sig):
        return False
    return -300 <= now - int(stamp, 16) <= TICKET_LIFETIME


def _user_ok(state: dict[str, Any], userid: str, now: float) -> dict[str, Any] | None:
    user = state["users"].get(userid)
    if not user or not user.get("enable", 1):
        return None
    if user.get("expire") and user["expire"] < now:
        return None
    return user


def authenticate(state: dict[str, Any], headers: Any, now: float) -> Identity:
    """Identify the caller or raise AuthFailed (401)."""
    authz = headers.get("authorization") or ""
    m = _TOKEN_HEADER.search(authz)
    if m:
        value = _TOKEN_VALUE.match(unquote(m.group(1)).strip())
        if not value:
            raise AuthFailed("Authentication failed!")
        userid, tokenid, secret = value.groups()
        user = _user_ok(state, userid, now)
        token = (user or {}).get("tokens", {}).get(tokenid)
        if not token or not hmac.compare_digest(token["secret"], secret):
            raise AuthFailed("Authentication failed!")
        if token.get("expire") and token["expire"] < now:
            raise AuthFailed("Authentication failed!")
        superuser = userid == "root@pam" and not token.get("privsep", 1)
        return Identity(userid=userid, tokenid=tokenid, superuser=superuser)
    ticket = None
    cookie_header = headers.get("cookie")
    if cookie_header:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(cookie_header)
        except Exception:  # a malformed cookie header is just no ticket
            cookie = SimpleCookie()
        if "PVEAuthCookie" in cookie:
            ticket = unquote(cookie["PVEAuthCookie"].value)
    if ticket is None:
        m = _TICKET_AUTH.search(authz)
        if m:
            ticket = unquote(m.group(1))
    if ticket is None:
        raise AuthFailed("No ticket")
    userid = check_ticket(state["secret"], ticket, now)
    if userid is None or _user_ok(state, userid, now) is None:
        raise AuthFailed("Authentication failed!")
    return Identity(userid=userid, superuser=userid == "root@pam", ticket=True)


def login(state: dict[str, Any], username: str, password: str, realm: str | None):
    """Check a password; the userid on success, None on failure."""
    userid = username if "@" in username else f"{username}@{realm or 'pam'}"
    user = state["users"].get(userid)
    if not user or not user.get("enable", 1) or not user.get("password"):
        return None
    if not hmac.compare_digest(user["password"], password):
        return None
    return userid


# --- permissions -------------------------------------------------------------------------


def _fill(path: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: str(params.get(m.group(1), "")), path)


def _allowed(check: list[Any], ident: Identity, params: dict[str, Any]) -> tuple[bool, str]:
    kind = check[0]
    if kind in ("and", "or"):
        details = []
        for sub in check[1:]:
            ok, detail = _allowed(sub, ident, params)
            if kind == "or" and ok:
                return True, ""
            if kind == "and" and not ok:
                return False, detail
            details.append(detail)
        return kind == "and", (details[0] if details else "")
    if kind == "perm":
        privs = check[2]
        return ident.superuser, f"{_fill(check[1], params)}, {'|'.join(privs)}"
    if kind == "userid-param":
        if check[1] == "self":
            return params.get("userid") == ident.userid, "/access, self"
        realm = str(params.get("userid", "@")).split("@")[-1]
        return ident.superuser, f"/access/realm/{realm}, {check[1]}"
    if kind == "userid-group":
        return ident.superuser, f"/access/groups, {'|'.join(check[1])}"
    return ident.superuser, "/, Sys.Audit"


def check_permissions(permissions: dict[str, Any], ident: Identity, params: dict[str, Any]):
    """Raise PermissionDenied when the schema's permission check fails for `ident`."""
    check = permissions.get("check")
    if not check or ident.superuser:
        return
    ok, detail = _allowed(check, ident, params)
    if not ok:
        raise PermissionDenied(detail)


def require(ident: Identity, path: str, priv: str) -> None:
    """A privilege check made inside a handler (for `user: all` endpoints)."""
    if not ident.superuser:
        raise PermissionDenied(f"{path}, {priv}")
