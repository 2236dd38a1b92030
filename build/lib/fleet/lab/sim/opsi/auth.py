"""opsiconfd's authentication: HTTP Basic (an opsiadmin user, or a host's FQDN with its
opsiHostKey) and the `opsiconfd-session` cookie that lets a client skip re-sending credentials."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass

COOKIE = "opsiconfd-session"
DEFAULT_LIFETIME = 120  # seconds, opsiconfd's session_lifetime default
MAX_SESSIONS = 2000  # per device; the oldest go first


@dataclass
class Session:
    id: str
    user: str
    is_admin: bool
    host_type: str | None  # None for a user, else the host's type
    expires: float
    lifetime: int


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def cookie_value(header: str | None, name: str = COOKIE) -> str | None:
    for part in (header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


class Sessions:
    def __init__(self):
        self._by_id: dict[str, Session] = {}

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._by_id.get(session_id)
        now = time.monotonic()
        if session is None or session.expires < now:
            self._by_id.pop(session_id or "", None)
            return None
        session.expires = now + session.lifetime
        return session

    def create(
        self, user: str, is_admin: bool, host_type: str | None, lifetime: int | None
    ) -> Session:
        if len(self._by_id) >= MAX_SESSIONS:
            for key in list(self._by_id)[: MAX_SESSIONS // 10]:
                del self._by_id[key]
        life = DEFAULT_LIFETIME if lifetime is None else max(0, min(lifetime, 24 * 3600))
        session = Session(
            secrets.token_hex(16), user, is_admin, host_type, time.monotonic() + life, life
        )
        self._by_id[session.id] = session
        return session

    def set_cookie(self, session: Session) -> str:
        return f"{COOKIE}={session.id}; Max-Age={session.lifetime}; Path=/; SameSite=strict; Secure; HttpOnly"
