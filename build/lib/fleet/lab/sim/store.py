"""Per-device state files of a simulator: `<state dir>/devices/<name>.json`, written atomically.

A write goes to a temporary file in the same directory, then is renamed over the old file: a
simulator that crashes or is killed leaves either the old or the new state, never half of one,
and a restart reads it back. With `fsync` (`fleet lab sim --fsync`) the file and the directory
are also fsync'ed, so the state survives a power loss of the host too; it costs about 1.5 ms of
CPU per write here, more than the whole request, so the lab leaves it off.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import re
from pathlib import Path
from typing import Any

import orjson

from fleet.errors import BadInput

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def check_name(name: str) -> str:
    """Device names become file names and DNS labels: keep them plain."""
    if not NAME.match(name):
        raise BadInput(
            f"device name '{name}': use letters, digits, '.', '_' or '-' "
            "(at most 63, starting with a letter or digit)"
        )
    return name


def encode(state: Any) -> bytes:
    """Canonical bytes of a state (sorted keys, compact): equal states give equal bytes."""
    try:
        return orjson.dumps(state, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson refuses (non-str keys, integers beyond 64 bits)
        return json.dumps(state, sort_keys=True, separators=(",", ":")).encode()


def clone(state: Any) -> Any:
    """A deep copy of JSON data, several times faster than copy.deepcopy (the state is JSON
    anyway: it is what a restart reads back)."""
    try:
        return orjson.loads(orjson.dumps(state))
    except TypeError:
        return copy.deepcopy(state)


def write_atomic(path: Path, data: bytes, fsync: bool = True) -> None:
    """Replace `path` with `data` atomically: readers (and a restart) see the old bytes or the
    new ones. With `fsync`, also durable across a power loss of the host."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if not fsync:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class StateStore:
    """Device states under one simulator's state directory."""

    def __init__(self, state_dir: Path, fsync: bool = False):
        self.root = Path(state_dir).absolute()
        self.fsync = fsync
        self.devices = self.root / "devices"

    def prepare(self) -> None:
        self.devices.mkdir(parents=True, exist_ok=True)

    def lock(self) -> None:
        """Hold the state directory for this process: two simulators writing the same device
        files would each overwrite the other's changes."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "simulator.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held open for the process's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise BadInput(
                f"{self.root}: state directory in use by a running simulator ({holder}); "
                "stop it or choose another --state"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def unlock(self) -> None:
        handle = getattr(self, "_lock", None)
        if handle is not None:
            handle.close()  # closing drops the flock
            self._lock = None

    def path(self, name: str) -> Path:
        return self.devices / f"{check_name(name)}.json"

    def load(self, name: str) -> dict[str, Any] | None:
        """The saved state of a device, or None on its first start."""
        path = self.path(name)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        try:
            state = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(
                f"{path}: saved device state is not valid JSON (line {exc.lineno}: {exc.msg}); "
                "fix or remove the file"
            ) from exc
        if not isinstance(state, dict):
            raise BadInput(f"{path}: saved device state must be a JSON object")
        return state

    def read_bytes(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    def save(self, name: str, data: bytes) -> None:
        write_atomic(self.path(name), data, self.fsync)
