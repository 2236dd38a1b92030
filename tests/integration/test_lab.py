"""`fleet lab up|status|down` against real podman containers, and fleet's behaviour when a lab
host dies mid-deploy. The tests run in order on one lab of their own (a test project, see
conftest.py); the destructive ones repair or remove only that lab.

Run: .venv/bin/pytest -m lab tests/integration/test_lab.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.lab]

SITES = {
    "0450050K": [
        "dc1.0450050k.lab.fleet.test",
        "depot1.0450050k.lab.fleet.test",
        "pve1.0450050k.lab.fleet.test",
    ],
    "0180120H": ["dc1.0180120h.lab.fleet.test", "pve1.0180120h.lab.fleet.test"],
}
HOSTS = sorted(h for hosts in SITES.values() for h in hosts)
LINUX = "linux"


@pytest.fixture(scope="module")
def lab(lab_project, tmp_path_factory: pytest.TempPathFactory):
    project = lab_project(tmp_path_factory.mktemp("lab-project"))
    first = project.up()
    project.first_up = first
    yield project
    # whatever happened above, leave nothing of this lab behind
    project.fleet("lab", "down", timeout=300)


def running_ids(project) -> dict[str, str]:
    return {
        c["Labels"]["io.fleet.lab.host"]: c["Id"]
        for c in project.containers()
        if c.get("State") == "running"
    }


def ssh_clients_to(ports: set[int]) -> list[str]:
    """`ss` lines of processes with an established TCP connection to one of those loopback ports."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", "dst", "127.0.0.1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = []
    for line in out.splitlines():
        cols = line.split()
        # Recv-Q Send-Q Local Peer Process
        peer_port = cols[3].rsplit(":", 1)[-1] if len(cols) >= 4 else ""
        if peer_port.isdigit() and int(peer_port) in ports and "users:" in line:
            found.append(line)
    return found


