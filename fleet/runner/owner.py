"""Who owns a run: the fleet process, named so that a later fleet can tell whether it still
lives (host, boot, pid and the process's start time: a pid alone is reused)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    if fields[0] == "Z":  # a zombie has ended
        return None
    return int(fields[19])


def boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class Owner:
    host: str
    boot: str
    pid: int
    start: int | None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), boot_id(), pid, start_time(pid))

    def alive(self) -> bool | None:
        """True/False when this machine can tell; None for a process of another host."""
        if self.host != socket.gethostname():
            return None
        if self.boot and self.boot != boot_id():
            return False  # rebooted since: every process of then is gone
        return self.start is not None and start_time(self.pid) == self.start
