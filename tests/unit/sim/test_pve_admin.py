"""The simulator's cluster and node configuration endpoints, with the handler behaviour the
reference (shared/reference/pve-api.md) describes: storage definitions (fixed keys, 500 vs 400,
digest), ACLs and roles, pools and their members, backup jobs (calendar events, retention,
guest selection), disk resize as a task (shrink refused in its exit status), pending, node DNS
and time zone, task list, cluster status."""

from __future__ import annotations

import pytest

from fleet.lab.sim.pve import PveFactory
from fleet.lab.sim.pve.client import LocalClient


@pytest.fixture
def api(clock):
    return LocalClient(PveFactory(clock=clock, task_seconds=0.5)("pve-001", 0, None, 5))


def done(api, clock, upid: str) -> dict:
    clock.now += 1
    return api.get(f"/nodes/pve1/tasks/{upid}/status").data


def test_storage_definitions_create_update_fixed_keys_and_delete(api):
    made = api.post("/storage", storage="nas", type="nfs", server="10.0.0.5", export="/b",
                    path="/mnt/pve/nas", content="backup,images,bogus-not-listed")  # fmt: skip
    assert made.status == 400 and "content" in made.body["errors"]  # unknown content name
    made = api.post("/storage", storage="nas", type="nfs", server="10.0.0.5", export="/b",
                    path="/mnt/pve/nas", content="backup")  # fmt: skip
    assert made.data == {"storage": "nas", "type": "nfs"}
    again = api.post("/storage", storage="nas", type="dir", path="/x")
    assert again.status == 500 and "storage ID 'nas' already defined" in again.body["message"]
    missing = api.post("/storage", storage="thin2", type="lvmthin", vgname="pve")
    assert (
        missing.status == 500
        and "missing value for required option 'thinpool'" in (missing.body["message"])
    )
    got = api.get("/storage/nas").data
    assert got["server"] == "10.0.0.5" and got["shared"] == 1 and "digest" in got
    fixed = api.put("/storage/nas", server="10.0.0.6")
    assert (
        fixed.status == 500
        and "can't change value of fixed parameter 'server'" in (fixed.body["message"])
    )
    stale = api.put("/storage/nas", content="backup,iso", digest="0" * 40)
    assert stale.status == 500 and "detected modified configuration" in stale.body["message"]
    assert api.put("/storage/nas", **{"prune-backups": "keep-daily=7"}).status == 200
    assert api.get("/storage/nas").data["prune-backups"] == "keep-daily=7"
    assert api.delete("/storage/nas").status == 200
    assert api.get("/storage/nas").status == 500


def test_acl_entries_need_known_roles_users_and_paths(api):
    assert "PVEVMAdmin" in {r["roleid"] for r in api.get("/access/roles").data}
    none = api.put("/access/acl", path="/storage", roles="PVEAuditor")
    assert none.status == 400 and set(none.body["errors"]) == {"users", "groups", "tokens"}
    bad = api.put("/access/acl", path="/elsewhere", roles="PVEAuditor", users="root@pam")
    assert bad.status == 400 and bad.body["errors"]["path"] == "invalid ACL path '/elsewhere'"
    role = api.put("/access/acl", path="/storage", roles="Nope", users="root@pam")
    assert role.status == 500 and "role 'Nope' does not exist" in role.body["message"]
    assert (
        api.put("/access/acl", path="/storage", roles="PVEAuditor", tokens="root@pam!fleet").status
        == 200
    )
    assert api.get("/access/acl").data == [{"path": "/storage", "type": "token",
                                            "ugid": "root@pam!fleet", "roleid": "PVEAuditor",
                                            "propagate": 1}]  # fmt: skip
    api.put("/access/acl", path="/storage", roles="PVEAuditor", tokens="root@pam!fleet", delete=1)
    assert api.get("/access/acl").data == []


