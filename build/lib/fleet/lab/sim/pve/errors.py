"""Errors a handler raises; the device turns each into PVE's response (status, reason, body)."""

from __future__ import annotations


class ApiError(Exception):
    """A handler `die`: HTTP 500 (or `status`), reason = first line, body message."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.message = message if message.endswith("\n") else message + "\n"
        self.status = status


class ParamError(ApiError):
    """raise_param_exc: 400 'Parameter verification failed.' with per-parameter errors."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Parameter verification failed.", 400)
        self.errors = errors


class PermissionDenied(ApiError):
    """raise_perm_exc: 403 'Permission check failed (<detail>)'."""

    def __init__(self, detail: str):
        super().__init__(f"Permission check failed ({detail})", 403)


class AuthFailed(Exception):
    """401 from the auth handler: reason phrase only, empty body."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
