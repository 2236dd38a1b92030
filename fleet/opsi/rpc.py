"""The opsiconfd JSON-RPC client (`POST https://HOST:4447/rpc`) and its WebDAV repository.

One `requests.Session` per client (the `opsiconfd-session` cookie and the connection are kept
for every call of a run). Calls can be sent one by one or as one batch (a JSON array: one
HTTP request, one answer per call). TLS is verified against the given CA on every request; the
session ignores the environment (`trust_env = False`), so REQUESTS_CA_BUNDLE cannot replace it.

Every call is counted (`calls`): reads (`*_get*`, `backend_*`, `accessControl_*`, file
downloads) and writes (everything else, file uploads), and HTTP requests. A JSON-RPC error
raises `RpcError` with opsi's message and class; no answer (refused, reset, timed out) raises
`Unreachable`. Standard library and `requests` only: the Ansible modules use this file too
(plugins/module_utils/fleet_opsi_rpc.py is a symlink to it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

REPOSITORY = "/var/lib/opsi/repository"


class RpcError(Exception):
    """opsiconfd answered and refused (JSON-RPC error, HTTP error)."""

    def __init__(self, message: str, cls: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.cls = cls
        self.status = status


class Unreachable(RpcError):
    """No answer: refused, reset, timed out."""


@dataclass
class Calls:
    reads: int = 0
    writes: int = 0
    requests: int = 0
    methods: list[str] = field(default_factory=list)

    def count(self, method: str) -> None:
        self.methods.append(method)
        if "_get" in method or method.startswith(("backend_", "accessControl_", "GET ")):
            self.reads += 1
        else:
            self.writes += 1

    def to_dict(self) -> dict[str, int]:
        return {"reads": self.reads, "writes": self.writes, "requests": self.requests}


def credentials(username: str | None, password: str | None, path: str | None) -> tuple[str, str]:
    """The login: given directly (vault), or from a JSON file with `username` and `password`
    (the lab's per-device credentials file)."""
    if username and password:
        return username, password
    if not path:
        raise ValueError(
            "no opsi credentials: set opsi_api_username/opsi_api_password in the vault "
            "(or an api credentials file)"
        )
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the opsi credentials file {path}: {exc}") from exc
    if not isinstance(data, dict) or not data.get("username") or not data.get("password"):
        raise ValueError(f"{path}: expected a JSON object with 'username' and 'password'")
    return str(data["username"]), str(data["password"])


class Client:
    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        ca: str | None = None,
        timeout: float = 30.0,
    ):
        import requests

        self.url = url.rstrip("/")
        self.ca = ca
        self.timeout = timeout
        self.calls = Calls()
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (username, password)
        self.session.headers["User-Agent"] = "fleet"
        self._id = 0

    def close(self) -> None:
        self.session.close()

    def _request(self, method: str, path: str, **kwargs: Any):
        import requests

        url = f"{self.url}{path}"
        self.calls.requests += 1
        try:
            return self.session.request(
                method,
                url,
                verify=self.ca if self.ca else True,
                timeout=self.timeout,
                allow_redirects=False,
                **kwargs,
            )
        except requests.Timeout as exc:
            raise Unreachable(f"{self.url}: no answer within {self.timeout:g} s") from exc
        except requests.ConnectionError as exc:
            raise Unreachable(f"{self.url}: {_reason(exc)}") from exc

    def _payload(self, method: str, params: list) -> dict[str, Any]:
        self._id += 1
        self.calls.count(method)
        return {"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}

    def _post(self, payload: Any) -> Any:
        answer = self._request("POST", "/rpc", json=payload)
        try:
            data = answer.json()
        except ValueError:
            data = None
        if answer.status_code != 200:
            message = _error_text(data) or answer.reason or "error"
            raise RpcError(
                f"{self.url}: HTTP {answer.status_code}: {message}", status=answer.status_code
            )
        if data is None:
            raise RpcError(f"{self.url}: the answer is not JSON")
        return data

    def call(self, method: str, *params: Any) -> Any:
        return _result(self._post(self._payload(method, list(params))), method)

    def batch(self, calls: list[tuple[str, list]]) -> list[Any]:
        """Several calls in one HTTP request; their results in order (the first error raises)."""
        payloads = [self._payload(m, p) for m, p in calls]
        data = self._post(payloads)
        if not isinstance(data, list) or len(data) != len(payloads):
            raise RpcError(f"{self.url}: a batch of {len(payloads)} got a malformed answer")
        by_id = {item.get("id"): item for item in data if isinstance(item, dict)}
        return [_result(by_id.get(p["id"], {}), p["method"]) for p in payloads]

    # repository (WebDAV) ---------------------------------------------------------------------
    def get_file(self, name: str) -> bytes:
        self.calls.count(f"GET {name}")
        answer = self._request("GET", f"/repository/{name}")
        if answer.status_code != 200:
            raise RpcError(
                f"{self.url}/repository/{name}: HTTP {answer.status_code}",
                status=answer.status_code,
            )
        return answer.content

    def put_file(self, name: str, data: bytes) -> None:
        self.calls.count(f"PUT {name}")
        answer = self._request("PUT", f"/repository/{name}", data=data)
        if answer.status_code not in (200, 201, 204):
            raise RpcError(
                f"{self.url}/repository/{name}: upload refused (HTTP {answer.status_code})",
                status=answer.status_code,
            )


def _error_text(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(error or "")


def _result(item: Any, method: str) -> Any:
    if not isinstance(item, dict):
        raise RpcError(f"{method}: no answer in the batch")
    error = item.get("error")
    if error:
        cls = None
        if isinstance(error, dict):
            cls = (error.get("data") or {}).get("class") or error.get("class")
        raise RpcError(f"{method}: {_error_text(item)}", cls)
    return item.get("result")


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Connection aborted",
                   "RemoteDisconnected", "timed out", "certificate verify failed"):  # fmt: skip
        if marker in text:
            return marker.replace("RemoteDisconnected", "connection closed without an answer")
    return " ".join(text.split())[:200]
