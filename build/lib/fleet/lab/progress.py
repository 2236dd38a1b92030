"""Progress events: the lab core reports what it is doing; the CLI decides how to show it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    stage: str  # e.g. "image:base", "host:dc1.0450050k.lab.fleet.test"
    message: str
    step: int | None = None  # lines/items done so far, when known
    total: int | None = None


ProgressFn = Callable[[Event], None]


def emitter(progress: ProgressFn | None) -> ProgressFn:
    """A callback that is safe to call even when nobody listens."""
    return progress if progress is not None else (lambda _event: None)
