"""Errors the core raises; each carries the exit code DESIGN.md assigns to it.

Core modules never print: they raise one of these with a message a person can act on,
and the CLI maps it to its exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CHANGES = 2
EXIT_BAD_INPUT = 3
EXIT_LOCKED = 4
EXIT_INTERRUPTED = 130


class FleetError(Exception):
    """Base class: a failure a person can act on."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, "exit_code": self.exit_code}


class BadInput(FleetError):
    """Usage error, unknown site, invalid file: exit 3."""

    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True)
class Problem:
    """One validation finding: which file, which field, what is wrong and what would be valid."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def to_dict(self) -> dict:
        data = {"file": self.file, "field": self.field, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        return data


@dataclass
class ValidationFailed(BadInput):
    """The registry (or another input file) is invalid; nothing was written."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found; nothing was written"
        BadInput.__init__(self, head + "\n" + "\n".join(f"  {p}" for p in self.problems))

    def to_dict(self) -> dict:
        data = super().to_dict()
        data["problems"] = [p.to_dict() for p in self.problems]
        return data


class Locked(FleetError):
    """Another run holds the site's lock: exit 4."""

    exit_code = EXIT_LOCKED
