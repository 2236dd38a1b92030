"""Read-only checks of a converged Proxmox node and its site's cluster objects, through the API
with proxmoxer: DNS, time zone, bridge, storage definitions, fleet's user/token/ACL, backup
jobs (marked [fleet], enabled, covering the site's pool)."""

from __future__ import annotations


def test_dns_and_time_zone(node):
    hostvars, api = node
    name = hostvars["proxmox_node_name"]
    dns = api.nodes(name).dns.get()
    assert dns["search"] == hostvars["proxmox_dns"]["search"]
    assert [dns.get(f"dns{i + 1}") for i in range(len(hostvars["proxmox_dns"]["servers"]))] == (
        hostvars["proxmox_dns"]["servers"]
    )
    assert api.nodes(name).time.get()["timezone"] == hostvars.get("fleet_timezone", "Europe/Paris")


def test_the_vlan_aware_bridge(node):
    hostvars, api = node
    bridge = hostvars["proxmox_bridge"]
    iface = api.nodes(hostvars["proxmox_node_name"]).network(bridge["name"]).get()
    assert iface["type"] == "bridge" and int(iface["bridge_vlan_aware"]) == 1
    assert iface["cidr"] == bridge["cidr"] and iface["bridge_ports"] == bridge["ports"]


def test_storage_definitions(node):
    hostvars, api = node
    have = {s["storage"]: s for s in api.storage.get()}
    for spec in hostvars["proxmox_storage"]:
        assert have[spec["id"]]["type"] == spec["type"]
        assert set(have[spec["id"]]["content"].split(",")) == set(spec["content"])


def test_the_automation_account_its_token_and_acl(node):
    hostvars, api = node
    account = hostvars["proxmox_automation"]
    user = api.access.users(account["user"]).get()
    assert user["comment"].startswith("[fleet]")
    token = api.access.users(account["user"]).token(account["token_name"]).get()
    assert int(token["privsep"]) == 1
    acl = {(e["path"], e["ugid"], e["roleid"]) for e in api.access.acl.get()}
    full = f"{account['user']}!{account['token_name']}"
    for entry in account["acl"]:
        assert (entry["path"], account["user"], entry["role"]) in acl
        assert (entry["path"], full, entry["role"]) in acl


def test_backup_jobs_cover_the_site_pool(node):
    hostvars, api = node
    jobs = {j["id"]: j for j in api.cluster.backup.get()}
    for job in hostvars["proxmox_backup_jobs"]:
        have = jobs[job["id"]]
        assert have["comment"] == f"[fleet] {job['id']}" and int(have.get("enabled", 1)) == 1
        assert have["schedule"] == job["schedule"] and have["pool"] == hostvars["proxmox_pool"]
        assert have["storage"] == job["storage"]
