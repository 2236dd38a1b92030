"""Read-only checks of a site's converged guests, through the API with proxmoxer: each guest of
the node exists, tagged fleet, in the site's pool, with the registry's cores, memory, disks,
VLAN tag, onboot, agent and power state."""

from __future__ import annotations

import re

UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def size(text: str) -> int:
    m = re.fullmatch(r"(\d+)([KMGT])?", text)
    return int(m.group(1)) * UNITS[m.group(2)] if m.group(2) else int(m.group(1))


def test_every_guest_exists_with_the_registry_values(node):
    hostvars, api = node
    resources = {r["vmid"]: r for r in api.cluster.resources.get(type="vm")}
    for guest in hostvars["proxmox_guests"]:
        entry = resources[guest["vmid"]]
        assert entry["name"] == guest["name"] and "fleet" in entry.get("tags", "").split(";")
        assert entry["pool"] == guest["pool"] and entry["status"] == guest["state"]
        config = api.nodes(guest["node"]).qemu(guest["vmid"]).config.get()
        assert int(config["cores"]) == guest["cores"]
        assert int(str(config["memory"]).split(",")[0]) == guest["memory_mb"]
        assert f"bridge={guest['bridge']}" in config["net0"]
        assert f"tag={guest['vlan_id']}" in config["net0"]
        assert int(config["onboot"]) == int(guest["onboot"]) and str(config["agent"])[0] == "1"
        for disk in guest["disks"]:
            found = re.search(r"size=(\w+)", config[disk["slot"]])
            assert found and size(found.group(1)) == disk["size_gb"] * UNITS["G"]
