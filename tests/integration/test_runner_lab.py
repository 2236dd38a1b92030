"""fleet deploy / plan / drift against REAL lab hosts (podman containers, sshd on 127.0.0.1).

The session's shared test lab (conftest `lab_up`: a throw-away project with its own lab, never
the developer's), site 0180120H (pve1 + dc1):
- deploy --component base applies (changed > 0), a second deploy changes nothing, plan exit 0;
- a hand-made change on a host: drift exits 2, reports that object with its diff, and changes
  nothing (the file is re-read afterwards); reports (HTML, JUnit, Prometheus) name it;
- two concurrent deploys on one site: the second exits 4 and names the holder; SIGINT to the
  first: exit 130, history keeps the site that finished, no ansible-playbook is left;
- a playbook using vaulted values: the secret and the vault password appear nowhere (run
  artifacts, reports, history database, stdout/stderr), while the host really got the secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleet.lab.hosts import container_name

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
# The test project of the shared lab (set by the `lab` fixture): fleet runs there, so its
# .fleet/ (runs, locks, lab state) is the test lab's, not the checkout's.
ROOT = REPO
FLEET = str(Path(sys.executable).parent / "fleet")
LAB_REGISTRY = "inventories/lab"
SITE = "0180120H"
OTHER = "0450050K"
PVE1 = "pve1.0180120h.lab.fleet.test"
DC1 = "dc1.0180120h.lab.fleet.test"
JOURNALD = "/etc/systemd/journald.conf.d/fleet.conf"  # managed by the base role (template)
FIXTURE_PLAYBOOKS = "tests/fixtures/playbooks/playbooks"
REMOTE_DIR = "/tmp/fleet-runner-test"


def podman_env() -> dict:
    return {**os.environ, "CONTAINERS_CONF": str(REPO / "fleet" / "lab" / "containers.conf")}


def on_host(host: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command inside a lab host, the way an admin with console access would."""
    return subprocess.run(
        ["podman", "exec", container_name(ROOT, host), *argv],
        env=podman_env(),
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def file_sha(host: str, path: str) -> str:
    return hashlib.sha256(on_host(host, "cat", path).stdout.encode()).hexdigest()


def fleet_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def fleet(*args: str, registry: str = LAB_REGISTRY, timeout: int = 300, **env: str):
    """`fleet --output json --registry R ARGS…` from the project root; (rc, json, stderr)."""
    done = subprocess.run(
        [FLEET, "--output", "json", "--registry", registry, *args],
        cwd=ROOT,
        env=fleet_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    try:
        data = json.loads(done.stdout) if done.stdout.strip() else None
    except json.JSONDecodeError:
        pytest.fail(f"stdout is not one JSON document:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done.returncode, data, done.stderr, done.stdout


def site_of(data: dict, uai: str) -> dict:
    return next(s for s in data["sites"] if s["site"] == uai)


@pytest.fixture(scope="session")
def lab(lab_up):
    """The shared test lab; its project becomes the working directory of every fleet call."""
    global ROOT
    ROOT = lab_up.root
    rc, data = lab_up.fleet_json("lab", "up")  # idempotent: reports the running hosts
    assert rc == 0, data
    hosts = {h["name"]: h for h in data["hosts"]}
    assert hosts[PVE1]["healthy"] and hosts[DC1]["healthy"], hosts
    return hosts


@pytest.fixture(scope="module")
def deploys(lab, tmp_path_factory):
    """Break a managed file, deploy the base component twice; both results for the tests."""
    db = tmp_path_factory.mktemp("history") / "state.db"
    on_host(PVE1, "rm", "-f", JOURNALD)  # whatever state the lab was in, there is work to do
    first = fleet("deploy", SITE, "--component", "base", "--state-db", str(db))
    second = fleet("deploy", SITE, "--component", "base", "--state-db", str(db))
    return first, second, db


def test_deploy_applies_and_repairs(deploys):
    rc, data, stderr, _ = deploys[0]
    assert rc == 0, stderr
    site = site_of(data, SITE)
    assert site["status"] == "changed"
    assert site["totals"]["changed"] > 0 and site["totals"]["failed"] == 0
    assert set(site["hosts"]) == {PVE1, DC1}
    assert data["playbook"] == "playbooks/base.yml" and data["component"] == "base"
    repaired = [c for c in site["changed"] if c["host"] == PVE1 and "journal" in c["task"]]
    assert repaired and repaired[0]["component"] == "base"
    assert "SystemMaxUse=" in on_host(PVE1, "cat", JOURNALD).stdout


def test_every_component_of_the_site_is_listed_with_its_outcome(deploys):
    _, data, _, _ = deploys[0]
    outcomes = {o["component"]: o for o in site_of(data, SITE)["outcomes"]}
    assert list(outcomes) == ["opnsense", "proxmox", "base", "samba_ad", "opsi", "switches"]
    assert outcomes["base"]["outcome"] == "ran" and outcomes["base"]["hosts"] == 2
    assert outcomes["base"]["changed"] > 0
    assert outcomes["samba_ad"]["outcome"] == "not_selected"  # --component base
    # the collège has a firewall and a Proxmox node: implemented, not chosen by --component base
    assert outcomes["opnsense"]["label"] == outcomes["proxmox"]["label"] == "not selected"
    assert outcomes["opsi"]["label"] == outcomes["switches"]["label"] == "no hosts on this site"


def test_the_terminal_summary_lists_every_component(deploys):
    done = subprocess.run(
        [FLEET, "--registry", LAB_REGISTRY, "plan", SITE, "--component", "base"],
        cwd=ROOT,
        env=fleet_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines.index(
        next(line for line in lines if line.startswith("site ") and "opsi" in line)
    )
    assert header > 0 and lines[header - 1] == "components"
    assert lines[header].split() == [
        "site", "opnsense", "proxmox", "base", "samba_ad", "opsi", "switches"
    ]  # fmt: skip
    row = lines[header + 1]
    assert row.startswith(SITE) and "no hosts on this site" in row
    assert "ran (ok=" in row and "not selected" in row


def test_second_deploy_changes_nothing(deploys):
    rc, data, stderr, _ = deploys[1]
    assert rc == 0, stderr
    site = site_of(data, SITE)
    assert site["status"] == "ok", site
    assert site["totals"]["changed"] == 0 and site["changed"] == []
    assert site["totals"]["ok"] > 0


def test_history_lists_both_deploys(deploys):
    _, first, _, _ = deploys[0]
    _, second, _, _ = deploys[1]
    db = deploys[2]
    done = subprocess.run(
        [FLEET, "--output", "json", "runs", "list", "--site", SITE, "--state-db", str(db)],
        cwd=ROOT,
        env=fleet_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    ids = [r["id"] for r in json.loads(done.stdout)["runs"]]
    assert ids == [second["run_id"], first["run_id"]]


def test_plan_when_converged_exits_0(deploys):
    rc, data, stderr, _ = fleet("plan", SITE, "--component", "base")
    assert rc == 0, stderr
    assert data["mode"] == "check"
    assert site_of(data, SITE)["status"] == "ok"


def test_drift_reports_a_hand_made_change_and_changes_nothing(deploys, tmp_path):
    on_host(PVE1, "sed", "-i", "s/^SystemMaxUse=.*/SystemMaxUse=9G/", JOURNALD)
    before = file_sha(PVE1, JOURNALD)
    try:
        html, xml, prom = tmp_path / "drift.html", tmp_path / "drift.xml", tmp_path / "drift.prom"
        db = tmp_path / "state.db"
        rc, data, stderr, _ = fleet(
            "drift",
            SITE,
            "--component",
            "base",
            "--report",
            str(html),
            "--junit",
            str(xml),
            "--metrics",
            str(prom),
            "--state-db",
            str(db),
        )
        assert rc == 2, stderr
        site = site_of(data, SITE)
        assert site["status"] == "drift"
        assert [(c["host"], c["component"]) for c in site["changed"]] == [(PVE1, "base")]
        item = site["changed"][0]
        assert "journal" in item["task"].lower()
        diff = item["diff"][0]
        assert "SystemMaxUse=9G" in diff["before"] and "SystemMaxUse=500M" in diff["after"]
        # read-only: the file is exactly as the admin left it
        assert file_sha(PVE1, JOURNALD) == before
        # the reports say the same
        page = html.read_text()
        assert PVE1 in page and "SystemMaxUse=9G" in page
        assert "failure" in xml.read_text() and "SystemMaxUse=9G" in xml.read_text()
        assert f'fleet_drift_items{{site="{SITE}",component="base"}} 1' in prom.read_text()
        # since when: the first drifting run of the streak is this one
        assert site["drifting_since"] == site["started"]
        # plan (plain text, as a sysadmin reads it): exit 2, the object with before → after
        done = subprocess.run(
            [FLEET, "--registry", LAB_REGISTRY, "plan", SITE, "--component", "base"],
            cwd=ROOT,
            env=fleet_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert PVE1 in done.stdout and JOURNALD in done.stdout, done.stdout
        assert "-SystemMaxUse=9G" in done.stdout and "+SystemMaxUse=500M" in done.stdout
        assert file_sha(PVE1, JOURNALD) == before
    finally:
        on_host(PVE1, "sed", "-i", "s/^SystemMaxUse=.*/SystemMaxUse=500M/", JOURNALD)


def _ansible_playbooks_in(run_dir: Path) -> list[str]:
    """ansible-playbook processes working in a run's directories (checked via /proc, not fleet)."""
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if "ansible-playbook" in cmdline and cwd.startswith(str(run_dir)):
            left.append(f"{entry}: {cmdline}")
    return left


def _wait_for(predicate, what: str, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_lock_then_ctrl_c(lab, tmp_path):
    """Site run A holds 0180120H (a long task); B on the same site exits 4 naming A; Ctrl-C A."""
    db = tmp_path / "a.db"
    for host in (
        PVE1,
        DC1,
        f"pve1.{OTHER.lower()}.lab.fleet.test",
        f"dc1.{OTHER.lower()}.lab.fleet.test",
    ):
        on_host(host, "rm", "-rf", REMOTE_DIR)  # so the quick site's marker is a change
        on_host(host, "mkdir", "-p", REMOTE_DIR)
    lock_file = ROOT / ".fleet" / "locks" / f"{SITE}.lock"
    first = subprocess.Popen(
        [
            FLEET,
            "--output",
            "json",
            "--registry",
            LAB_REGISTRY,
            "deploy",
            SITE,
            OTHER,
            "--playbook",
            f"{FIXTURE_PLAYBOOKS}/slow.yml",
            "-e",
            f"fleet_test_dir={REMOTE_DIR}",
            "-e",
            "sleep_seconds=900",
            "-e",
            f"quick_site={OTHER}",
            "--parallel",
            "2",
            "--yes",
            "--state-db",
            str(db),
        ],
        cwd=ROOT,
        env=fleet_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def holder():
            try:
                data = json.loads(lock_file.read_text() or "{}")
            except (OSError, ValueError):
                return None
            return data if data.get("pid") == first.pid else None

        held = _wait_for(holder, "run A to take the lock")

        def other_done():
            if not db.exists():
                return False
            with sqlite3.connect(db) as conn:
                rows = conn.execute(
                    "SELECT status FROM site_results WHERE site = ?", (OTHER,)
                ).fetchall()
            return bool(rows)

        _wait_for(other_done, f"{OTHER} (the quick site) to finish")
        _wait_for(
            lambda: on_host(PVE1, "pgrep", "-f", "sleep 900", check=False).returncode == 0,
            "the long task to run on pve1",
        )

        rc, data, stderr, _ = fleet(
            "deploy", SITE, "--component", "base", "--state-db", str(tmp_path / "b.db")
        )
        assert rc == 4, stderr
        message = site_of(data, SITE)["message"]
        assert f"pid {first.pid}" in message and held["user"] in message
        assert "slow.yml" in message and held["since"] in message
        assert data["exit_code"] == 4

        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
        # Like ansible-playbook's own Ctrl-C, cancelling does not reach a command already
        # running on the host (no tty, no SIGHUP): stop the test's long sleep by hand.
        on_host(PVE1, "pkill", "-f", "sleep 900", check=False)
    assert first.returncode == 130, err
    result = json.loads(out)
    assert result["interrupted"] is True and result["exit_code"] == 130
    assert site_of(result, SITE)["status"] == "cancelled"
    assert site_of(result, OTHER)["status"] == "changed"
    # history kept the partial results: the finished site and the cancelled one
    with sqlite3.connect(db) as conn:
        (status,) = conn.execute("SELECT status FROM runs").fetchone()
        sites = dict(conn.execute("SELECT site, status FROM site_results").fetchall())
    assert status == "interrupted"
    assert sites == {OTHER: "changed", SITE: "cancelled"}
    # no ansible-playbook left behind, the lock is free again
    run_dir = ROOT / ".fleet" / "runs" / result["run_id"]
    assert _ansible_playbooks_in(run_dir) == []
    assert lock_file.read_text() == ""


@pytest.fixture
def vaulted_registry(tmp_path):
    """A copy of the lab registry whose site 0180120H has an ansible-vault file."""
    registry = tmp_path / "registry"
    shutil.copytree(REPO / LAB_REGISTRY, registry, ignore=shutil.ignore_patterns("generated"))
    secret = "fleet-secret-" + secrets.token_hex(12)
    password = "vault-pass-" + secrets.token_hex(12)
    pwfile = tmp_path / "vault-pass"
    pwfile.write_text(password + "\n")
    vault = registry / "vault" / f"{SITE}.yml"
    vault.parent.mkdir(exist_ok=True)
    vault.write_text(f"fleet_test_secret: {secret}\n")
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-vault"),
            "encrypt",
            "--vault-password-file",
            str(pwfile),
            str(vault),
        ],
        check=True,
        capture_output=True,
    )
    assert secret not in vault.read_text()
    return registry, pwfile, secret, password


def test_vaulted_values_never_leak(lab, vaulted_registry, tmp_path):
    registry, pwfile, secret, password = vaulted_registry
    reports = tmp_path / "reports"
    db = tmp_path / "state.db"
    for host in (PVE1, DC1):
        on_host(host, "rm", "-rf", REMOTE_DIR)
        on_host(host, "mkdir", "-p", REMOTE_DIR)
    # without the password: bad input, nothing run
    rc, data, stderr, _ = fleet(
        "deploy", SITE, "--playbook", f"{FIXTURE_PLAYBOOKS}/vault.yml", registry=str(registry)
    )
    assert rc == 3 and "--vault-password-file" in stderr
    rc, data, stderr, stdout = fleet(
        "deploy",
        SITE,
        "--playbook",
        f"{FIXTURE_PLAYBOOKS}/vault.yml",
        "-e",
        f"fleet_test_dir={REMOTE_DIR}",
        "--diff",
        "--report",
        str(reports / "r.html"),
        "--junit",
        str(reports / "r.xml"),
        "--metrics",
        str(reports / "r.prom"),
        "--json-report",
        str(reports / "r.json"),
        "--state-db",
        str(db),
        registry=str(registry),
        FLEET_VAULT_PASSWORD_FILE=str(pwfile),
    )
    assert rc == 0, stderr
    assert site_of(data, SITE)["status"] == "changed"
    # the vaulted value really reached the host (so the grep below can find something)
    assert on_host(PVE1, "cat", f"{REMOTE_DIR}/{PVE1}.secret").stdout.strip() == secret
    run_dir = ROOT / ".fleet" / "runs" / data["run_id"]
    assert not (run_dir / SITE / "env" / "vault_password").exists()
    places: dict[str, bytes] = {"stdout": stdout.encode(), "stderr": stderr.encode()}
    for root in (run_dir, reports, db.parent):
        for path in root.rglob("*"):
            if path.is_file() and path != pwfile:
                places[str(path)] = path.read_bytes()
    assert any("job_events" in p for p in places), "no artifacts found to check"
    assert any(p.endswith("state.db") for p in places)
    for needle in (secret, password):
        hits = [p for p, content in places.items() if needle.encode() in content]
        assert hits == [], f"{needle[:12]}… found in {hits}"
