"""A fleet killed with SIGKILL mid-run, on the lab (issue: no orphan, no unguarded second run,
no "running" ghost in the history). The run's guard ends its processes; the site stays locked
while one lives and is free once none does; the next fleet marks the run `killed`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleet.runner.guard import marked_processes

pytestmark = pytest.mark.lab

FLEET = str(Path(sys.executable).parent / "fleet")
LAB = "inventories/lab"
SITES = ("0180120H", "0450050K")
STUBBORN = "tests/fixtures/playbooks/playbooks/stubborn.yml"
GRACE = 6  # the guard's SIGTERM → SIGKILL delay for these runs (default 5)


def env(**extra: str) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    return {**base, "NO_COLOR": "1", **extra}


def fleet(root: Path, *args: str, timeout: float = 300) -> tuple[int, dict, str]:
    done = subprocess.run(
        [FLEET, "--output", "json", "--registry", LAB, *args],
        cwd=root,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, (json.loads(done.stdout) if done.stdout.strip() else {}), done.stderr


def run_processes(root: Path) -> dict[str, list[int]]:
    """Processes of every run of the project, by run directory (their FLEET_RUN_DIR marker)."""
    found: dict[str, list[int]] = {}
    runs = root / ".fleet" / "runs"
    for run in runs.iterdir() if runs.is_dir() else []:
        for site_dir in run.iterdir():
            pids = marked_processes(str(site_dir.resolve()))
            if pids:
                found[f"{run.name}/{site_dir.name}"] = pids
    return found


def wait_for(predicate, seconds: float):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def stubborn_running(root: Path, sites: int) -> dict[str, list[int]] | None:
    """The runs' processes once the SIGTERM-ignoring `sleep` runs for every site."""
    found = run_processes(root)
    # the `sleep` itself, not the `sh -c '…; sleep …'` before it: only once sleep runs is the
    # shell's SIGTERM trap in place (killing fleet earlier lets SIGTERM end the run at once)
    sleeping = [
        d for d, pids in found.items() if any(cmdline(p).startswith(b"sleep\0") for p in pids)
    ]
    return found if len(sleeping) >= sites else None


# A fleet command that imports everything first, then waits for a go file: started before the
# kill, it reaches the site lock a few milliseconds after it, whatever the machine's load.
READY = """
import os, sys, time
from fleet.cli.main import main
import fleet.deploy, fleet.registry.read, fleet.runner.parallel  # what a deploy needs first
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.01)
sys.exit(main(sys.argv[2:]))
"""


def ready_fleet(root: Path, go: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", READY, str(go), "--output", "json", "--registry", LAB, *args],
        cwd=root,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_and_kill(root: Path, db: Path, *targets: str) -> tuple[str, int, float]:
    """Start a deploy whose task ignores SIGTERM, kill -9 fleet once that task runs for every
    target site; returns (run id, fleet pid, when it was killed)."""
    argv = [FLEET, "--registry", LAB, "deploy", *targets, "--playbook", STUBBORN, "--yes"]
    proc = subprocess.Popen(
        [*argv, "--parallel", "2", "--state-db", str(db)],
        cwd=root,
        env=env(FLEET_RUN_KILL_GRACE=str(GRACE)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sites = len(SITES) if "--all" in targets else len(targets)
    busy = wait_for(lambda: stubborn_running(root, sites), 180)
    if not busy:
        proc.kill()
        pytest.fail("the stubborn task never started")
    os.kill(proc.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    proc.wait()
    return next(iter(busy)).split("/")[0], proc.pid, killed_at


def test_kill_9_of_a_deploy_leaves_no_process_and_no_unguarded_second_run(lab_up, tmp_path):
    root, db = lab_up.root, tmp_path / "state.db"
    site = SITES[0]
    go = tmp_path / "go"
    second = ready_fleet(root, go, "deploy", site, "--component", "base", "--state-db", str(db))
    run_id, pid, killed_at = start_and_kill(root, db, site)
    # fleet is dead, its run is not yet: the next deploy of that site is refused, naming it
    left = run_processes(root)
    go.touch()
    out, err = second.communicate(timeout=300)
    assert second.returncode == 4, f"{err}\nprocesses of the run at the go: {left}"
    message = json.loads(out)["sites"][0]["message"]
    assert f"run {run_id}" in message and f"pid {pid}" in message and "since 20" in message
    assert "that fleet process is gone" in message
    # within 10 s of the kill no process of the run is left
    assert wait_for(lambda: not run_processes(root), killed_at + 10 - time.monotonic())
    # the history says what happened; the next deploy proceeds and converges; drift is clean
    rc, listed, _ = fleet(root, "runs", "list", "--state-db", str(db))
    killed = next(r for r in listed["runs"] if r["id"] == run_id)
    assert killed["status"] == "killed" and f"pid {pid}" in killed["stopped"]
    rc, data, stderr = fleet(root, "deploy", site, "--component", "base", "--state-db", str(db))
    assert rc == 0, stderr
    rc, data, stderr = fleet(root, "drift", site, "--component", "base", "--state-db", str(db))
    assert rc == 0, stderr
    # a finished run leaves nothing behind either: its SSH masters (ControlPersist) end with it
    assert not run_processes(root)


def test_kill_9_during_a_parallel_run_over_both_sites(lab_up, tmp_path):
    root, db = lab_up.root, tmp_path / "state.db"
    run_id, _, killed_at = start_and_kill(root, db, "--all")
    assert wait_for(lambda: not run_processes(root), killed_at + 10 - time.monotonic())
    for site in SITES:  # no site stays locked (a plan may find the base role still to apply)
        rc, data, stderr = fleet(root, "plan", site, "--component", "base", "--state-db", str(db))
        assert rc in (0, 2), stderr
        assert data["sites"][0]["status"] in ("ok", "drift")
    rc, shown, _ = fleet(root, "runs", "show", run_id, "--state-db", str(db))
    assert shown["status"] == "killed" and shown["killed"] is True
    assert sorted(s["site"] for s in shown["sites"]) == sorted(SITES)
    assert {s["status"] for s in shown["sites"]} == {"killed"}
