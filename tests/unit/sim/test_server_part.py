"""The lab part running the real simulators in the background for the lab's sites."""

from __future__ import annotations

import json
import os
from pathlib import Path

import requests

from fleet.lab import state
from fleet.lab.parts import LabContext, LabPart
from fleet.lab.sim import part


def _inventory() -> dict:
    hosts = {
        "pve1.0180120h.lab.fleet.test": "0180120H",
        "pve1.0450050k.lab.fleet.test": "0450050K",
        "dc1.0450050k.lab.fleet.test": "0450050K",
    }
    return {
        "_meta": {"hostvars": {h: {"fleet_site": s} for h, s in hosts.items()}},
        "all": {"children": ["proxmox_nodes", "samba_dc"]},
        "proxmox_nodes": {"hosts": sorted(h for h in hosts if h.startswith("pve1"))},
        "samba_dc": {"hosts": ["dc1.0450050k.lab.fleet.test"]},
    }


def test_pve_simulator_part_up_status_down(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # free ports: never clash with a real lab
    sim = part.Simulator("pve")
    assert isinstance(sim, LabPart)
    ctx = LabContext(project_root=tmp_path, inventory=_inventory())
    try:
        up = sim.up(ctx)
        assert [s.site for s in up] == ["0180120H", "0450050K"]
        assert all(s.state == "running" and s.healthy for s in up)

        overlay = state.load_overlay(tmp_path)
        node = overlay["pve1.0450050k.lab.fleet.test"]
        assert set(node) == {
            "fleet_pve_api_url",
            "fleet_pve_api_ca",
            "fleet_pve_api_credentials_file",
        }
        assert "dc1.0450050k.lab.fleet.test" not in overlay
        doc = part.endpoints(tmp_path, "pve")
        device = next(d for d in doc["devices"] if d["name"] == "0450050K")
        # the overlay names a file; the secret is only in that file, readable by its owner only
        assert device["token_secret"] not in state.hosts_path(tmp_path).read_text()
        login = Path(node["fleet_pve_api_credentials_file"])
        assert login.stat().st_mode & 0o077 == 0
        creds = json.loads(login.read_text())
        assert (creds["token_id"], creds["token_secret"]) == (
            device["token_id"],
            device["token_secret"],
        )
        assert device["url"] == node["fleet_pve_api_url"]
        answer = requests.get(
            device["url"] + "/api2/json/version",
            headers={"Authorization": f"PVEAPIToken={creds['token_id']}={creds['token_secret']}"},
            verify=node["fleet_pve_api_ca"],
            timeout=10,
        )
        assert answer.status_code == 200 and "version" in answer.json()["data"]

        assert sim.up(ctx)[0].endpoint == up[0].endpoint  # idempotent: same process
        assert [s.state for s in sim.status(ctx)] == ["running", "running"]
    finally:
        removed = sim.down(ctx)
    assert "pve simulator" in removed
    assert [s.state for s in sim.status(ctx)] == []
    assert not part.sim_dir(tmp_path).exists()  # the only simulator: CA and run files go too
    assert state.load_overlay(tmp_path) is None
    assert not (part.sim_dir(tmp_path) / "pve").exists()
    # nothing of the lab recorded any more (`down` removes an emptied state file)
    lab_state = state.state_path(tmp_path)
    assert not lab_state.exists() or json.loads(lab_state.read_text())["parts"] == {}


def test_a_changed_site_list_restarts_the_simulator_and_keeps_device_state(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    sim = part.Simulator("pve")
    ctx = LabContext(project_root=tmp_path, inventory=_inventory())
    try:
        sim.up(ctx)
        doc = part.endpoints(tmp_path, "pve")
        first = next(d for d in doc["devices"] if d["name"] == "0180120H")
        auth = {"Authorization": f"PVEAPIToken={first['token_id']}={first['token_secret']}"}
        created = requests.post(
            first["url"] + "/api2/json/access/users",
            data={"userid": "kept@pve"},
            headers=auth,
            verify=first["ca"],
            timeout=10,
        )
        assert created.status_code == 200

        bigger = _inventory()
        bigger["_meta"]["hostvars"]["pve1.0370001a.lab.fleet.test"] = {"fleet_site": "0370001A"}
        bigger["proxmox_nodes"]["hosts"].append("pve1.0370001a.lab.fleet.test")
        up = sim.up(LabContext(project_root=tmp_path, inventory=bigger))
        assert [s.site for s in up] == ["0180120H", "0370001A", "0450050K"]
        assert all(s.healthy for s in up)
        doc = part.endpoints(tmp_path, "pve")
        first = next(d for d in doc["devices"] if d["name"] == "0180120H")
        auth = {"Authorization": f"PVEAPIToken={first['token_id']}={first['token_secret']}"}
        users = requests.get(
            first["url"] + "/api2/json/access/users", headers=auth, verify=first["ca"], timeout=10
        )
        assert "kept@pve" in [u["userid"] for u in users.json()["data"]]
        assert "pve1.0370001a.lab.fleet.test" in state.load_overlay(tmp_path)
    finally:
        sim.down(ctx)