def processes_mentioning(*needles: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(n in cmdline for n in needles):
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


# --------------------------------------------------------------------------------- up / status


def test_up_starts_one_container_per_linux_host_on_loopback(lab):
    rows = lab.first_up["hosts"]
    hosts = [h for h in rows if h["part"] == "hosts"]
    assert sorted(h["name"] for h in hosts) == HOSTS
    # the API simulators come up with the hosts: one device per kind and lab site
    # (plus the regional opsi master: its repository holds the catalogue's packages)
    assert sorted(h["name"] for h in rows if h["part"].startswith("sim_")) == sorted(
        [f"{kind}:{site}" for kind in ("opnsense", "opsi", "pve") for site in SITES]
        + ["opsi:master"]
        # and one simulated switch per switch host (docs/switches.md)
        + ["switches:sw-b.0450050k.lab.fleet.test", "switches:sw-core.0450050k.lab.fleet.test"]
    )
    assert all(h["healthy"] for h in hosts), hosts
    containers = lab.containers()
    assert sorted(c["Labels"]["io.fleet.lab.host"] for c in containers) == HOSTS
    for c in containers:
        assert c["State"] == "running"
        assert c["Names"][0] == lab.container(c["Labels"]["io.fleet.lab.host"])
        # sshd is published on 127.0.0.1 only, and nothing else is published
        ports = c.get("Ports") or []
        assert [(p["host_ip"], p["container_port"]) for p in ports] == [("127.0.0.1", 22)]
    by_host = {h["name"]: h for h in hosts}
    for c in containers:
        host_port = c["Ports"][0]["host_port"]
        assert by_host[c["Labels"]["io.fleet.lab.host"]]["endpoint"] == f"127.0.0.1:{host_port}"
    # dc hosts run the pre-baked samba image
    variants = {
        c["Labels"]["io.fleet.lab.host"]: c["Labels"]["io.fleet.lab.variant"] for c in containers
    }
    assert {h for h, v in variants.items() if v == "samba"} == {
        h for h in HOSTS if h.startswith(("dc1.", "depot1."))  # the depot's Samba share
    }


def test_up_twice_makes_no_duplicates(lab):
    before = running_ids(lab)
    data = lab.up()
    assert data["healthy"] is True
    after = running_ids(lab)
    assert after == before  # the very same containers, none added
    assert len(lab.containers()) == len(HOSTS)
    assert len(lab.networks()) == 1


def test_status_lists_every_host_healthy(lab):
    rc, data = lab.fleet_json("lab", "status")
    assert rc == 0, data
    assert data["healthy"] is True
    hosts = [h for h in data["hosts"] if h["part"] == "hosts"]
    assert sorted(h["name"] for h in hosts) == HOSTS
    assert {h["name"]: h["site"] for h in hosts} == {
        h: site for site, hosts in SITES.items() for h in hosts
    }
    state = json.loads((lab.lab_dir / "state.json").read_text())
    recorded = state["parts"]["hosts"]["hosts"]
    for h in hosts:
        assert h["healthy"] and h["state"] == "running"
        assert h["endpoint"] == f"127.0.0.1:{recorded[h['name']]['port']}"
    # text output for people
    text = lab.fleet("lab", "status")
    assert text.returncode == 0
    for host in HOSTS:
        assert host in text.stdout


def test_a_second_up_or_down_while_one_runs_is_refused_naming_the_holder(lab):
    running = lab.popen_fleet("lab", "up", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lock = lab.root / ".fleet" / "locks" / "lab.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = lock.read_text() if lock.exists() else ""
        if f'"pid": {running.pid}' in text:
            break
        assert running.poll() is None, running.stderr.read()
        time.sleep(0.1)
    else:
        pytest.fail("the running `fleet lab up` never took the lab lock")
    try:
        refused = lab.fleet("lab", "down")
        assert refused.returncode == 4, refused.stderr
        assert f"pid {running.pid}" in refused.stderr
        assert "fleet lab up" in refused.stderr
        rc, data = lab.fleet_json("lab", "up")
        assert rc == 4
        assert data["exit_code"] == 4 and f"pid {running.pid}" in data["message"]
    finally:
        _, err = running.communicate(timeout=300)
    assert running.returncode == 0, err
    # the refused `down` removed nothing
    assert len(running_ids(lab)) == len(HOSTS)


def test_ansible_reaches_every_host_over_ssh_with_host_key_checking(lab):
    proc = lab.ansible("all", "-m", "ansible.builtin.ping")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host in HOSTS:
        assert re.search(rf"^{re.escape(host)} \| SUCCESS", proc.stdout, re.M), proc.stdout
    # the inventory points at the published ports, with the lab key and strict checking
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-inventory"),
            "-i",
            str(lab.inventory),
            "--list",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    hostvars = json.loads(proc.stdout)["_meta"]["hostvars"]
    ports = {c["Labels"]["io.fleet.lab.host"]: c["Ports"][0]["host_port"] for c in lab.containers()}
    for host in HOSTS:
        assert hostvars[host]["ansible_host"] == "127.0.0.1"
        assert hostvars[host]["ansible_port"] == ports[host]
        assert "StrictHostKeyChecking=yes" in hostvars[host]["ansible_ssh_common_args"]


def test_host_key_checking_is_really_on(lab, tmp_path):
    """The same ssh settings with an empty known_hosts are refused: keys are checked."""
    config = (lab.lab_dir / "ssh_config").read_text()
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    tampered = tmp_path / "ssh_config"
    tampered.write_text(config.replace(str(lab.lab_dir / "known_hosts"), str(empty)))
    host = HOSTS[0]
    ok = subprocess.run(
        ["ssh", "-F", str(lab.lab_dir / "ssh_config"), host, "hostname"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0 and ok.stdout.strip() == host, ok.stderr
    refused = subprocess.run(
        ["ssh", "-F", str(tampered), "-o", "ControlPath=none", host, "hostname"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "Host key verification failed" in refused.stderr


# --------------------------------------------------------------------------------- crash, repair


FORWARD_TASK = "Write the forwarding rule"  # role base, tasks/syslog.yml


def test_plan_of_a_never_deployed_site_lists_changes_without_failing(lab):
    host = "pve1.0180120h.lab.fleet.test"
    # the premise: nothing has been deployed on this host yet (the admin account is missing)
    assert lab.podman("exec", lab.container(host), "id", "fleetadm", check=False).returncode != 0
    rc, data = lab.fleet_json(
        "--registry", "inventories/lab", "plan", "0180120H", "--component", "base"
    )
    assert rc == 2, data
    site = data["sites"][0]
    assert site["failures"] == [] and site["totals"]["failed"] == 0, site["failures"]
    tasks = {(c["host"], c["task"]) for c in site["changed"]}
    assert (host, "Create the admin accounts") in tasks
    # the log forwarding to the lab registry's syslog_server, as a diff of the file to write
    forward = [c for c in site["changed"] if (c["host"], c["task"]) == (host, FORWARD_TASK)]
    assert len(forward) == 1, tasks
    assert 'target="127.0.0.1"' in forward[0]["diff"][0]["after"], forward
    # read-only: still no account, no forwarding rule
    container = lab.container(host)
    assert lab.podman("exec", container, "id", "fleetadm", check=False).returncode != 0
    rule = "/etc/rsyslog.d/90-fleet-forward.conf"
    assert lab.podman("exec", container, "test", "-e", rule, check=False).returncode != 0


def test_up_after_a_crash_repairs_the_lab(lab):
    removed, stopped_sshd, killed = (
        "pve1.0180120h.lab.fleet.test",
        "depot1.0450050k.lab.fleet.test",
        "dc1.0180120h.lab.fleet.test",
    )
    untouched = set(HOSTS) - {removed, stopped_sshd, killed}
    before = running_ids(lab)
    lab.podman("rm", "-f", "-t", "1", lab.container(removed))
    lab.podman(
        "exec", lab.container(stopped_sshd), "systemctl", "stop", "ssh.service", "ssh.socket"
    )
    lab.podman("kill", lab.container(killed))

    rc, data = lab.fleet_json("lab", "status")
    assert rc == 1
    health = {h["name"]: h for h in data["hosts"]}
    assert health[removed]["state"] == "missing" and not health[removed]["healthy"]
    assert health[killed]["state"] == "stopped" and not health[killed]["healthy"]
    assert health[stopped_sshd]["state"] == "running" and not health[stopped_sshd]["healthy"]
    assert all(health[h]["healthy"] for h in untouched)

    data = lab.up()
    assert data["healthy"] is True
    after = running_ids(lab)
    assert sorted(after) == HOSTS and len(lab.containers()) == len(HOSTS)
    assert all(after[h] == before[h] for h in untouched)  # healthy hosts were left alone
    assert after[stopped_sshd] == before[stopped_sshd]  # repaired in place (sshd restarted)
    rc, data = lab.fleet_json("lab", "status")
    assert rc == 0 and data["healthy"], data
    proc = lab.ansible(LINUX, "-m", "ansible.builtin.ping")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_host_killed_mid_deploy_is_reported_unreachable_and_the_other_site_succeeds(lab):
    victim, site_of_victim, other_site = "pve1.0180120h.lab.fleet.test", "0180120H", "0450050K"
    out = lab.root / "deploy.json"
    with open(out, "w") as stdout:
        deploy = lab.popen_fleet(
            "--registry",
            "inventories/lab",
            "--output",
            "json",
            "deploy",
            other_site,
            site_of_victim,
            "--component",
            "base",
            "--yes",
            stdout=stdout,
            stderr=subprocess.PIPE,
        )
    try:
        # wait until Ansible has done a task on the victim, then kill its container
        deadline = time.monotonic() + 600
        while not _task_done_on(lab.root, site_of_victim, victim):
            assert deploy.poll() is None, (
                f"deploy ended before any task ran: {deploy.stderr.read()}"
            )
            assert time.monotonic() < deadline, "no task ran on the victim within 10 minutes"
            time.sleep(0.5)
        lab.podman("kill", lab.container(victim))
        _, err = deploy.communicate(timeout=1200)
    finally:
        if deploy.poll() is None:
            deploy.kill()
    report = json.loads(out.read_text())
    assert deploy.returncode == 1, err
    assert report["exit_code"] == 1
    sites = {s["site"]: s for s in report["sites"]}

    hit = sites[site_of_victim]
    assert hit["status"] == "unreachable", hit
    assert hit["hosts"][victim]["unreachable"] >= 1
    assert any(f["host"] == victim and f["unreachable"] for f in hit["failures"]), hit["failures"]
    # the killed site's other host went on to the end
    survivor = "dc1.0180120h.lab.fleet.test"
    assert hit["hosts"][survivor]["unreachable"] == 0 and hit["hosts"][survivor]["failed"] == 0

    fine = sites[other_site]
    assert fine["status"] in {"changed", "ok"}, fine
    assert fine["rc"] == 0
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in fine["hosts"].values())
    assert sorted(fine["hosts"]) == SITES[other_site]

    # and the lab comes back
    assert lab.up()["healthy"] is True


def _task_done_on(root: Path, site: str, host: str) -> bool:
    for event_file in root.glob(f".fleet/runs/*/{site}/artifacts/*/job_events/*.json"):
        try:
            event = json.loads(event_file.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # being written
        data = event.get("event_data") or {}
        if event.get("event") in ("runner_on_ok", "runner_on_changed") and data.get("host") == host:
            return True
    return False


# --------------------------------------------------------------------------------- down


def test_down_removes_everything_of_this_lab_and_nothing_else(lab):
    from fleet.lab.image import image_ref

    suffix = f"{os.getpid()}-{int(time.time())}"
    # an unrelated container, and one that looks like a lab container of another checkout
    bystanders = [f"fleet-test-bystander-{suffix}", f"fleet-lab-00000000-bystander-{suffix}"]
    lab.podman("create", "--pull=never", "--name", bystanders[0], image_ref("base"), "/sbin/init")
    lab.podman(
        "create",
        "--pull=never",
        "--name",
        bystanders[1],
        "--label",
        "io.fleet.lab=1",
        "--label",
        "io.fleet.lab.part=hosts",
        "--label",
        "io.fleet.lab.project=/nonexistent/other-checkout",
        image_ref("base"),
        "/sbin/init",
    )
    try:
        ports = {c["Ports"][0]["host_port"] for c in lab.containers()}
        # Ansible leaves ControlPersist ssh masters behind: down must end them too
        assert lab.ansible(LINUX, "-m", "ansible.builtin.ping").returncode == 0
        assert ssh_clients_to(ports), "expected Ansible's ssh masters to the lab before down"

        rc, data = lab.fleet_json("lab", "down")
        assert rc == 0, data
        assert any(r.startswith("container ") for r in data["removed"])

        assert lab.containers() == []
        assert lab.networks() == []
        leftovers = ssh_clients_to(ports)
        assert leftovers == [], leftovers
        assert processes_mentioning(lab.prefix, str(lab.lab_dir)) == []
        left = sorted(p.name for p in lab.lab_dir.rglob("*")) if lab.lab_dir.exists() else []
        assert left == [], left
        for name in bystanders:
            assert lab.podman("container", "exists", name, check=False).returncode == 0, name

        rc, data = lab.fleet_json("lab", "status")
        assert rc == 0 and data["hosts"] == []
        # a second down has nothing left to do
        rc, data = lab.fleet_json("lab", "down")
        assert rc == 0 and data["removed"] == []
    finally:
        lab.podman("rm", "-f", *bystanders, check=False)
