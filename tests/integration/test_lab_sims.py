"""`fleet lab up` runs the three API simulators for the lab sites; `status` lists them; `down`
stops them.

The whole `fleet lab up` runs (containers included) in a temporary project directory, so this
lab's containers, simulator addresses and `.fleet/` are its own and `down` removes them all.
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from fleet.lab.sim import part

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
LAB_REGISTRY = REPO / "inventories" / "lab"
KINDS = ("pve", "opnsense", "opsi")


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fleet.cli.main", "--output", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def call(kind: str, device: dict, ca: str) -> object:
    """One authenticated read per API, TLS verified against the lab CA; returns its data."""
    if kind == "pve":
        auth = {"Authorization": f"PVEAPIToken={device['token_id']}={device['token_secret']}"}
        answer = requests.get(
            device["url"] + "/api2/json/version", headers=auth, verify=ca, timeout=10
        )
        answer.raise_for_status()
        return answer.json()["data"]["version"]
    if kind == "opnsense":
        answer = requests.get(
            device["url"] + "/api/core/firmware/status",
            headers=_basic(device["key"], device["secret"]),
            verify=ca,
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["product"]["product_version"]
    body = {"jsonrpc": "2.0", "id": 1, "method": "backend_info", "params": []}
    answer = requests.post(
        device["url"] + "/rpc",
        json=body,
        headers=_basic(device["username"], device["password"]),
        verify=ca,
        timeout=10,
    )
    answer.raise_for_status()
    assert answer.json().get("error") is None, answer.text
    return answer.json()["result"]


def sim_processes(root: Path) -> list[int]:
    """Pids of `fleet lab sim` processes whose state lives under this project."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if "sim" in words and any(w.startswith(str(root)) for w in words):
            found.append(int(entry.name))
    return found


def test_lab_up_serves_every_site_with_tls_and_recorded_credentials_and_down_stops_them(
    tmp_path,
):
    project = tmp_path / "project"
    project.mkdir()
    up = fleet(project, "lab", "up", "--lab-registry", str(LAB_REGISTRY))
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        sites = sorted({h["site"] for h in json.loads(up.stdout)["hosts"] if h["part"] == "hosts"})
        assert sites, "the lab registry has no sites"

        overlay = json.loads((project / ".fleet" / "lab" / "hosts.json").read_text())
        for kind in KINDS:
            doc = part.endpoints(project, kind)
            assert doc is not None, f"no {kind} simulator recorded"
            ready = part.run_dir(project) / f"{kind}.json"
            assert stat.S_IMODE(ready.stat().st_mode) == 0o600  # it holds the credentials
            # one device per site, and the kind's regional devices (the opsi master)
            expected = sorted([*sites, *part.EXTRA_DEVICES.get(kind, ())])
            assert sorted(d["name"] for d in doc["devices"]) == expected
            for device in doc["devices"]:
                assert call(kind, device, doc["ca"])
            # the overlay carries where each API is and its CA, never a credential
            secrets = {
                v
                for d in doc["devices"]
                for k, v in d.items()
                if k in ("token_secret", "secret", "password")
            }
            assert secrets and not any(s in json.dumps(overlay) for s in secrets)
            urls = {d["url"] for d in doc["devices"]}
            recorded = {
                v[f"fleet_{kind}_api_url"] for v in overlay.values() if f"fleet_{kind}_api_url" in v
            }
            assert recorded and recorded <= urls
        fw = [v for v in overlay.values() if "fleet_opnsense_api_url" in v]
        assert all(v["opnsense_api_url"] == v["fleet_opnsense_api_url"] for v in fw)

        status = fleet(project, "lab", "status")
        assert status.returncode == 0, status.stdout + status.stderr
        listed = json.loads(status.stdout)["hosts"]
        for kind in KINDS:
            rows = [s for s in listed if s["part"] == f"sim_{kind}"]
            assert sorted(s["site"] for s in rows) == sorted(
                [*sites, *part.EXTRA_DEVICES.get(kind, ())]
            )
            assert all(s["state"] == "running" and s["healthy"] for s in rows)
        assert sim_processes(project)
    finally:
        down = fleet(project, "lab", "down")
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project) == []
    for kind in KINDS:
        assert part.endpoints(project, kind) is None
    assert not (project / ".fleet" / "lab" / "hosts.json").exists()
    assert not part.sim_dir(project).exists()  # CA, state and run files removed
    status = fleet(project, "lab", "status")
    assert not [s for s in json.loads(status.stdout)["hosts"] if s["part"].startswith("sim_")]
