"""The switch sections of the registry: every mistake refused before any connection, naming
the file and the field (`fleet validate`, exit 3, nothing written); and the `switch_intent`
host var a valid registry gives the role."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.registry.read import load_registry, read_registry

PROJECT = Path(__file__).resolve().parents[3]
FLEET = Path(sys.executable).with_name("fleet")
REGION, SITE = "region.yml", "sites/0450050K.yml"
PORTS = '"1-12": pedago, "13-16": admin'


def registry_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    registry = tmp_path / "registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    path = registry / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return registry


CASES = [
    ("range-beyond-the-port-count", SITE, '"27-28": proxmox', '"27-30": proxmox',
     "switches[0].ports.27-30", "goes beyond the 28 ports of aruba-2930f-24g"),
    ("overlapping-ranges", SITE, PORTS, '"1-13": pedago, "13-16": admin',
     "switches[0].ports.13-16", "overlaps port range 1-13"),
    ("unknown-profile", SITE, PORTS, '"1-12": pedagogy, "13-16": admin',
     "switches[0].ports.1-12", "unknown port profile 'pedagogy'"),
    ("unknown-vlan-in-a-profile", REGION, "pedago: {mode: access, vlan: pedago,",
     "pedago: {mode: access, vlan: pedagogie,", "switches.profiles.pedago.vlan", "unknown VLAN 'pedagogie'"),
    ("unknown-tagged-vlan", REGION, "tagged: [wifi]", "tagged: [wlan]",
     "switches.profiles.ap.tagged[0]", "unknown VLAN 'wlan'"),
    ("platform-without-template", SITE, "platform: hp_procurve", "platform: aruba_aoscx",
     "switches[0].platform", "platform aruba_aoscx has no template"),
    ("unknown-platform", SITE, "platform: hp_procurve", "platform: junos",
     "switches[0].platform", "'junos' is not valid"),
    ("unknown-model", SITE, "model: aruba-2930f-24g", "model: aruba-9999",
     "switches[0].model", "unknown switch model 'aruba-9999'"),
    ("model-of-another-platform", SITE, "model: aruba-2930f-24g", "model: catalyst-2960x-48",
     "switches[0].model", "is a cisco_ios switch, not hp_procurve"),
    ("bad-range-syntax", SITE, PORTS, '"1..12": pedago, "13-16": admin',
     "switches[0].ports.1..12.[key]", "does not match the expected form"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "old", "new", "field", "message"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_switch_input_names_file_and_field(tmp_path, file, old, new, field, message):
    registry, problems = read_registry(registry_with(tmp_path, file, old, new))
    assert registry is None
    found = [p for p in problems if p.field == field]
    assert found, [str(p) for p in problems]
    assert found[0].file.endswith(file) and message in found[0].message, str(found[0])


def test_the_cli_exits_3_and_writes_nothing(tmp_path):
    registry = registry_with(tmp_path, SITE, '"27-28": proxmox', '"27-60": proxmox')
    out = tmp_path / "generated"
    for args in (["validate"], ["inventory", "build", "--out", str(out)],
                 ["switch", "render", "0450050K", "sw-core"]):  # fmt: skip
        done = subprocess.run([str(FLEET), "--registry", str(registry), *args],
                              capture_output=True, text=True, cwd=PROJECT)  # fmt: skip
        assert done.returncode == 3, done.stdout + done.stderr
        assert "0450050K.yml: switches[0].ports.27-60: port range 27-60 goes beyond" in done.stderr
    assert not out.exists()


def test_switch_intent_of_the_lab_lycee():
    from fleet import inventory

    registry = load_registry(PROJECT / "inventories/lab")
    inv = inventory.build(registry, ["0450050K"])
    data = inv.hostvars[registry.fqdn("0450050K", "sw-core")]["switch_intent"]
    assert data["platform"] == "hp_procurve" and data["port_count"] == 28
    assert data["mgmt"]["address"].endswith(".201") and data["mgmt"]["gateway"].endswith(".1")
    assert data["profiles"]["ap"] == {"mode": "trunk", "untagged": 10, "tagged": [50],
                                      "description": "wifi access point"}  # fmt: skip
    assert data["profiles"]["uplink"]["tagged"] == [10, 20, 30, 40, 50, 60, 70]
    assert [v["id"] for v in data["vlans"]] == sorted(v["id"] for v in data["vlans"])
    assert "community" not in str(data)  # the secret lives in the vault


def test_switch_render_command(tmp_path):
    done = subprocess.run([str(FLEET), "--registry", "inventories/lab", "switch", "render",
                           "0450050k", "sw-b"], capture_output=True, text=True, cwd=PROJECT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hostname sw-b\n")
    assert "snmp-server community ******** RO" in done.stdout
    missing = subprocess.run([str(FLEET), "--registry", "inventories/lab", "switch", "render",
                              "0180120H", "sw-zz"], capture_output=True, text=True, cwd=PROJECT)  # fmt: skip
    assert (
        missing.returncode == 3 and "has no switch 'sw-zz' (its switches: none)" in missing.stderr
    )
