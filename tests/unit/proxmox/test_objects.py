"""Node and cluster objects against a simulated PVE node over HTTPS: each kind applied,
re-read, unchanged; hand edits found by object and key; unmanaged objects reported and left
alone; the automation token's secret written to its file (0600), never returned."""

from __future__ import annotations

import json
import os
import stat

import pytest

from fleet.proxmox import objects

DNS = {"search": "0450050k.lab.fleet.test", "servers": ["10.32.0.53", "10.32.1.53"]}
BRIDGE = {"name": "vmbr0", "ports": "eno1", "vlan_aware": True, "vids": "2-4094",
          "cidr": "10.64.0.11/24", "gateway": "10.64.0.1"}  # fmt: skip
STORAGE = [
    {"id": "local-lvm", "type": "lvmthin", "vgname": "pve", "thinpool": "data",
     "content": ["images", "rootdir"]},
    {"id": "backup", "type": "nfs", "server": "backup.lab.fleet.test", "export": "/export/pve",
     "path": "/mnt/pve/backup", "content": ["backup"], "prune_backups": "keep-daily=7"},
]  # fmt: skip
AUTOMATION = {"user": "fleet@pve", "token_name": "fleet",
              "acl": [{"path": "/pool/site-0450050k", "role": "PVEVMAdmin"},
                      {"path": "/storage", "role": "PVEDatastoreUser"}]}  # fmt: skip
JOBS = [{"id": "fleet-nightly", "schedule": "mon..sat 01:30", "storage": "backup",
         "mode": "snapshot", "compress": "zstd", "prune_backups": "keep-daily=7,keep-weekly=4",
         "enabled": True, "pool": "site-0450050k"}]  # fmt: skip


def test_node_dns_time_and_bridge_apply_then_stay_unchanged(pve):
    client = pve.client()
    first = objects.node(client, "pve1", DNS, "Europe/Paris", BRIDGE, check=False)
    assert {c.label for c in first.changes} == {"node-dns pve1", "node-time pve1",
                                                "bridge pve1/vmbr0"}  # fmt: skip
    assert "network applied" in first.done
    vmbr0 = pve.state["network"]["active"]["vmbr0"]
    assert vmbr0["cidr"] == "10.64.0.11/24" and vmbr0["bridge_vlan_aware"] == 1
    client = pve.client()
    again = objects.node(client, "pve1", DNS, "Europe/Paris", BRIDGE, check=False)
    assert not again.changed and client.calls.to_dict() == {"reads": 3, "writes": 0, "polls": 0}


def test_check_mode_changes_nothing_on_the_node(pve):
    before = json.dumps(pve.state["network"], sort_keys=True)
    plan = objects.node(pve.client(), "pve1", DNS, "Europe/Paris", BRIDGE, check=True)
    assert plan.changed and plan.diff()["after"]["node-time pve1"] == {"timezone": "Europe/Paris"}
    assert json.dumps(pve.state["network"], sort_keys=True) == before
    assert pve.state.get("timezone", "UTC") == "UTC"


def test_storage_definitions_apply_unchanged_and_unmanaged_ones_are_left_alone(pve):
    first = objects.storages(pve.client(), STORAGE, check=False)
    assert [c.label for c in first.changes] == ["storage backup"]  # local-lvm already right
    assert first.unmanaged == ["storage local"]
    assert pve.state["storages"]["backup"]["prune-backups"] == "keep-daily=7"
    again = objects.storages(pve.client(), STORAGE, check=False)
    assert not again.changed and "local" in pve.state["storages"]
    moved = [dict(STORAGE[0]), {**STORAGE[1], "server": "other.example"}]
    with pytest.raises(objects.ObjectError, match="server differ on the node"):
        objects.storages(pve.client(), moved, check=False)


def test_the_automation_account_token_and_acl_and_the_secret_goes_to_its_file(pve, tmp_path):
    secret_file = tmp_path / "token.json"
    first = objects.access(pve.client(), AUTOMATION, check=False, secret_file=str(secret_file))
    assert "token fleet@pve!fleet created" in first.done
    saved = json.loads(secret_file.read_text())
    assert saved["token_id"] == "fleet@pve!fleet"
    assert saved["token_secret"] == pve.state["users"]["fleet@pve"]["tokens"]["fleet"]["secret"]
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert saved["token_secret"] not in json.dumps(first.result()) + json.dumps(first.diff())
    acl = {(e["path"], e["ugid"], e["roleid"]) for e in pve.state["acl"]}
    assert ("/pool/site-0450050k", "fleet@pve!fleet", "PVEVMAdmin") in acl
    assert ("/storage", "fleet@pve", "PVEDatastoreUser") in acl
    again = objects.access(pve.client(), AUTOMATION, check=False)
    assert not again.changed
    fewer = {**AUTOMATION, "acl": AUTOMATION["acl"][:1]}
    trimmed = objects.access(pve.client(), fewer, check=False)
    assert {c.to_dict()["action"] for c in trimmed.changes} == {"delete"}
    assert not any(e["path"] == "/storage" for e in pve.state["acl"])


def test_a_same_named_user_fleet_did_not_create_is_not_taken_over(pve):
    pve.other().access.users.post(userid="fleet@pve", comment="someone's")
    with pytest.raises(objects.ObjectError, match="without the \\[fleet\\] comment"):
        objects.access(pve.client(), AUTOMATION, check=False)


def test_backup_jobs_apply_unchanged_a_disabled_job_is_drift_unmanaged_jobs_stay(pve):
    objects.storages(pve.client(), STORAGE, check=False)
    pve.other().cluster.backup.post(id="by-hand", schedule="sun 03:00", storage="local", all=1)
    first = objects.backup_jobs(pve.client(), JOBS, allow_destroy=False, check=False)
    assert first.unmanaged == ["backup-job by-hand"]
    assert not objects.backup_jobs(pve.client(), JOBS, allow_destroy=False, check=False).changed
    pve.other().cluster.backup("fleet-nightly").put(enabled=0)
    drift = objects.backup_jobs(pve.client(), JOBS, allow_destroy=False, check=True)
    assert drift.diff() == {"before": {"backup-job fleet-nightly": {"enabled": 0}},
                            "after": {"backup-job fleet-nightly": {"enabled": 1}}}  # fmt: skip
    objects.backup_jobs(pve.client(), JOBS, allow_destroy=False, check=False)
    assert pve.state["backup_jobs"]["fleet-nightly"]["enabled"] == 1
    kept = objects.backup_jobs(pve.client(), [], allow_destroy=False, check=False)
    assert kept.result()["stale"] == ["backup-job fleet-nightly"]
    assert "fleet-nightly" in pve.state["backup_jobs"]
    objects.backup_jobs(pve.client(), [], allow_destroy=True, check=False)
    assert set(pve.state["backup_jobs"]) == {"by-hand"}
