"""Per-site lock: fcntl on `.fleet/locks/<UAI>.lock`, holding who took it.

The kernel drops an flock when the last holder of its open file description is gone, so a
crashed run never leaves a stale lock. The run's guard (guard.py) inherits that description:
when fleet dies, the site stays locked until the run's processes are gone too, and then it is
free. The file's content only says who took it (run id, user, pid, command, since).
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from fleet.errors import Locked
from fleet.runner.owner import start_time


def alive(holder: dict) -> bool:
    """Is the process that took the lock still there? (pid and start time: pids are reused;
    a zombie, killed but not yet reaped, has ended.)"""
    try:
        pid = int(holder.get("pid"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    started = start_time(pid)
    return started is not None and started == holder.get("start", started)


def describe(holder: dict) -> str:
    if not holder:
        return "another fleet run (no holder details yet)"
    run = f"run {holder['run_id']} of " if holder.get("run_id") else ""
    text = (
        f"{run}{holder.get('user', '?')} (pid {holder.get('pid', '?')}, "
        f"`{holder.get('command', '?')}`) since {holder.get('since', '?')}"
    )
    if not alive(holder):
        text += "; that fleet process is gone and its run's processes are being stopped"
    return text


class SiteLock:
    """An exclusive, non-blocking lock on one site; use as a context manager."""

    def __init__(self, locks_dir: Path, site: str, command: str, run_id: str = ""):
        self.path = locks_dir / f"{site}.lock"
        self.site = site
        self.command = command
        self.run_id = run_id
        self._fd: int | None = None

    @property
    def fd(self) -> int | None:
        """The descriptor holding the lock (for the run's guard to inherit), while held."""
        return self._fd

    def holder(self) -> dict:
        try:
            text = self.path.read_text(encoding="utf-8")
            return json.loads(text) if text.strip() else {}
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.holder()
            error = Locked(f"site {self.site} is locked by {describe(holder)}")
            error.holder = holder
            raise error from None
        info = {
            "run_id": self.run_id,
            "user": getpass.getuser(),
            "pid": os.getpid(),
            "start": start_time(os.getpid()),
            "command": self.command,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> SiteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
