"""The guard of one site run: ends the run's processes when the fleet process that owns them
dies, however it dies, and keeps the site locked until they are gone.

SIGKILL cannot be caught, so the guarantees cannot depend on fleet's own clean-up. Each site
run starts a guard (`RunGuard.start`): a tiny separate process (standard library only, run as
a script, in a session of its own so a terminal's Ctrl-C does not reach it) that

- holds a copy of the site lock's open file description (inherited), so the kernel keeps the
  site locked while the guard lives, even after fleet died;
- waits on a pipe from fleet. fleet writes `done` when the run ended normally: the guard exits
  at once. End of file without `done` means fleet died: the guard sends SIGTERM to every
  process of the run (found by the FLEET_RUN_DIR marker in their environment, see prepare.py:
  ansible-playbook, its workers, their commands, ssh masters), SIGKILL to those still there
  after the grace period, and exits when none is left — which releases the lock.

PR_SET_PDEATHSIG in the children would not do: ansible-runner spawns ansible-playbook from a
worker thread (the signal follows the thread, not the process) and gives no hook into the fork.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_ENV = "FLEET_RUN_KILL_GRACE"  # seconds between SIGTERM and SIGKILL (default 5)
DEFAULT_GRACE = 5.0
GIVE_UP = 60.0  # a process that survives SIGKILL this long is not ours to wait for
DONE = b"done\n"


def marked_processes(marker: str, exclude: int | None = None) -> list[int]:
    """Pids whose environment holds `FLEET_RUN_DIR=<marker>` (other users' are unreadable)."""
    needle = f"FLEET_RUN_DIR={marker}".encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == exclude:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle in handle.read():
                    found.append(int(entry))
        except OSError:
            continue  # gone, or not ours to read
    return found


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def end_run(marker: str, grace: float, poll: float = 0.1) -> int:
    """SIGTERM every process of the run, SIGKILL what is left after `grace`; returns how many
    processes there were. Returns when none is left (or after GIVE_UP seconds)."""
    me = os.getpid()
    first = marked_processes(marker, me)
    signal_all(first, signal.SIGTERM)
    start = time.monotonic()
    killed = False
    while True:
        left = marked_processes(marker, me)
        if not left:
            return len(first)
        waited = time.monotonic() - start
        if waited >= GIVE_UP:
            return len(first)
        if waited >= grace and not killed:
            signal_all(left, signal.SIGKILL)
            killed = True
        elif killed:
            signal_all(left, signal.SIGKILL)  # newcomers forked in between
        time.sleep(poll)


def log(message: str) -> None:
    """One line on stderr: `<run dir>/guard.log` (RunGuard.start points it there)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    sys.stderr.write(f"{stamp} guard {os.getpid()}: {message}\n")
    sys.stderr.flush()


def main(argv: list[str]) -> int:
    """`guard.py RUN_DIR GRACE`: the guard process itself (stdin: the pipe from fleet)."""
    marker, grace = argv[0], float(argv[1])
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_IGN)
    received = b""
    while True:
        try:
            chunk = os.read(0, 64)
        except InterruptedError:
            continue
        if not chunk:
            break
        received += chunk
    if received.endswith(DONE):
        return 0
    log(f"fleet (pid {os.getppid()} was its parent) is gone: ending the run's processes")
    count = end_run(marker, grace)
    log(f"{count} process(es) of the run ended; releasing the site")
    return 0


class RunGuard:
    """fleet's handle on a site run's guard process."""

    def __init__(self, process: subprocess.Popen):
        self.process = process

    @classmethod
    def start(cls, run_dir: Path, lock_fd: int | None) -> RunGuard:
        grace = float(os.environ.get(GRACE_ENV) or DEFAULT_GRACE)
        run_dir = Path(run_dir).resolve()
        run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(run_dir / "guard.log", "ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", __file__, str(run_dir), str(grace)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
                pass_fds=(lock_fd,) if lock_fd is not None else (),
                start_new_session=True,
                close_fds=True,
            )
        return cls(process)

    def done(self) -> None:
        """The run ended here: the guard exits without touching anything."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.write(DONE)
                self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
