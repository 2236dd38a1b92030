"""The nightly units for real: installed by `fleet nightly install` in a lab container with
systemd as PID 1, `systemd-analyze verify` passes, the timer is enabled, and starting the
service runs a drift of the lab and writes its reports.

The container shares the host's network (the lab's hosts and simulators listen on 127.0.0.1),
with its own sshd masked so that nothing listens on the host's port 22; the project, the venv
and its Python are bind-mounted at the same paths, so the units name real paths."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleet.lab.image import image_ref

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
PYTHON_HOME = Path(sys.base_prefix)  # the venv's interpreter lives there


@pytest.fixture
def systemd_host(lab_up):
    podman = lab_up.podman
    name = f"fleet-test-nightly-{secrets.token_hex(4)}"
    mounts = {REPO: "ro", lab_up.root: "rw", PYTHON_HOME: "ro"}
    args = ["run", "-d", "--name", name, "--network", "host", "--systemd=always"]
    args += ["--stop-timeout=5", "--pull=never"]
    for path, mode in mounts.items():
        args += ["-v", f"{path}:{path}:{mode}"]
    for unit in ("ssh.service", "ssh.socket"):  # masked: no sshd on the host's network
        args += ["-v", f"/dev/null:/etc/systemd/system/{unit}:ro"]
    podman(*args, image_ref("base"), "/sbin/init")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            state = podman("exec", name, "systemctl", "is-system-running", check=False).stdout
            if state.strip() in ("running", "degraded"):
                break
            time.sleep(1)
        yield name, lab_up.root
    finally:
        podman("rm", "-f", name, check=False)


def test_install_verify_and_run_the_nightly_service(systemd_host, lab_up):
    name, project = systemd_host

    def inside(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
        return lab_up.podman("exec", "-w", str(project), name, *argv, check=check, timeout=900)

    fleet = str(Path(sys.executable).with_name("fleet"))
    inside("sh", "-c", "printf 'FLEET_REGISTRY=inventories/lab\\n' > /etc/default/fleet-drift")
    installed = inside(
        fleet, "--output", "json", "nightly", "install", "--reports", "/var/lib/fleet/reports",
        "--drift-args", "--component base",
    )  # fmt: skip
    units = json.loads(installed.stdout)["units"]
    assert units == [
        "/etc/systemd/system/fleet-drift.service",
        "/etc/systemd/system/fleet-drift.timer",
    ]
    verify = inside("systemd-analyze", "verify", *units, check=False)
    assert verify.returncode == 0, verify.stderr
    assert inside("systemctl", "is-enabled", "fleet-drift.timer").stdout.strip() == "enabled"
    assert "fleet-drift.timer" in inside("systemctl", "list-timers", "--all").stdout
    # a run now, as the timer would start it: a oneshot, so `start` waits for the end
    started = inside("systemctl", "start", "fleet-drift.service", check=False)
    journal = inside("journalctl", "-u", "fleet-drift.service", "--no-pager", check=False).stdout
    assert started.returncode == 0, journal
    result = inside("systemctl", "show", "fleet-drift.service", "-p", "Result").stdout
    assert result.strip() == "Result=success", journal
    report = json.loads(inside("cat", "/var/lib/fleet/reports/drift.json").stdout)
    assert report["command"] == "drift" and report["component"] == "base"
    assert sorted(s["site"] for s in report["sites"]) == ["0180120H", "0450050K"]
    for other in ("drift.html", "drift.xml", "fleet.prom"):
        assert inside("test", "-s", f"/var/lib/fleet/reports/{other}", check=False).returncode == 0
    # a second one while the first runs is refused by the lock (exit 75), not run twice
    lock = str(project / ".fleet/locks/nightly-drift.lock")
    holder = subprocess.Popen(
        ["podman", "exec", name, "flock", lock, "sleep", "30"],
        env={**os.environ, "CONTAINERS_CONF": str(REPO / "fleet" / "lab" / "containers.conf")},
    )
    try:
        time.sleep(1)
        clash = inside("systemctl", "start", "fleet-drift.service", check=False)
        assert clash.returncode != 0
        status = inside("systemctl", "show", "fleet-drift.service", "-p", "ExecMainStatus").stdout
        assert status.strip() == "ExecMainStatus=75"
    finally:
        holder.kill()
