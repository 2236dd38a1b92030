"""The lab part of the switches simulator: one device per switch host of the lab inventory,
with its platform and port count, as the simulator's names say it."""

from __future__ import annotations

from pathlib import Path

from fleet import inventory
from fleet.lab.sim.switches import parse_name
from fleet.lab.sim.switches.part import lab_switches
from fleet.registry.read import load_registry

PROJECT = Path(__file__).resolve().parents[3]


def test_one_device_per_switch_host_of_the_lab_inventory():
    registry = load_registry(PROJECT / "inventories/lab")
    listed = inventory.to_list_format(inventory.build(registry))
    specs = lab_switches(listed)
    assert specs == [
        "sw-b.0450050k.lab.fleet.test@cisco_ios/52",
        "sw-core.0450050k.lab.fleet.test@hp_procurve/28",
    ]
    assert [parse_name(s).ports for s in specs] == [52, 28]
