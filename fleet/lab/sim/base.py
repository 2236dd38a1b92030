"""The contract between the simulator server (transport, TLS, faults, persistence) and the
per-API device logic (PVE, OPNsense, opsiconfd).

The server owns sockets, TLS, fault injection and atomic state files; a device only turns a
`Request` into a `Response` and exposes its state as JSON-serialisable data. Keeping devices
free of I/O makes them testable without a socket and lets one process serve hundreds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Request:
    method: str  # "GET", "POST", …
    path: str  # URL path without the query string, e.g. "/api2/json/nodes"
    query: Mapping[str, list[str]] = field(default_factory=dict)  # parsed query string
    headers: Mapping[str, str] = field(default_factory=dict)  # keys lower-cased
    body: bytes = b""
    remote: str = "127.0.0.1"
    # which client connection carried it (the server numbers them from 1; 0 = unknown): a
    # firewall's packet filter judges the first request of a connection and keeps the state
    connection: int = 0

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # HTTP reason phrase; PVE puts error text here
    cut: bool = False  # no answer at all: the server closes the connection (a filtered packet)


class Device(Protocol):
    """One simulated appliance (one per lab site)."""

    name: str

    def handle(self, request: Request) -> Response:
        """Answer one request. Must be quick and never raise: errors become API error bodies."""

    def snapshot(self) -> dict[str, Any]:
        """JSON-serialisable state; the server writes it atomically after each mutating call.
        The server encodes it at once (no await in between), so it may be the live state."""

    def credentials(self) -> dict[str, str]:
        """What a client needs to log in (PVE: token_id/token_secret; OPNsense: key/secret;
        opsi: username/password)."""

    def error_response(self, status: int) -> Response:
        """The API's own body for an injected HTTP error (500/502/503)."""


class DeviceFactory(Protocol):
    """Builds a device from its name and saved state (None on first start)."""

    kind: str  # the kind it builds, as named in fleet.lab.sim.kinds.KINDS

    def __call__(
        self, name: str, index: int, state: dict[str, Any] | None, seed: int
    ) -> Device: ...
