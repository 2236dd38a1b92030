"""Onboarding on the lab, end to end with the real CLI: a new lycée is added to a copy of the lab
registry with `fleet site new`, `fleet lab up` gives it its devices, `fleet onboard` runs every
live stage and `fleet verify` accepts it; the site becomes `active`.

This module's lycée keeps only its firewall (the technician's review of the skeleton removed the
rest), so its lab is the OPNsense simulator alone and the cycle stays short: it is the one
onboarding lab test of the default set. On the way it proves: a firewall API failing during
`network` (simulator fault on writes) stops the onboarding with exit 1 naming the stage and
what to run next; the fault cleared, the rerun continues at `network` (preflight is not run
again); `--status` before and after; verify is read-only (the simulator's persisted state is
byte-identical before and after) and names exactly the check a removed firewall rule breaks;
Ctrl-C during a stage exits 130 and the rerun resumes at that stage.
The full lycée (Linux hosts, Samba AD, kill -9 during `directory`, a stopped DC) is in
test_onboard_lycee_lab.py (slow).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml
from test_lab_sims import sim_processes

from fleet import components
from fleet.lab.sim import service
from fleet.lab.sim.part import endpoints, sim_dir
from fleet.onboard import stages

pytestmark = [pytest.mark.lab]

PROJECT = Path(__file__).resolve().parents[2]
UAI = "0450062Y"


def empty_lab_registry(root: Path) -> Path:
    """The lab registry (region, vault dir) without its demo sites: the new lycée alone."""
    registry = root / "registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    for path in (registry / "sites").glob("*.yml"):
        path.unlink()
    text = (registry / "allocations.yml").read_text(encoding="utf-8")
    (registry / "allocations.yml").write_text(text.split("sites:")[0] + "sites: {}\n")
    return registry


def unpin_removed_guests(site_file: Path) -> None:
    """`fleet site new` pins a VMID per guest in allocations.yml (`vmids.<UAI>.<guest>`): the
    guests the review removed give their pins back."""
    allocations = site_file.parent.parent / "allocations.yml"
    data = yaml.safe_load(allocations.read_text(encoding="utf-8")) or {}
    site = yaml.safe_load(site_file.read_text(encoding="utf-8"))
    kept = {g["name"] for g in site.get("guests") or []}
    vmids = data.get("vmids") or {}
    if site["uai"] in vmids:
        vmids[site["uai"]] = {g: v for g, v in vmids[site["uai"]].items() if g in kept}
        if not vmids[site["uai"]]:
            del vmids[site["uai"]]
    header = "".join(
        line for line in allocations.read_text(encoding="utf-8").splitlines(True)
        if line.startswith("#")
    )  # fmt: skip
    allocations.write_text(header + yaml.safe_dump(data, sort_keys=False))


def keep_only(site_file: Path, sections: tuple[str, ...]) -> None:
    """The technician's review: host sections other than `sections` removed."""
    data = yaml.safe_load(site_file.read_text(encoding="utf-8"))
    for key in ("proxmox", "guests", "firewall", "samba_ad", "opsi", "switches"):
        if key not in sections:
            data.pop(key, None)
    site_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    unpin_removed_guests(site_file)


@pytest.fixture(scope="module")
def lab(lab_project, tmp_path_factory):
    root = tmp_path_factory.mktemp("onboard-lab")
    registry = empty_lab_registry(root)
    project = lab_project(root / "project")
    project.registry = registry
    project.password_file = root / "vault-password"
    project.password_file.write_text(secrets.token_urlsafe(24) + "\n")
    yield project
    down = project.fleet("--output", "json", "lab", "down", timeout=300)
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project.root) == []


def fleet(lab, *args: str, timeout: float = 900) -> tuple[int, dict, str]:
    proc = lab.fleet("--registry", str(lab.registry), "--output", "json", *args,
                     timeout=timeout)  # fmt: skip
    try:
        return proc.returncode, json.loads(proc.stdout), proc.stderr
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON: {proc.stdout!r}\n{proc.stderr[-3000:]}") from exc


def onboard(lab, *args: str) -> tuple[int, dict, str]:
    return fleet(lab, "onboard", UAI, "--yes", "--vault-password-file",
                 str(lab.password_file), *args)  # fmt: skip


def stage_states(doc: dict) -> dict[str, str]:
    return {s["stage"]: s["status"] for s in doc["stages"]}


def status(lab) -> dict[str, str]:
    code, doc, err = fleet(lab, "onboard", UAI, "--status")
    assert code == 0, err
    return {r["stage"]: r["state"] for r in doc["stages"]}


def absent(stage: str) -> str:
    """A stage of a component this firewall-only site has no host for: `pending` while the
    component is not implemented, `no_hosts` once it is (the table decides, not this test)."""
    component = next(s.component for s in stages.stages() if s.name == stage)
    return "no_hosts" if components.get(component).implemented else "pending"


def faults(lab, spec: str) -> None:
    service.set_faults(endpoints(lab.root, "opnsense"), spec)


def sim_state(lab) -> dict[str, str]:
    """sha256 of every file the simulators persist (their whole device state)."""
    base = sim_dir(lab.root)
    return {
        str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file() and "state" in p.relative_to(base).parts
    }


