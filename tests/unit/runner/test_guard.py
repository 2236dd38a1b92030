"""The run guard with stand-in processes: fleet killed -9 leaves no process of its run, the site
stays locked while one lives and is free as soon as none does; a normal end touches nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleet.errors import Locked
from fleet.runner.guard import RunGuard, marked_processes
from fleet.runner.lock import SiteLock

REPO = Path(__file__).resolve().parents[3]
# A process of the run that ignores SIGTERM (as a busy command may): only SIGKILL ends it.
STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(120)"
)
# "fleet": take the site lock, start the guard, start a run process, then die by SIGKILL.
OWNER = """
import json, os, signal, subprocess, sys
from pathlib import Path
from fleet.runner.guard import RunGuard
from fleet.runner.lock import SiteLock
locks, run_dir = Path(sys.argv[1]), Path(sys.argv[2])
lock = SiteLock(locks, "0450050K", "fleet deploy 0450050K", "20261202T000000Z-abcdef")
lock.acquire()
RunGuard.start(run_dir, lock.fd)
env = {**os.environ, "FLEET_RUN_DIR": str(run_dir.resolve())}
child = subprocess.Popen(
    [sys.executable, "-c", sys.argv[3]],
    env=env,
    start_new_session=True,
    stdout=subprocess.PIPE,
    stderr=subprocess.DEVNULL,  # else the test waits on this pipe until the child is gone
)
child.stdout.readline()  # it ignores SIGTERM from now on
print(json.dumps({"pid": os.getpid(), "child": child.pid}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie is dead too
        return handle.read().split(")")[-1].split()[0] != "Z"


def wait_until(condition, limit: float = 20.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def free(locks: Path) -> bool:
    try:
        SiteLock(locks, "0450050K", "probe").acquire()
    except Locked:
        return False
    return True


def test_when_fleet_is_killed_the_guard_ends_its_run_and_only_then_frees_the_site(tmp_path):
    locks, run_dir = tmp_path / "locks", tmp_path / "runs" / "r" / "0450050K"
    env = {**os.environ, "FLEET_RUN_KILL_GRACE": "3", "PYTHONPATH": str(REPO)}
    owner = subprocess.run(
        [sys.executable, "-c", OWNER, str(locks), str(run_dir), STUBBORN],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert owner.returncode == -signal.SIGKILL, owner.stderr
    pids = json.loads(owner.stdout)
    try:
        assert not alive(pids["pid"])
        # the owner is dead but its run process lives (it ignores SIGTERM): still locked
        assert alive(pids["child"])
        with pytest.raises(Locked) as refused:
            SiteLock(locks, "0450050K", "fleet deploy 0450050K").acquire()
        message = refused.value.message
        assert "run 20261202T000000Z-abcdef" in message and f"pid {pids['pid']}" in message
        assert "that fleet process is gone" in message
        # SIGKILL after the grace; the site is free once nothing of the run is left
        assert wait_until(lambda: free(locks))
        assert not alive(pids["child"])
        assert marked_processes(str(run_dir.resolve())) == []
    finally:
        if alive(pids["child"]):
            os.kill(pids["child"], signal.SIGKILL)


def test_a_run_that_ends_normally_is_left_alone(tmp_path):
    run_dir = tmp_path / "run"
    lock = SiteLock(tmp_path / "locks", "0450050K", "fleet deploy", "r1")
    lock.acquire()
    guard = RunGuard.start(run_dir, lock.fd)
    env = {**os.environ, "FLEET_RUN_DIR": str(run_dir.resolve())}
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], env=env)
    try:
        assert wait_until(lambda: marked_processes(str(run_dir.resolve())) == [child.pid], 10)
        guard.done()
        assert guard.process.returncode == 0
        assert child.poll() is None  # fleet ended the run itself: the guard touched nothing
        lock.release()
        assert free(tmp_path / "locks")
    finally:
        child.kill()
        child.wait()


def test_the_guard_runs_in_a_session_of_its_own(tmp_path):
    """A terminal's Ctrl-C goes to fleet's process group: fleet cancels the run cleanly and then
    says `done`; the guard, in its own session, never sees that signal."""
    guard = RunGuard.start(tmp_path / "run", None)
    try:
        assert os.getsid(guard.process.pid) == guard.process.pid != os.getsid(0)
    finally:
        guard.done()
    assert guard.process.returncode == 0
