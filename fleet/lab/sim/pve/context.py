"""What a handler sees (`Ctx`) and what it may return besides plain data (`Reply`).

Handlers depend on this module, never on the device, so the routing table can import them
and the device can take the table without an import cycle.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from . import tasks
from .auth import Identity


@dataclass
class Reply:
    """A handler result with extra envelope keys (`total`, `changes`)."""

    data: Any
    extra: dict[str, Any]


class Ctx:
    """The state a handler may change, the time of the request, the caller."""

    def __init__(self, state: dict[str, Any], now: float, ident: Identity | None):
        self.state = state
        self.now = now
        self.ident = ident

    @property
    def node(self) -> str:
        return self.state["node"]["name"]

    def random_bytes(self, n: int) -> bytes:
        """Deterministic per device and restart-safe: a counter kept in the state."""
        self.state["rng_counter"] = self.state.get("rng_counter", 0) + 1
        seed = f"{self.state['secret']}:{self.state['rng_counter']}".encode()
        return hashlib.sha256(seed).digest()[:n]

    def uuid(self) -> str:
        return str(uuid.UUID(bytes=self.random_bytes(16), version=4))

    def task(self, kind: str, ident: str, effect=None, log=None, error=None) -> str:
        user = self.ident.name if self.ident else "root@pam"
        return tasks.new_task(self.state, self.now, kind, ident, user, effect, log, error)
