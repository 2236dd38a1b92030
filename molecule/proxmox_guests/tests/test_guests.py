"""Read-only checks of a site's converged guests, through the API with proxmoxer: each guest
exists, tagged fleet, in the site's pool, in its registry power state, with the registry's
cores, memory, disks, VLAN tag, onboot and agent."""

from __future__ import annotations

import re

UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def size(text: str) -> int:
    m = re.fullmatch(r"(\d+)([KMGT])?", text)
    return int(m.group(1)) * UNITS[m.group(2)] if m.group(2) else int(m.group(1))


def test_the_guest_exists_in_its_registry_state(guest):
    want, api = guest
    resources = {r["vmid"]: r for r in api.cluster.resources.get(type="vm")}
    assert want["vmid"] in resources, f"{want['name']}: no VM {want['vmid']}"
    entry = resources[want["vmid"]]
    assert entry["name"] == want["name"]
    assert "fleet" in entry.get("tags", "").split(";")
    assert entry["pool"] == want["pool"]
    assert entry["status"] == want["state"], f"{want['name']} is {entry['status']}"


def test_the_guest_has_its_registry_sizes(guest):
    want, api = guest
    config = api.nodes(want["node"]).qemu(want["vmid"]).config.get()
    assert int(config["cores"]) == want["cores"]
    assert int(str(config["memory"]).split(",")[0]) == want["memory_mb"]
    assert f"bridge={want['bridge']}" in config["net0"]
    assert f"tag={want['vlan_id']}" in config["net0"]
    assert int(config["onboot"]) == int(want["onboot"]) and str(config["agent"])[0] == "1"
    for disk in want["disks"]:
        found = re.search(r"size=(\w+)", config[disk["slot"]])
        assert found and size(found.group(1)) == disk["size_gb"] * UNITS["G"], disk["slot"]
