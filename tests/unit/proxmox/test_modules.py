"""The fleet_proxmox_* modules through Ansible itself (ad-hoc, local connection, fleet's Python,
the json callback) against a simulated node: check mode changes nothing and shows the diff, a
run converges, the next one changes nothing with 1 + N reads, a token secret passed as a module
argument (as the vault gives it) appears nowhere in Ansible's output, a shrink is refused with
the plan's words, a stale guest is kept with a warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import guest

PROJECT = Path(__file__).resolve().parents[3]
ANSIBLE = Path(sys.executable).with_name("ansible")


def ansible(module: str, args: dict, tmp: Path, check: bool = False) -> dict:
    env = dict(
        os.environ,
        ANSIBLE_LIBRARY=str(PROJECT / "plugins/modules"),
        ANSIBLE_MODULE_UTILS=str(PROJECT / "plugins/module_utils"),
        ANSIBLE_DOC_FRAGMENT_PLUGINS=str(PROJECT / "plugins/doc_fragments"),
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_HOME=str(tmp / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    argv = [str(ANSIBLE), "all", "-i", "localhost,", "-c", "local", "-e",
            f"ansible_python_interpreter={sys.executable}", "-m", module, "-a", json.dumps(args)]  # fmt: skip
    if check:
        argv += ["--check", "--diff"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=PROJECT, timeout=120)
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    return {"result": data["plays"][0]["tasks"][0]["hosts"]["localhost"],
            "raw": proc.stdout + proc.stderr}  # fmt: skip


def test_the_guests_module_plans_converges_stays_converged_and_hides_the_secret(pve, tmp_path):
    d = pve.doc
    api = {"api_url": d["url"], "api_token_id": d["token_id"], "api_token_secret": d["token_secret"],
           "api_ca": d["ca"]}  # fmt: skip
    guests = [guest(), guest("depot1", 2020, state="stopped")]
    plan = ansible("fleet_proxmox_guests", {**api, "guests": guests}, tmp_path, check=True)
    assert plan["result"]["changed"] is True
    assert plan["result"]["diff"]["after"]["dc1"]["net0"] == "virtio,bridge=vmbr0,tag=20"
    assert "2010" not in pve.state["guests"]
    first = ansible("fleet_proxmox_guests", {**api, "guests": guests}, tmp_path)
    assert first["result"]["changed"] is True and pve.state["guests"]["2010"]["status"] == "running"
    second = ansible("fleet_proxmox_guests", {**api, "guests": guests}, tmp_path)
    assert second["result"]["changed"] is False
    assert second["result"]["calls"] == {"reads": 3, "writes": 0, "polls": 0}
    for run in (plan, first, second):
        assert d["token_secret"] not in run["raw"]

    shrink = [guest(disks=[{"slot": "scsi0", "size_gb": 8}]), guests[1]]
    refused = ansible("fleet_proxmox_guests", {**api, "guests": shrink}, tmp_path, check=True)
    assert refused["result"]["failed"] is True
    assert "disk scsi0 is 32G on the node and 8G in the registry" in refused["result"]["msg"]

    kept = ansible("fleet_proxmox_guests", {**api, "guests": guests[:1]}, tmp_path)
    assert kept["result"]["changed"] is False and kept["result"]["stale"] == ["depot1"]
    assert "depot1: managed by fleet but no longer in the registry; kept" in kept["raw"]
    assert "2020" in pve.state["guests"]


def test_the_node_and_cluster_modules_converge_and_stay_converged(pve, tmp_path):
    d = pve.doc
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"token_id": d["token_id"], "token_secret": d["token_secret"]}))
    api = {"api_url": d["url"], "api_credentials_file": str(creds), "api_ca": d["ca"]}
    node = {**api, "node": "pve1", "timezone": "Europe/Paris",
            "dns": {"search": "lab.test", "servers": ["10.32.0.53"]}}  # fmt: skip
    cluster = {**api, "backup_jobs": [], "storage": [
        {"id": "local-lvm", "type": "lvmthin", "vgname": "pve", "thinpool": "data",
         "content": ["images", "rootdir"]}]}  # fmt: skip
    for module, args in (("fleet_proxmox_node", node), ("fleet_proxmox_cluster", cluster)):
        first = ansible(module, args, tmp_path)
        assert "failed" not in first["result"], first["raw"][-2000:]
        again = ansible(module, args, tmp_path)
        assert again["result"]["changed"] is False, again["result"]
        assert again["result"]["calls"]["writes"] == 0
    assert pve.state["timezone"] == "Europe/Paris"
    assert ansible("fleet_proxmox_cluster", cluster, tmp_path)["result"]["unmanaged"] == [
        "storage local"
    ]


def test_a_new_automation_token_goes_into_the_sites_vault_and_nowhere_else(pve, tmp_path):
    bin_dir = Path(sys.executable).parent
    password = tmp_path / "vault_password"
    password.write_text("vault-pass-for-the-test\n")
    vault = tmp_path / "registry" / "vault" / "0450050K.yml"
    vault.parent.mkdir(parents=True)
    vault.write_text("samba_ad_admin_password: already-there\n")
    subprocess.run([str(bin_dir / "ansible-vault"), "encrypt", "--vault-password-file",
                    str(password), str(vault)], check=True, capture_output=True)  # fmt: skip
    d = pve.doc
    args = {"api_url": d["url"], "api_token_id": d["token_id"],
            "api_token_secret": d["token_secret"], "api_ca": d["ca"],
            "automation": {"user": "fleet@pve", "token_name": "fleet",
                           "acl": [{"path": "/storage", "role": "PVEDatastoreUser"}]},
            "vault_file": str(vault), "vault_password_file": str(password)}  # fmt: skip
    run = ansible("fleet_proxmox_cluster", args, tmp_path)
    assert run["result"]["changed"] is True, run["raw"][-2000:]
    secret = pve.state["users"]["fleet@pve"]["tokens"]["fleet"]["secret"]
    assert secret not in run["raw"] and secret.encode() not in vault.read_bytes()
    plain = subprocess.run([str(bin_dir / "ansible-vault"), "view", "--vault-password-file",
                            str(password), str(vault)], check=True, capture_output=True,
                           text=True).stdout  # fmt: skip
    assert yaml.safe_load(plain) == {"samba_ad_admin_password": "already-there",
                                     "proxmox_automation_token_id": "fleet@pve!fleet",
                                     "proxmox_automation_token_secret": secret}  # fmt: skip
    assert oct(vault.stat().st_mode & 0o777) == "0o600"
    again = ansible("fleet_proxmox_cluster", args, tmp_path)
    assert again["result"]["changed"] is False
