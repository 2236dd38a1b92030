"""opsi's exception classes as they appear on the wire (`class` in JSON-RPC errors).

Only the class name and message travel; the server's Python types do not matter to a client.
"""

from __future__ import annotations


class OpsiError(Exception):
    """An error a method raises; `cls` is the class name opsiconfd reports."""

    cls = "OpsiError"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _make(name: str) -> type[OpsiError]:
    return type(name, (OpsiError,), {"cls": name})


# Python built-ins opsiconfd lets through unchanged
OpsiValueError = _make("ValueError")
OpsiTypeError = _make("TypeError")
OpsiRuntimeError = _make("RuntimeError")
JSONDecodeError = _make("JSONDecodeError")
# opsicommon.exceptions
BackendError = _make("BackendError")
BackendMissingDataError = _make("BackendMissingDataError")
BackendPermissionDeniedError = _make("BackendPermissionDeniedError")
BackendTemporaryError = _make("BackendTemporaryError")
BackendBadValueError = _make("BackendBadValueError")
BackendReferentialIntegrityError = _make("BackendReferentialIntegrityError")
BackendUnaccomplishableError = _make("BackendUnaccomplishableError")
BackendIOError = _make("BackendIOError")
FileNotFoundError_ = _make("FileNotFoundError")