def test_pools_members_moves_and_deletion_rules(api, clock):
    assert api.post("/pools", poolid="site-a", comment="[fleet] a").status == 200
    assert (
        api.post("/pools", poolid="site-a")
        .body["message"]
        .startswith("create pool failed: pool 'site-a' already exists")
    )
    upid = api.post("/nodes/pve1/qemu/9000/clone", newid=101, name="web1", pool="site-a").data
    done(api, clock, upid)
    (row,) = api.get("/pools", poolid="site-a").data
    assert [m["vmid"] for m in row["members"]] == [101]
    resources = api.get("/cluster/resources").data
    assert next(r for r in resources if r.get("vmid") == 101)["pool"] == "site-a"
    assert {"id": "/pool/site-a", "type": "pool", "pool": "site-a",
            "comment": "[fleet] a"} in resources  # fmt: skip
    api.post("/pools", poolid="site-b")
    refused = api.put("/pools", poolid="site-b", vms="101")
    assert "belongs already to pool 'site-a' and 'allow-move' is not set" in refused.body["message"]
    assert api.put("/pools", poolid="site-b", vms="101", **{"allow-move": 1}).status == 200
    busy = api.delete("/pools", poolid="site-b")
    assert busy.status == 500 and "is not empty (contains VM 101)" in busy.body["message"]
    done(api, clock, api.delete("/nodes/pve1/qemu/101").data)
    assert api.delete("/pools", poolid="site-b").status == 200  # the destroyed guest left it


def test_backup_jobs_check_schedule_retention_and_selection(api):
    bad = api.post("/cluster/backup", id="j1", schedule="every night", all=1)
    assert bad.status == 400 and bad.body["errors"]["schedule"].startswith(
        "invalid format - invalid calendar event"
    )
    both = api.post("/cluster/backup", id="j1", schedule="daily", all=1,
                    **{"prune-backups": "keep-all=1,keep-daily=3"})  # fmt: skip
    assert (
        both.body["errors"]["prune-backups"]
        == "keep-all cannot be set together with other options."
    )
    nothing = api.post("/cluster/backup", id="j1", schedule="mon..fri 21:30")
    assert nothing.status == 500 and "vmid: property is missing" in nothing.body["message"]
    ok = api.post("/cluster/backup", id="j1", schedule="sat 02:00", pool="site-a", storage="local",
                  **{"prune-backups": "keep-daily=7"})  # fmt: skip
    assert ok.status == 200 and ok.data is None
    (job,) = api.get("/cluster/backup").data
    assert job["enabled"] == 1 and job["type"] == "vzdump" and "next-run" in job
    api.put("/cluster/backup/j1", vmid="100,101")
    assert "pool" not in api.get("/cluster/backup/j1").data  # vmid replaces the selection
    assert api.put("/cluster/backup/j1").body["message"] == "no options specified\n"
    assert api.get("/cluster/backup/nope").body["errors"]["id"] == "No such job 'nope'"


def test_resize_is_a_task_and_a_shrink_fails_in_its_exit_status(api, clock):
    done(api, clock, api.post("/nodes/pve1/qemu/9000/clone", newid=101, full=1).data)
    grown = done(api, clock, api.put("/nodes/pve1/qemu/101/resize", disk="scsi0", size="+2G").data)
    assert grown["exitstatus"] == "OK" and grown["type"] == "resize"
    assert "size=10G" in api.get("/nodes/pve1/qemu/101/config").data["scsi0"]
    shrink = done(api, clock, api.put("/nodes/pve1/qemu/101/resize", disk="scsi0", size="4G").data)
    assert shrink["exitstatus"] == "shrinking disks is not supported"
    nodisk = done(api, clock, api.put("/nodes/pve1/qemu/101/resize", disk="scsi3", size="+1G").data)
    assert nodisk["exitstatus"] == "disk 'scsi3' does not exist"
    pattern = api.put("/nodes/pve1/qemu/101/resize", disk="scsi0", size="lots")
    assert pattern.status == 400
    pending = {r["key"]: r for r in api.get("/nodes/pve1/qemu/101/pending").data}
    assert pending["scsi0"]["value"].endswith("size=10G") and "digest" in pending


def test_node_dns_time_tasks_and_cluster_status(api, clock):
    assert (
        api.put("/nodes/pve1/dns", search="a.test", dns1="10.0.0.53", dns2="0.0.0.0").status == 200
    )
    assert api.get("/nodes/pve1/dns").data == {"search": "a.test", "dns1": "10.0.0.53"}
    bad = api.put("/nodes/pve1/time", timezone="Mars/Olympus")
    assert bad.status == 400 and bad.body["errors"]["timezone"] == "No such timezone"
    api.put("/nodes/pve1/time", timezone="Europe/Paris")
    now = api.get("/nodes/pve1/time").data
    assert now["timezone"] == "Europe/Paris" and now["localtime"] - now["time"] in (3600, 7200)
    done(api, clock, api.post("/nodes/pve1/qemu/9000/clone", newid=101).data)
    listing = api.get("/nodes/pve1/tasks", typefilter="qmclone")
    assert listing.body["total"] == 1 and listing.data[0]["status"] == "OK"
    (node,) = api.get("/cluster/status").data
    assert node["type"] == "node" and node["local"] == 1
