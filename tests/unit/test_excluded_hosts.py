"""Hosts an overlay excludes (the lab at scale) leave every group, no play can target them, and
every report names their components `excluded` with the reason, never `no hosts` or a pass."""

from __future__ import annotations

import json
from pathlib import Path

from fleet import components
from fleet.inventory import site_files
from fleet.registry import load_registry
from fleet.runner.outcomes import component_outcomes
from fleet.runner.result import EXCLUDED, NO_HOSTS, RAN, ComponentOutcome, HostCounts

LAB = Path(__file__).resolve().parents[2] / "inventories" / "lab"
SITE = "0450050K"
WHY = "lab at scale: SSH hosts of 3 sampled sites only"


def _overlay(registry, predicate):
    hosts = site_files(registry, SITE).hosts
    return {h: {"fleet_excluded": WHY} for h in hosts if predicate(h)}


def test_an_excluded_host_leaves_every_group_and_is_listed_with_why():
    registry = load_registry(LAB)
    plain = site_files(registry, SITE)
    dc = next(h for h in plain.groups["samba_dc"])
    inventory = site_files(registry, SITE, _overlay(registry, lambda h: h == dc))

    assert "samba_dc" not in inventory.groups
    ssh_groups = {c.group for c in components.table() if c.connection == "ssh"}
    assert all(dc not in inventory.groups.get(g, []) for g in ssh_groups)
    assert inventory.groups["fleet_excluded"] == [dc]
    assert inventory.excluded["samba_dc"] == WHY
    # the other Linux hosts stay targeted
    assert set(inventory.groups["linux"]) == set(plain.groups["linux"]) - {dc}
    # the file Ansible reads has the host only under fleet_excluded, with the groups it left
    text = json.loads(inventory.files[f"site_{SITE.lower()}.yml"].split("\n", 2)[2])
    groups = text["all"]["children"]
    assert dc not in (groups["samba_dc"] or {}).get("hosts", {})
    assert groups["fleet_excluded"]["hosts"][dc]["fleet_excluded_groups"][:1]


def test_outcomes_say_excluded_with_the_reason_only_where_no_host_is_left():
    registry = load_registry(LAB)
    every_linux = set(site_files(registry, SITE).groups["linux"])
    inventory = site_files(registry, SITE, _overlay(registry, lambda h: h in every_linux))
    outcomes = {
        o.component: o
        for o in component_outcomes(
            inventory.groups, None, {"opnsense": HostCounts(ok=3)}, inventory.excluded
        )
    }
    assert outcomes["opnsense"].outcome == RAN
    for name in ("base", "samba_ad"):
        assert outcomes[name].outcome == EXCLUDED
        assert outcomes[name].label == f"excluded: {WHY}"
        assert outcomes[name].to_dict()["note"] == WHY
    # the switches are API devices, not excluded: whatever happens to them, it is not that
    assert outcomes["switches"].hosts >= 1
    assert outcomes["switches"].outcome != EXCLUDED


def test_an_excluded_outcome_survives_the_json_round_trip():
    outcome = ComponentOutcome("base", EXCLUDED, 0, HostCounts(), WHY)
    back = ComponentOutcome.from_dict(outcome.to_dict())
    assert back == outcome
    assert ComponentOutcome.from_dict(ComponentOutcome("x", NO_HOSTS).to_dict()).note == ""


def test_an_api_component_keeps_an_excluded_host():
    """A Proxmox node excluded from the SSH components stays in the proxmox group: the PVE API
    is reached from the controller, the node's SSH is not needed for it."""
    registry = load_registry(LAB)
    node = site_files(registry, SITE).groups["proxmox_nodes"][0]
    inventory = site_files(registry, SITE, _overlay(registry, lambda h: h == node))
    assert components.get("proxmox").connection == "local"
    assert node in inventory.groups["proxmox_nodes"]
    assert node not in inventory.groups.get("linux", [])
    assert "proxmox_nodes" not in inventory.excluded and "linux" in inventory.excluded
