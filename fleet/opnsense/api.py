"""The OPNsense REST API client: `https://HOST/api/<module>/<controller>/<action>`.

One `requests.Session` per client, so every call of a module run goes over one kept-alive
connection: pf keeps an established connection's state when the filter is reloaded, which is
what lets fleet undo a filter change that cuts new connections off (reconcile.py). `fresh()`
gives a client on a new connection, to check that new connections still get in.

TLS: verified against `ca` (or the system's store) on every request. The session does not read
the environment (`trust_env = False`): `requests` would otherwise let REQUESTS_CA_BUNDLE replace
the CA given here.

Every call is counted (`calls`): `read` (GET, and POSTed searches), `write` (add/set/del/move),
`apply` (reconfigure/apply), and `safety` (the safe apply's savepoint, backup download,
reachability probe, confirmation, rollback: reconcile.py relabels them). A failing answer raises `ApiError` with the
API's own message; no answer at all (refused, reset, timed out) raises `Unreachable`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

READ, WRITE, APPLY, SAFETY = "read", "write", "apply", "safety"


class ApiError(Exception):
    """The API answered, and said no (HTTP error, `result: failed`, validations)."""

    def __init__(self, message: str, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class Unreachable(ApiError):
    """No answer: connection refused, reset or timed out."""


@dataclass
class Calls:
    """What a client sent: counts per kind and the calls in order (method, path, kind)."""

    log: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for _, _, k in self.log if k == kind)

    @property
    def reads(self) -> int:
        return self.count(READ)

    @property
    def writes(self) -> int:
        return self.count(WRITE)

    @property
    def applies(self) -> int:
        return self.count(APPLY)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "writes": self.writes,
            "applies": self.applies,
            "safety": self.count(SAFETY),
        }


def _message(body: Any) -> str:
    """The API's own words: errorMessage/message, validations, or the body's start."""
    if isinstance(body, dict):
        if body.get("validations"):
            found = body["validations"]
            parts = [f"{k}: {'; '.join(v) if isinstance(v, list) else v}" for k, v in found.items()]
            return "validation failed: " + ", ".join(parts)
        for key in ("errorMessage", "message", "status", "result"):
            if body.get(key):
                title = body.get("errorTitle")
                text = str(body[key]).strip()
                return f"{title}: {text}" if title else text
    text = body if isinstance(body, str) else json.dumps(body)
    return " ".join(text.split())[:300]


class Client:
    def __init__(
        self,
        url: str,
        key: str,
        secret: str,
        ca: str | None = None,
        timeout: float = 30.0,
        calls: Calls | None = None,
    ):
        import requests

        self.url = url.rstrip("/")
        self.ca = ca
        self.timeout = timeout
        self.calls = calls if calls is not None else Calls()
        self._key, self._secret = key, secret
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (key, secret)
        self.session.headers["User-Agent"] = "fleet"

    def fresh(self, timeout: float | None = None) -> Client:
        """A client on a new connection (same credentials, same call log)."""
        return Client(
            self.url, self._key, self._secret, self.ca, timeout or self.timeout, self.calls
        )

    def close(self) -> None:
        self.session.close()

    # ---- calls ----------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: Any, kind: str) -> Any:
        import requests

        url = f"{self.url}/api/{path}"
        self.calls.log.append((method, path, kind))
        try:
            answer = self.session.request(
                method,
                url,
                json=body if method == "POST" else None,
                verify=self.ca if self.ca else True,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise Unreachable(f"{method} {url}: no answer within {self.timeout:g} s") from exc
        except requests.ConnectionError as exc:
            raise Unreachable(f"{method} {url}: {_reason(exc)}") from exc
        return answer

    def _json(self, method: str, path: str, body: Any, kind: str) -> Any:
        answer = self._send(method, path, body, kind)
        try:
            data = answer.json() if answer.content else None
        except ValueError:
            data = answer.text
        if answer.status_code != 200:
            raise ApiError(
                f"{method} /api/{path}: HTTP {answer.status_code}: {_message(data)}",
                answer.status_code,
                data,
            )
        if isinstance(data, dict) and str(data.get("result", "")).lower() == "failed":
            raise ApiError(f"{method} /api/{path}: {_message(data)}", 200, data)
        return data

    def read(self, path: str, body: Any = None) -> Any:
        """GET, or POST when a body is given (searches)."""
        return self._json("POST" if body is not None else "GET", path, body, READ)

    def write(self, path: str, body: Any = None) -> Any:
        return self._json("POST", path, body if body is not None else {}, WRITE)

    def apply(self, path: str) -> Any:
        data = self._json("POST", path, {}, APPLY)
        status = str(data.get("status", "")).strip().lower() if isinstance(data, dict) else ""
        if status not in ("ok", ""):
            raise ApiError(f"POST /api/{path}: {_message(data)}", 200, data)
        return data

    def download(self, path: str) -> str:
        """A file the API hands out (config.xml): its text."""
        answer = self._send("GET", path, None, READ)
        if answer.status_code != 200:
            raise ApiError(
                f"GET /api/{path}: HTTP {answer.status_code}", answer.status_code, answer.text
            )
        return answer.content.decode("utf-8", "replace")


def _reason(exc: Exception) -> str:
    """The innermost cause of a connection error, in a few words."""
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Connection aborted",
                   "RemoteDisconnected", "timed out", "certificate verify failed"):  # fmt: skip
        if marker in text:
            return marker.replace("RemoteDisconnected", "connection closed without an answer")
    return " ".join(text.split())[:200]


def credentials(key: str | None, secret: str | None, path: str | None) -> tuple[str, str]:
    """The API key and secret: given directly (vault), or read from a JSON file with `key` and
    `secret` (the lab's per-device credentials file)."""
    if key and secret:
        return key, secret
    if not path:
        raise ValueError(
            "no API credentials: set opnsense_api_key and opnsense_api_secret in the site's vault "
            "file (or fleet_opnsense_api_credentials_file)"
        )
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the API credentials file {path}: {exc}") from exc
    if not isinstance(data, dict) or not data.get("key") or not data.get("secret"):
        raise ValueError(f"{path}: expected a JSON object with 'key' and 'secret'")
    return str(data["key"]), str(data["secret"])
