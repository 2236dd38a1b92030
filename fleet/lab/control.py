"""`fleet lab up | status | down`: the lab's parts, brought up in order and down in reverse,
one `up`/`down` at a time per project (the lab lock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fleet.errors import Locked
from fleet.lab.parts import LabContext, LabPart, Status
from fleet.paths import Paths


def load_parts() -> list[LabPart]:
    """The container hosts, then a simulator for each kind the component table needs, in
    table order. Brought up in this order, taken down in reverse."""
    from fleet.lab.hosts import ContainerHosts
    from fleet.lab.sim.part import simulators

    return [ContainerHosts(), *simulators()]


def lock_path(project_root: Path) -> Path:
    return Paths.at(project_root).locks / "lab.lock"


@contextmanager
def lab_lock(project_root: Path, command: str = "fleet lab") -> Iterator[None]:
    """One `up`/`down` at a time per project. A second one does not wait: it fails with exit 4
    (Locked) naming the holder (user, pid, command, since). The kernel drops the lock when its
    holder dies, so a crashed `up` never leaves the lab locked."""
    from fleet.runner.lock import SiteLock, describe

    lock = SiteLock(lock_path(project_root).parent, "lab", command)
    try:
        lock.acquire()
    except Locked as exc:
        holder = getattr(exc, "holder", {})
        error = Locked(f"the lab is busy: {describe(holder)} holds {lock.path}")
        error.holder = holder
        raise error from None
    try:
        yield
    finally:
        lock.release()


def lab_up(ctx: LabContext, parts: list[LabPart] | None = None) -> list[Status]:
    result: list[Status] = []
    with lab_lock(ctx.project_root, ctx.command):
        for part in parts if parts is not None else load_parts():
            result.extend(part.up(ctx))
        if ctx.registry_path is not None:
            from fleet.lab.inventory import write_inventory

            write_inventory(ctx.project_root, ctx.registry_path)
    return result


def lab_status(ctx: LabContext, parts: list[LabPart] | None = None) -> list[Status]:
    result: list[Status] = []
    for part in parts if parts is not None else load_parts():
        result.extend(part.status(ctx))
    return result


def lab_down(ctx: LabContext, parts: list[LabPart] | None = None) -> list[str]:
    from fleet.lab import state

    removed: list[str] = []
    with lab_lock(ctx.project_root, ctx.command):
        for part in reversed(parts if parts is not None else load_parts()):
            removed.extend(part.down(ctx))
        removed.extend(f"file {name}" for name in state.clear(ctx.project_root))
    return removed
