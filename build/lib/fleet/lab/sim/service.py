"""Run a simulator as a detached background process (what `fleet lab up/down/status` use).

Files under the run directory, per kind:
    <kind>.pid    the process id (the process leads its own session and process group)
    <kind>.log    its stderr
    <kind>.json   its stdout: the one-line ready document (mode 0600: it holds credentials)

`start` returns the ready document once the simulator listens; `stop` sends SIGTERM (state is
saved) and SIGKILL only if it does not exit in time; `status` tells whether it still runs.
The process is re-identified by its command line before any signal, so a stale pid file never
makes us signal an unrelated process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from fleet.errors import BadInput, FleetError

POLL = 0.05
# Popen objects of simulators this process started, so they are reaped (no zombies).
_children: dict[int, subprocess.Popen] = {}


def _files(run_dir: Path, kind: str) -> tuple[Path, Path, Path]:
    run_dir = Path(run_dir)
    return run_dir / f"{kind}.pid", run_dir / f"{kind}.log", run_dir / f"{kind}.json"


def _is_our_sim(pid: int, kind: str) -> bool:
    """Alive, not a zombie, and really `fleet … lab sim KIND`."""
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        _children.pop(pid, None)
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if stat.rpartition(")")[2].split()[0] == "Z":
        return False
    words = [a.decode(errors="replace") for a in argv]
    return any(words[i : i + 3] == ["lab", "sim", kind] for i in range(len(words) - 2))


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _ready_doc(ready: Path) -> dict[str, Any] | None:
    try:
        text = ready.read_text()
    except FileNotFoundError:
        return None
    if not text.endswith("\n"):
        return None  # not written completely yet
    return json.loads(text.splitlines()[0])


def sim_command(
    kind: str,
    state_dir: Path,
    *,
    devices: int | None = None,
    names: list[str] | None = None,
    listen: str | None = None,
    port: int | None = None,
    layout: str = "address",
    faults: str | None = None,
    seed: int = 0,
    ca_dir: Path | None = None,
    dns_suffix: str | None = None,
    factory: str | None = None,
    fsync: bool = False,
) -> list[str]:
    """The `fleet lab sim` command line for these settings (no secret goes on it)."""
    argv = [sys.executable, "-m", "fleet.cli.main", "lab", "sim", kind]
    argv += ["--state", str(Path(state_dir).absolute()), "--seed", str(seed), "--layout", layout]
    if devices is not None:
        argv += ["--devices", str(devices)]
    if names:
        argv += ["--names", ",".join(names)]
    if listen:
        argv += ["--listen", listen]
    if port is not None:
        argv += ["--port", str(port)]
    if faults:
        argv += ["--faults", faults]
    if ca_dir is not None:
        argv += ["--ca", str(Path(ca_dir).absolute())]
    if dns_suffix:
        argv += ["--dns-suffix", dns_suffix]
    if factory:
        argv += ["--factory", factory]
    if fsync:
        argv.append("--fsync")
    return argv


def start(
    run_dir: Path,
    kind: str,
    state_dir: Path,
    *,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Start `fleet lab sim KIND` detached and return its ready document.

    Options are those of `sim_command` (devices, names, listen, port, layout, faults, seed,
    ca_dir, dns_suffix). If this kind already runs from `run_dir`, its recorded document is
    returned unchanged (stop it first to change settings). Raises FleetError with the end of
    the log if the simulator exits or does not get ready within `timeout` seconds.
    """
    run_dir = Path(run_dir).absolute()
    run_dir.mkdir(parents=True, exist_ok=True)
    pidfile, logfile, ready = _files(run_dir, kind)
    pid = _read_pid(pidfile)
    if pid is not None and _is_our_sim(pid, kind):
        doc = _ready_doc(ready)
        if doc is not None:
            return doc
        stop(run_dir, kind)  # alive but never got ready: start afresh
    ready.unlink(missing_ok=True)
    argv = sim_command(kind, state_dir, **options)
    out_fd = os.open(ready, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err_fd = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out_fd,
            stderr=err_fd,
            start_new_session=True,  # survives the terminal of `fleet lab up`; own process group
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    finally:
        os.close(out_fd)
        os.close(err_fd)
    _children[proc.pid] = proc
    pidfile.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while True:
        try:
            doc = _ready_doc(ready)
        except json.JSONDecodeError as exc:
            _kill(proc.pid, kind, 5.0)
            raise FleetError(f"{kind} simulator wrote an unreadable ready line to {ready}") from exc
        if doc is not None:
            return doc
        code = proc.poll()
        if code is not None:
            _children.pop(proc.pid, None)
            pidfile.unlink(missing_ok=True)
            raise _failed(kind, f"exited with code {code} before getting ready", logfile, code)
        if time.monotonic() > deadline:
            _kill(proc.pid, kind, 5.0)
            pidfile.unlink(missing_ok=True)
            raise _failed(kind, f"was not ready after {timeout:.0f} s", logfile, None)
        time.sleep(POLL)


def _failed(kind: str, what: str, logfile: Path, code: int | None) -> FleetError:
    try:
        tail = logfile.read_text(errors="replace").strip().splitlines()[-5:]
    except FileNotFoundError:
        tail = []
    message = f"{kind} simulator {what} (log: {logfile})"
    if tail:
        message += "\n  " + "\n  ".join(tail)
    # A bad option or a corrupt state file exits with 3: keep the user's exit code.
    return BadInput(message) if code == 3 else FleetError(message)


def _wait_gone(pid: int, kind: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_our_sim(pid, kind):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL)
    return True


def _kill(pid: int, kind: str, timeout: float) -> None:
    """SIGTERM, wait up to `timeout`, then SIGKILL the whole process group."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not _wait_gone(pid, kind, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _wait_gone(pid, kind, 5.0)
    child = _children.pop(pid, None)
    if child is not None:
        child.wait()


def stop(run_dir: Path, kind: str, timeout: float = 10.0) -> bool:
    """Stop the simulator of `kind` started from `run_dir`; True if one was running."""
    pidfile, _, ready = _files(run_dir, kind)
    pid = _read_pid(pidfile)
    running = pid is not None and _is_our_sim(pid, kind)
    if running:
        _kill(pid, kind, timeout)
    pidfile.unlink(missing_ok=True)
    ready.unlink(missing_ok=True)
    return running


def status(run_dir: Path, kind: str) -> dict[str, Any]:
    """{"kind", "running", "pid", "log", "endpoints"}: endpoints is the ready document or None."""
    pidfile, logfile, ready = _files(run_dir, kind)
    pid = _read_pid(pidfile)
    running = pid is not None and _is_our_sim(pid, kind)
    doc = None
    if running:
        try:
            doc = _ready_doc(ready)
        except json.JSONDecodeError:
            doc = None
    return {
        "kind": kind,
        "running": running,
        "pid": pid if running else None,
        "log": str(logfile),
        "endpoints": doc,
    }


# ---- control API client ------------------------------------------------------------------


def control(doc: dict[str, Any], method: str, path: str, body: str | None = None) -> Any:
    """Call a running simulator's control API (the `control` entry of its ready document)."""
    request = urllib.request.Request(
        doc["control"]["url"] + path,
        data=None if body is None else body.encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {doc['control']['token']}",
            "Content-Type": "text/plain",
        },
    )
    # Loopback only: never through a proxy from the environment.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=doc["ca"])),
    )
    try:
        with opener.open(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            message = json.load(exc).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        if exc.code == 400:
            raise BadInput(str(message)) from exc
        raise FleetError(f"simulator control API: {exc.code} {message}") from exc
    except OSError as exc:
        raise FleetError(f"simulator control API at {doc['control']['url']}: {exc}") from exc


def set_faults(doc: dict[str, Any], spec: str) -> dict[str, Any]:
    """Replace the faults of a running simulator ('' clears them); returns the parsed plan."""
    return control(doc, "PUT", "/faults", spec)
