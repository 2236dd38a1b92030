"""The Proxmox sections of the registry: every mistake is refused before any API call, naming
the file and the field (`fleet validate`, exit 3, nothing written); pinned VMIDs; what a valid
registry gives the roles (the generated host vars); `fleet site new` pins the new site's VMIDs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fleet.registry.read import load_registry, read_registry

PROJECT = Path(__file__).resolve().parents[3]
FLEET = Path(sys.executable).with_name("fleet")
REGION, SITE, ALLOC = "region.yml", "sites/0450050K.yml", "allocations.yml"


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


DC1 = "  - {name: dc1, template: ad_dc, node: pve1, host: 10}"
CASES = [
    ("unknown-node", SITE, DC1, DC1.replace("node: pve1", "node: pve9"), "guests[0].node",
     "unknown Proxmox node 'pve9'"),
    ("unknown-guest-template", SITE, DC1, DC1.replace("ad_dc", "ad_dcc"), "guests[0].template",
     "unknown guest template 'ad_dcc'"),
    ("node-without-clone-template", REGION, "clone_templates: {pve1: 9000, ",
     "clone_templates: {", "guests[0].node",
     "unknown template: node pve1 has no clone template"),
    ("vmid-clash-between-guests", ALLOC, "sites:", "vmids:\n  0450050K: {depot1: 2010}\nsites:",
     "guests[1].name", "VMID clash: depot1 and dc1 both get VMID 2010"),
    ("vmid-clash-with-a-clone-template", ALLOC, "sites:", "vmids:\n  0450050K: {dc1: 9000}\nsites:",
     "guests[0].name", "VMID clash: dc1 gets VMID 9000, the clone template of pve1"),
    ("pin-of-an-unknown-guest", ALLOC, "sites:", "vmids:\n  0450050K: {web9: 3000}\nsites:",
     "vmids.0450050K.web9", "which site 0450050K does not have"),
    ("over-capacity-with-extra-disks", SITE, DC1, DC1.replace("host: 10}", "host: 10, disks: [1500]}"),
     "proxmox.nodes[0].storage_gb", "guests exceed node capacity"),
    ("over-capacity-cores", SITE, "cores: 8, memory_gb: 64", "cores: 1, memory_gb: 64",
     "proxmox.nodes[0].cores", "guests exceed node capacity"),
    ("backup-job-unknown-storage", REGION, "      storage: backup\n", "      storage: nas\n",
     "proxmox.backup_jobs[0].storage", "unknown storage 'nas'"),
    ("backup-schedule-not-a-calendar-event", REGION, '"mon..sat 01:30"', '"every night"',
     "proxmox.backup_jobs[0].schedule", "is not a PVE calendar event"),
    ("unknown-retention-key", REGION, "keep-monthly: 3", "keep-forever: 3",
     "proxmox.backup_jobs[0].prune_backups", "unknown retention keys"),
    ("storage-missing-its-type-keys", REGION, "      export: /export/pve-backup\n", "",
     "proxmox.storage[1]", "a nfs storage needs export"),
    ("bad-guest-state", SITE, DC1, DC1.replace("host: 10}", "host: 10, state: paused}"),
     "guests[0].state", "'running' or 'stopped'"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "old", "new", "field", "message"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_proxmox_input_names_file_and_field(tmp_path, file, old, new, field, message):
    registry, problems = read_registry(registry_with(tmp_path, file, old, new))
    assert registry is None
    shown = SITE if file == ALLOC and field.startswith("guests") else file
    shown = SITE if field == "guests[0].node" else shown
    found = [p for p in problems if p.field == field and p.file.endswith(shown)]
    assert found, [str(p) for p in problems]
    assert message in found[0].message, str(found[0])


def test_the_cli_exits_3_and_writes_nothing(tmp_path):
    registry = registry_with(
        tmp_path, ALLOC, "sites:", "vmids:\n  0450050K: {depot1: 2010}\nsites:"
    )
    out = tmp_path / "generated"
    for args in (["validate"], ["inventory", "build", "--out", str(out)]):
        done = subprocess.run([str(FLEET), "--registry", str(registry), *args],
                              capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 3, done.stdout + done.stderr
        assert "sites/0450050K.yml: guests[1].name: VMID clash: depot1 and dc1" in done.stderr
    assert not out.exists()


def test_a_pinned_vmid_survives_an_address_change(tmp_path):
    registry = registry_with(tmp_path, ALLOC, "sites:", "vmids:\n  0450050K: {dc1: 777}\nsites:")
    site = registry / SITE
    site.write_text(site.read_text().replace(DC1, DC1.replace("host: 10", "host: 15")))
    loaded = load_registry(registry)
    from fleet.registry.proxmox import node_vars

    got = node_vars(loaded, loaded.site("0450050K"), loaded.site("0450050K").proxmox.nodes[0])
    vmids = {g["name"]: g["vmid"] for g in got["proxmox_guests"]}
    assert vmids == {"dc1": 777, "depot1": 2020}  # depot1: not pinned, VLAN 20 × 100 + host 20


def test_host_vars_of_the_lab_lycee_node():
    registry = load_registry(PROJECT / "inventories/lab")
    from fleet.registry.proxmox import node_vars

    site = registry.site("0450050K")
    got = node_vars(registry, site, site.proxmox.nodes[0])
    assert got["proxmox_api_url"] == "https://127.200.0.11:8006"
    assert got["proxmox_bridge"] == {"name": "vmbr0", "ports": "eno1", "vlan_aware": True,
                                     "vids": "2-4094", "cidr": "127.200.0.11/24",
                                     "gateway": "127.200.0.1"}  # fmt: skip
    assert got["proxmox_pool"] == "site-0450050k"
    assert got["proxmox_automation"]["acl"][0] == {"path": "/pool/site-0450050k",
                                                   "role": "PVEVMAdmin"}  # fmt: skip
    (job,) = got["proxmox_backup_jobs"]
    assert job["prune_backups"] == "keep-daily=7,keep-monthly=3,keep-weekly=4"
    dc1 = next(g for g in got["proxmox_guests"] if g["name"] == "dc1")
    assert dc1 | {} == dc1 and dc1["vmid"] == 2010 and dc1["clone"] == 9000
    assert dc1["disks"] == [{"slot": "scsi0", "size_gb": 64}] and dc1["vlan_id"] == 20
    assert dc1["ipconfig0"] == "ip=127.200.1.10/24,gw=127.200.1.1"
    assert dc1["ciuser"] == "fleetadm" and dc1["searchdomain"] == "0450050k.lab.fleet.test"


def test_site_new_pins_the_new_sites_guest_vmids(tmp_path):
    registry = tmp_path / "registry"
    shutil.copytree(PROJECT / "inventories/lab", registry,
                    ignore=shutil.ignore_patterns("generated"))  # fmt: skip
    from fleet.registry.write import new_site

    new_site(registry, uai="0450051L", name="Lycée test", kind="lycee", department=45,
                city="Orléans", owner="region", templates=PROJECT / "templates" / "sites")  # fmt: skip
    alloc = yaml.safe_load((registry / ALLOC).read_text())
    site = yaml.safe_load((registry / "sites/0450051L.yml").read_text())
    loaded = load_registry(registry)
    if site.get("guests"):
        assert set(alloc["vmids"]["0450051L"]) == {g["name"] for g in site["guests"]}
        assert loaded.vmids["0450051L"] == alloc["vmids"]["0450051L"]
    assert "0450051L" in alloc["sites"]
