"""The Proxmox VE API client fleet's modules share: proxmoxer with an API token, TLS verified
against the given CA on every request, every call counted (reads, writes), tasks waited for by
their UPID with a timeout, errors turned into one `ApiError` carrying PVE's own message.

Standard library and proxmoxer only: the Ansible modules get this file through the
module_utils symlink (plugins/module_utils/fleet_proxmox_api.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TASK_POLL = 0.2  # seconds between two task status reads
TASK_TIMEOUT = 300.0


class ApiError(Exception):
    """A call that failed: PVE's message (first line of its body), the HTTP status if any."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class TaskFailed(ApiError):
    """A task that ended with an exit status other than OK, or did not end in time."""


@dataclass
class Calls:
    reads: int = 0
    writes: int = 0
    polls: int = 0  # task status reads while waiting
    paths: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"reads": self.reads, "writes": self.writes, "polls": self.polls}


def credentials(
    token_id: str | None, token_secret: str | None, credentials_file: str | None
) -> tuple[str, str]:
    """The token (`user@realm!name`, secret) from the options, or from a credentials file
    (JSON with token_id and token_secret, as the lab writes them)."""
    if credentials_file:
        with open(credentials_file, encoding="utf-8") as handle:
            data = json.load(handle)
        token_id = token_id or data.get("token_id")
        token_secret = token_secret or data.get("token_secret")
    if not token_id or not token_secret or "!" not in str(token_id):
        raise ValueError(
            "no PVE API token: give api_token_id (user@realm!name) and api_token_secret, "
            "or api_credentials_file"
        )
    return str(token_id), str(token_secret)


class Client:
    def __init__(
        self,
        url: str,
        token_id: str,
        token_secret: str,
        ca: str | None = None,
        timeout: float = 30.0,
        task_timeout: float = TASK_TIMEOUT,
    ):
        import proxmoxer  # imported here: the pure parts of fleet never need it

        parts = urlsplit(url if "//" in url else f"https://{url}")
        user, _, token_name = token_id.partition("!")
        self._exc = proxmoxer.ResourceException
        self.api = proxmoxer.ProxmoxAPI(
            parts.hostname,
            port=parts.port or 8006,
            user=user,
            token_name=token_name,
            token_value=token_secret,
            verify_ssl=ca if ca else True,
            timeout=timeout,
        )
        self.url = url
        self.task_timeout = task_timeout
        self.calls = Calls()

    def _call(self, method: str, path: str, params: dict[str, Any]) -> Any:
        resource = self.api(path.strip("/"))
        try:
            return getattr(resource, method)(**params)
        except self._exc as exc:
            message = (getattr(exc, "content", None) or "").strip() or str(exc.status_message)
            errors = getattr(exc, "errors", None)
            if errors:
                message += " " + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
            raise ApiError(f"{method.upper()} {path}: {message}", exc.status_code) from None
        except Exception as exc:  # connection refused, timeout, TLS: requests' own errors
            raise ApiError(f"{method.upper()} {path}: {type(exc).__name__}: {exc}") from None

    def get(self, path: str, /, **params: Any) -> Any:
        self.calls.reads += 1
        self.calls.paths.append(f"GET {path}")
        return self._call("get", path, params)

    def write(self, method: str, path: str, /, **params: Any) -> Any:
        self.calls.writes += 1
        self.calls.paths.append(f"{method} {path}")
        return self._call(method.lower(), path, params)

    def wait(self, node: str, upid: Any, what: str) -> None:
        """Wait for a task to stop; raise TaskFailed with its exit status unless it is OK."""
        if not isinstance(upid, str) or not upid.startswith("UPID:"):
            return  # a synchronous answer (null): nothing to wait for
        deadline = time.monotonic() + self.task_timeout
        while True:
            self.calls.polls += 1
            status = self._call("get", f"nodes/{node}/tasks/{upid}/status", {})
            if status.get("status") == "stopped":
                exit_status = status.get("exitstatus", "")
                if exit_status != "OK" and not str(exit_status).startswith("WARNINGS"):
                    raise TaskFailed(f"{what}: task {status.get('type', '')} ended in error: "
                                     f"{exit_status}")  # fmt: skip
                return
            if time.monotonic() > deadline:
                raise TaskFailed(f"{what}: task {upid} still running after {self.task_timeout:g} s")
            time.sleep(TASK_POLL)

    def close(self) -> None:
        session = getattr(getattr(self.api, "_store", {}).get("session"), "close", None)
        if callable(session):
            session()