def test_new_lycee_onboarded_through_a_firewall_fault_then_verified_and_active(lab):
    # the registry merge request: the site, its allocation, validated
    code, created, err = fleet(lab, "site", "new", "--uai", UAI, "--name", "Lycée Voltaire",
                               "--kind", "lycee", "--dept", "45", "--city", "Orléans")  # fmt: skip
    assert code == 0, err
    site_file = lab.registry / "sites" / f"{UAI}.yml"
    assert Path(created["site_file"]).resolve() == site_file.resolve()
    keep_only(site_file, ("firewall",))
    assert "state: onboarding" in site_file.read_text()

    up = lab.fleet("--output", "json", "lab", "up", "--lab-registry", str(lab.registry))
    assert up.returncode == 0, up.stderr[-3000:]
    assert [d["name"] for d in endpoints(lab.root, "opnsense")["devices"]] == [UAI]

    before = status(lab)
    assert before["preflight"] == before["network"] == before["verify"] == "todo"
    for stage in ("hypervisor", "base", "directory", "software", "switches"):
        assert before[stage] == absent(stage), stage  # listed, never a quiet pass

    # the firewall API refuses every write: preflight (reads) passes, network fails
    faults(lab, f"dev={UAI}:error=500:method=POST")
    code, doc, err = onboard(lab)
    assert code == 1, err
    states = stage_states(doc)
    assert states["preflight"] == "done" and states["network"] == "failed"
    assert states["verify"] == "not_reached"
    network = next(s for s in doc["stages"] if s["stage"] == "network")
    assert "HTTP 500" in network["message"] and network["task"]
    assert doc["next"].startswith("fix what network reports")
    assert f"`fleet onboard {UAI}` (resumes at network)" in doc["next"]
    assert doc["state"] == "onboarding" and "state: onboarding" in site_file.read_text()
    assert status(lab)["network"] == "failed"

    faults(lab, "")
    code, doc, err = onboard(lab)
    assert code == 0, err
    states = stage_states(doc)
    assert states["preflight"] == "done_earlier"  # resumed at network
    assert states["network"] == states["verify"] == "done"
    assert states["hypervisor"] == absent("hypervisor") and states["base"] == absent("base")
    assert doc["verification"]["result"] == "passed"
    assert doc["verification"]["counts"]["failed"] == 0
    assert doc["verification"]["versions"] == {
        f"fw1.{UAI.lower()}.lab.fleet.test OPNsense": "26.7.2"
    }
    # active, the one line shown as the merge request's change
    assert doc["state"] == "active"
    assert doc["state_change"]["before"] == "state: onboarding"
    assert doc["state_change"]["after"] == "state: active"
    lines = site_file.read_text().splitlines()
    assert lines[doc["state_change"]["line"] - 1] == "state: active"
    report = json.loads(Path(doc["verification"]["reports"]["json"]).read_text())
    assert report["identity"]["uai"] == UAI and report["by"]
    assert Path(doc["verification"]["reports"]["html"]).is_file()
    # the API secret of the firewall is nowhere in the report
    device = endpoints(lab.root, "opnsense")["devices"][0]
    for path in doc["verification"]["reports"].values():
        assert device["secret"] not in Path(path).read_text()
    after = status(lab)
    assert after["network"] == after["verify"] == "done"


def test_verify_is_read_only_and_names_exactly_the_broken_check(lab):
    if status(lab)["verify"] != "done":
        pytest.skip("needs the onboarded lycée of the previous test")
    before = sim_state(lab)
    assert before
    code, doc, err = fleet(lab, "verify", UAI)
    assert code == 0, err
    assert sim_state(lab) == before  # byte-identical: verify changed nothing

    device = endpoints(lab.root, "opnsense")["devices"][0]
    session = requests.Session()
    session.trust_env = False
    session.auth = (device["key"], device["secret"])
    url = device["url"] + "/api/firewall/filter"
    rules = session.get(f"{url}/get", verify=device["ca"], timeout=15).json()
    uuid = next(u for u, r in rules["filter"]["rules"]["rule"].items()
                if r["description"].startswith("[fleet] pedago-egress-web"))  # fmt: skip
    session.post(f"{url}/delRule/{uuid}", json={}, verify=device["ca"], timeout=15)
    session.post(f"{url}/apply", json={}, verify=device["ca"], timeout=15)

    code, doc, err = fleet(lab, "verify", UAI)
    assert code == 1, err
    (site,) = doc["sites"]
    assert site["failing"] == [
        f"opnsense: test_rules_in_registry_order[fw1.{UAI.lower()}.lab.fleet.test]"
    ]
    failing = next(c for c in site["checks"] if c["status"] == "failed")
    assert "pedago-egress-web" in failing["evidence"]


def test_ctrl_c_during_a_stage_exits_130_and_the_rerun_resumes_there(lab):
    """SIGINT (Ctrl-C) while `network` runs: fleet stops at a task boundary, exit 130, the stage
    is `interrupted`; the next `fleet onboard` resumes at `network` and finishes."""
    if status(lab)["verify"] != "done":
        pytest.skip("needs the onboarded lycée of the first test")
    faults(lab, f"dev={UAI}:latency=1500ms")  # every API call slow: the stage lasts a while
    try:
        log = lab.root / "ctrl-c.log"
        with open(log, "w") as stderr:
            proc = lab.popen_fleet("-v", "--registry", str(lab.registry), "--output", "json",
                                   "onboard", UAI, "--yes", "--from-stage", "network",
                                   "--vault-password-file", str(lab.password_file),
                                   stdout=subprocess.PIPE, stderr=stderr)  # fmt: skip
            deadline = time.monotonic() + 300
            while "network: task" not in log.read_text():
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=300)
    finally:
        faults(lab, "")
    assert proc.returncode == 130, log.read_text()[-3000:]
    doc = json.loads(out)
    assert stage_states(doc)["network"] == "interrupted"
    assert f"`fleet onboard {UAI}` resumes at network" in doc["next"]
    assert status(lab)["network"] == "interrupted"

    code, doc, err = onboard(lab)
    assert code == 0, err
    states = stage_states(doc)
    assert states["preflight"] == "done_earlier" and states["network"] == "done"
    assert states["verify"] == "done"
