"""The proxmox component on the lab, end to end with the real CLI, ansible-runner, the roles and
their modules against the lab's PVE simulator (two sites, one node each):

deploy → the guests exist with the registry's cores, memory, disks, VLAN tags, pool and backup
job; deploy again → 0 changed, the guests module reads the cluster once and each guest's config
once and writes nothing; hand edits with proxmoxer (memory changed, a VLAN tag removed, a guest
stopped, the backup job disabled) → `fleet drift` exits 2 and the JSON report names each guest
or object and key; `fleet deploy` repairs while a simulator fault (500 on /cluster/resources) on
the other site fails only that site with the API's words; drift 0; the token secret is in no
run artifact.

The lab is this module's own: a project whose lab registry has the lab sites without firewall
and switches, so `fleet lab up` runs the node and guest containers and the PVE (and OPSI)
simulators only. The guests' SSH the role waits for are the containers'.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import proxmoxer
import pytest
import yaml
from test_lab_sims import sim_processes

from fleet.lab.sim import service
from fleet.lab.sim.part import endpoints

pytestmark = [pytest.mark.lab]

PROJECT = Path(__file__).resolve().parents[2]
LYCEE, COLLEGE = "0450050K", "0180120H"
SITES = (LYCEE, COLLEGE)


def proxmox_only(registry: Path) -> None:
    for path in (registry / "sites").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("firewall", "switches"):
            data.pop(key, None)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def lab(lab_project, tmp_path_factory):
    root = tmp_path_factory.mktemp("proxmox-lab")
    registry = root / "registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    proxmox_only(registry)
    project = lab_project(root / "project")
    up = project.fleet("--output", "json", "lab", "up", "--lab-registry", str(registry))
    assert up.returncode == 0, up.stderr[-3000:]
    project.registry = registry
    yield project
    down = project.fleet("--output", "json", "lab", "down", timeout=300)
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project.root) == []


def fleet(lab, command: str, *args: str, sites: tuple[str, ...] = SITES) -> tuple[int, dict]:
    proc = lab.fleet("--registry", str(lab.registry), "--output", "json", command, *sites,
                     "--component", "proxmox", *args)  # fmt: skip
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON: {proc.stdout!r}\n{proc.stderr[-3000:]}") from exc


def by_site(data: dict) -> dict[str, dict]:
    return {s["site"]: s for s in data["sites"]}


def device(lab, site: str) -> dict:
    return next(d for d in endpoints(lab.root, "pve")["devices"] if d["name"] == site)


def api(lab, site: str):
    """Another client: proxmoxer with the node's token, TLS verified (the web UI's stand-in)."""
    dev = device(lab, site)
    url = urlsplit(dev["url"])
    user, _, name = dev["token_id"].partition("!")
    return proxmoxer.ProxmoxAPI(url.hostname, port=url.port, user=user, token_name=name,
                                token_value=dev["token_secret"], verify_ssl=dev["ca"], timeout=15)  # fmt: skip


def guests_calls(site_result: dict) -> dict[str, int]:
    """API calls of the guests module in a site run (from the run's job events)."""
    for path in (Path(site_result["run_dir"]) / "artifacts").rglob("job_events/*.json"):
        event = json.loads(path.read_text(encoding="utf-8"))
        data = event.get("event_data") or {}
        if event.get("event") == "runner_on_ok" and str(data.get("task_action", "")).endswith(
            "fleet_proxmox_guests"
        ):
            return data["res"]["calls"]
    raise AssertionError("the guests task did not run")


def wanted(lab, site: str) -> list[dict]:
    inventory = json.loads(
        lab.fleet("--registry", str(lab.registry), "inventory", "show", site).stdout
    )
    hostvars = inventory["_meta"]["hostvars"]
    return [g for h in inventory["proxmox_nodes"]["hosts"] for g in hostvars[h]["proxmox_guests"]]


def wait(pve, upid: str) -> None:
    import time

    for _ in range(300):
        if pve.nodes("pve1").tasks(upid).status.get()["status"] == "stopped":
            return
        time.sleep(0.1)
    raise AssertionError(upid)


def test_deploy_drift_repair_cycle_with_a_fault_on_the_other_site(lab):
    rc, data = fleet(lab, "deploy", "--yes")
    assert rc == 0 and {s["status"] for s in by_site(data).values()} == {"changed"}, data
    pve = api(lab, LYCEE)
    resources = {r["vmid"]: r for r in pve.cluster.resources.get(type="vm")}
    for guest in wanted(lab, LYCEE):
        entry = resources[guest["vmid"]]
        assert entry["name"] == guest["name"] and entry["pool"] == "site-0450050k"
        assert entry["status"] == "running" and entry["tags"] == "fleet"
        config = pve.nodes("pve1").qemu(guest["vmid"]).config.get()
        assert config["cores"] == guest["cores"] and config["memory"] == str(guest["memory_mb"])
        assert config["net0"].endswith(f",bridge=vmbr0,tag={guest['vlan_id']}")
        assert f"size={guest['disk_gb']}G" in config["scsi0"]
    (job,) = pve.cluster.backup.get()
    assert job["id"] == "fleet-nightly" and job["pool"] == "site-0450050k" and job["enabled"] == 1

    rc, data = fleet(lab, "deploy", "--yes")
    sites = by_site(data)
    assert rc == 0 and {s["status"] for s in sites.values()} == {"ok"}, data
    assert guests_calls(sites[LYCEE]) == {"reads": 1 + len(wanted(lab, LYCEE)), "writes": 0,
                                          "polls": 0}  # fmt: skip

    # hand edits, as in the web UI: memory, a VLAN tag removed, a guest stopped, a job disabled
    dc1, depot1 = (next(g for g in wanted(lab, LYCEE) if g["name"] == n) for n in ("dc1", "depot1"))
    pve.nodes("pve1").qemu(dc1["vmid"]).config.put(memory=2048)
    net0 = pve.nodes("pve1").qemu(depot1["vmid"]).config.get()["net0"]
    pve.nodes("pve1").qemu(depot1["vmid"]).config.put(net0=net0.replace(",tag=20", ""))
    wait(pve, pve.nodes("pve1").qemu(dc1["vmid"]).status.stop.post())
    pve.cluster.backup("fleet-nightly").put(enabled=0)
    wait(pve, pve.nodes("pve1").qemu.post(vmid=990, name="handmade", memory=512))  # not fleet's

    rc, data = fleet(lab, "drift", sites=(LYCEE,))
    assert rc == 2, data
    (site,) = data["sites"]
    diffs = {}
    for task in site["changed"]:
        for d in task["diff"]:
            for name, fields in (d.get("after") or {}).items():
                diffs[name] = (d["before"][name], fields)
    assert diffs["dc1"] == ({"memory": 2048, "status": "stopped"},
                            {"memory": 4096, "status": "running"})  # fmt: skip
    assert diffs["depot1"] == ({"net0": "virtio,bridge=vmbr0"},
                               {"net0": "virtio,bridge=vmbr0,tag=20"})  # fmt: skip
    assert diffs["backup-job fleet-nightly"] == ({"enabled": 0}, {"enabled": 1})
    assert len(diffs) == 3
    view = data["component_summaries"]["proxmox"]["sites"][LYCEE]
    assert view["unmanaged"] == ["qemu/990 handmade", "storage local"] and view["stale"] == []

    # repair, while the collège's node answers 500 to the cluster read
    doc = endpoints(lab.root, "pve")
    service.set_faults(doc, f"dev={COLLEGE}:error=500:method=GET:path=/api2/json/cluster/resources")
    try:
        rc, data = fleet(lab, "deploy", "--yes")
    finally:
        service.set_faults(doc, "")
    sites = by_site(data)
    assert rc == 1 and sites[LYCEE]["status"] == "changed", data
    assert sites[COLLEGE]["status"] == "failed"
    (failure,) = sites[COLLEGE]["failures"]
    assert failure["task"].startswith("Guests of the site")
    assert "GET cluster/resources: Internal Server Error" in failure["message"]

    rc, data = fleet(lab, "drift")
    assert rc == 0, data
    assert pve.nodes("pve1").qemu(dc1["vmid"]).status.current.get()["status"] == "running"
    assert pve.nodes("pve1").qemu(990).config.get()["name"] == "handmade"  # left alone
    secret = device(lab, LYCEE)["token_secret"]
    for path in (lab.root / ".fleet").rglob("*"):
        if path.is_file() and "lab/sim" not in str(path) and path.stat().st_size < 50_000_000:
            assert secret.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_a_timeout_and_a_task_error_each_fail_only_their_site(lab, tmp_path):
    """The lycée's clone task ends in error (its thin pool cannot hold a new guest's disk) while
    the collège's node never answers the config read: both fail with the API's words; a third
    run without the faults converges both."""
    registry = tmp_path / "registry"
    shutil.copytree(lab.registry, registry)
    site = registry / "sites" / f"{LYCEE}.yml"
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["guests"].append({"name": "big1", "template": "file", "node": "pve1", "host": 40,
                           "disk_gb": 1200})  # fmt: skip
    site.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    doc = endpoints(lab.root, "pve")
    service.set_faults(doc, f"dev={COLLEGE}:hang=60s:method=GET:path=/api2/json/nodes/*/config")
    try:
        proc = lab.fleet("--registry", str(registry), "--output", "json", "deploy", *SITES,
                         "--component", "proxmox", "--yes", "-e", "proxmox_guests_api_timeout=3")  # fmt: skip
    finally:
        service.set_faults(doc, "")
    data = json.loads(proc.stdout)
    sites = by_site(data)
    assert proc.returncode == 1 and {s["status"] for s in sites.values()} == {"failed"}, data
    (lycee,) = sites[LYCEE]["failures"]
    assert "guest big1 (VMID 2040)" in lycee["message"]
    assert "ended in error: no space left on storage 'local-lvm'" in lycee["message"]
    (college,) = sites[COLLEGE]["failures"]
    assert "ReadTimeout" in college["message"] or "timed out" in college["message"]
    # back to the lab registry: big1 (cloned, tagged, then failed) is stale, kept and listed ...
    rc, data = fleet(lab, "deploy", "--yes")
    assert rc == 0, data
    assert data["component_summaries"]["proxmox"]["sites"][LYCEE]["stale"] == ["big1"]
    pve = api(lab, LYCEE)
    assert pve.nodes("pve1").qemu(2040).config.get()["name"] == "big1"
    # ... until a deploy with --allow-destroy removes it (and only it)
    rc, data = fleet(lab, "deploy", "--yes", "--allow-destroy", sites=(LYCEE,))
    assert rc == 0, data
    vmids = {r["vmid"] for r in pve.cluster.resources.get(type="vm")}
    assert 2040 not in vmids and {2010, 2020, 990} <= vmids
