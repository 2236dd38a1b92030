"""Every validation class is refused with exit 3 and a message naming file and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fleet.registry.uai import make_uai

from .conftest import edit, first_site


def sites(root: Path) -> list[Path]:
    return sorted((root / "sites").glob("*.yml"))


def set_uai(root: Path, new: str) -> None:
    path = first_site(root)
    edit(path, f"uai: {path.stem}", f"uai: {new}")


def rename_site(root: Path, new_uai: str) -> None:
    """Move the first site to another UAI (file name, uai field, department, allocation)."""
    path = first_site(root)
    old = path.stem
    text = path.read_text().replace(old, new_uai).replace(old.lower(), new_uai.lower())
    text = text.replace(f"department: {int(old[1:3])}", f"department: {int(new_uai[1:3])}")
    path.unlink()
    (root / "sites" / f"{new_uai}.yml").write_text(text)
    edit(root / "allocations.yml", f"{old}:", f"{new_uai}:")


def duplicate_guest_name(root):
    edit(first_site(root), "name: depot1", "name: dc1")


def duplicate_realm(root):
    a, b = sites(root)[:2]
    realm_a = next(ln for ln in a.read_text().splitlines() if "realm:" in ln)
    realm_b = next(ln for ln in b.read_text().splitlines() if "realm:" in ln)
    edit(b, realm_b, realm_a)


def duplicate_netbios(root):
    a, b = sites(root)[:2]
    nb_a = next(ln for ln in a.read_text().splitlines() if "netbios:" in ln)
    nb_b = next(ln for ln in b.read_text().splitlines() if "netbios:" in ln)
    edit(b, nb_b, nb_a)


def duplicate_uai(root):
    a, b = sites(root)[:2]
    shutil.copy(a, root / "sites" / "0450999Z.yml")


def overlapping_allocation(root):
    a, b = sites(root)[:2]
    text = (root / "allocations.yml").read_text()
    lines = [ln for ln in text.splitlines() if b.stem in ln]
    edit(root / "allocations.yml", lines[0], f"  {b.stem}: {_index(text, a.stem)}")


def _index(text: str, uai: str) -> int:
    return int(next(ln for ln in text.splitlines() if uai in ln).split(":")[1])


def allocation_outside(root):
    b = sites(root)[1]
    text = (root / "allocations.yml").read_text()
    line = next(ln for ln in text.splitlines() if b.stem in ln)
    edit(root / "allocations.yml", line, f"  {b.stem}: 5000")


def allocation_missing(root):
    b = sites(root)[1]
    text = (root / "allocations.yml").read_text()
    line = next(ln for ln in text.splitlines() if b.stem in ln)
    edit(root / "allocations.yml", line + "\n", "")


def vlan_outside_block(root):
    edit(
        root / "region.yml",
        "{name: dmz, id: 70, offset: 3072, prefix: 26",
        "{name: dmz, id: 70, offset: 4096, prefix: 26",
    )


def vlan_overlap(root):
    edit(
        root / "region.yml",
        "{name: dmz, id: 70, offset: 3072, prefix: 26",
        "{name: dmz, id: 70, offset: 2048, prefix: 26",
    )


def capacity(root):
    path = first_site(root)
    text = path.read_text()
    line = next(ln for ln in text.splitlines() if "name: pve1" in ln and "memory_gb" in ln)
    edit(path, line, "    - {name: pve1, host: 11, cores: 1, memory_gb: 9, storage_gb: 10}")


def secret(root):
    edit(first_site(root), "pilot:", "admin_password: Sup3rS3cret!\npilot:")


def private_key(root):
    edit(first_site(root), "city:", 'notes: "-----BEGIN OPENSSH PRIVATE KEY-----"\ncity:')


CASES = {
    # name: (mutation, file fragment, field fragment, message fragment)
    "uai format": (lambda r: set_uai(r, "45005K"), "sites/", "uai", "not a UAI"),
    "uai letter": (
        lambda r: rename_site(r, "0450050A"),
        "sites/0450050A.yml",
        "uai",
        "expected letter is K",
    ),
    "uai department": (
        lambda r: rename_site(r, make_uai(75, 50)),
        "sites/0750050",
        "uai",
        "not a department of this region",
    ),
    "uai duplicate": (duplicate_uai, "sites/0450999Z.yml", "uai", "already used by"),
    "hostname duplicate": (
        duplicate_guest_name,
        "sites/",
        "guests[1].name",
        "host name 'dc1' is already used",
    ),
    "realm duplicate": (duplicate_realm, "sites/", "samba_ad.realm", "is already used by site"),
    "netbios duplicate": (
        duplicate_netbios,
        "sites/",
        "samba_ad.netbios",
        "is already used by site",
    ),
    "unknown kind": (
        lambda r: edit(first_site(r), "kind: lycee\n", "kind: universite\n"),
        "sites/",
        "kind",
        "'universite' is not valid; expected one of",
    ),
    "unknown owner": (
        lambda r: edit(first_site(r), "owner: region", "owner: etat"),
        "sites/",
        "owner",
        "expected one of",
    ),
    "unknown state": (
        lambda r: edit(first_site(r), "state: active", "state: closed"),
        "sites/",
        "state",
        "expected one of",
    ),
    "unknown vlan": (
        lambda r: edit(first_site(r), "host: 20}", "host: 20, vlan: video}"),
        "sites/",
        "guests[1].vlan",
        "unknown VLAN 'video'",
    ),
    "unknown template": (
        lambda r: edit(first_site(r), "template: opsi_depot", "template: opsi_depo"),
        "sites/",
        "guests[1].template",
        "unknown guest template 'opsi_depo'",
    ),
    "unknown opsi profile": (
        lambda r: edit(first_site(r), "profiles: [pedago", "profiles: [pedagogie"),
        "sites/",
        "opsi.profiles[0]",
        "unknown OPSI profile 'pedagogie'",
    ),
    "subnet outside supernet": (
        allocation_outside,
        "allocations.yml",
        "sites.",
        "outside the supernet",
    ),
    "vlan outside site block": (
        vlan_outside_block,
        "region.yml",
        "addressing.vlans[6]",
        "does not fit",
    ),
    "overlapping vlans": (vlan_overlap, "region.yml", "addressing.vlans", "overlaps"),
    "overlapping allocation": (
        overlapping_allocation,
        "allocations.yml",
        "sites.",
        "conflicting allocation",
    ),
    "allocation missing": (allocation_missing, "allocations.yml", "sites.", "has no allocation"),
    "capacity": (capacity, "sites/", "proxmox.nodes[0].memory_gb", "exceed node capacity"),
    "yaml syntax": (
        lambda r: edit(first_site(r), "city:", "city: [unclosed\nx:"),
        "sites/",
        "",
        "YAML syntax error",
    ),
    "unknown key": (
        lambda r: edit(first_site(r), "template: ad_dc", "tempalte: ad_dc"),
        "sites/",
        "guests[0].tempalte",
        "unknown key",
    ),
    "secret": (secret, "sites/", "admin_password", "looks like a secret"),
    "private key": (private_key, "sites/", "notes", "private key"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_registry_is_refused(case, registry_dir, fleet):
    mutate, file_part, field_part, message = CASES[case]
    mutate(registry_dir)
    code, out, err = fleet("--registry", str(registry_dir), "validate")
    assert code == 3, err
    matching = [
        ln for ln in err.splitlines() if file_part in ln and field_part in ln and message in ln
    ]
    assert matching, f"no line names {file_part!r}, {field_part!r} and {message!r}:\n{err}"


def test_yaml_error_and_unknown_key_carry_line_numbers(registry_dir, fleet):
    path = first_site(registry_dir)
    edit(path, "template: ad_dc", "tempalte: ad_dc")
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if "tempalte" in ln)
    code, _, err = fleet("--registry", str(registry_dir), "validate")
    assert code == 3
    assert f"{path.name}:{line}: guests[0].tempalte" in err


def test_json_output_lists_problems(registry_dir, fleet):
    edit(first_site(registry_dir), "kind: lycee\n", "kind: universite\n")
    code, out, _ = fleet("--registry", str(registry_dir), "--output", "json", "validate")
    assert code == 3
    doc = json.loads(out)
    assert doc["exit_code"] == 3
    assert doc["problems"][0]["field"] == "kind"


def test_invalid_registry_writes_nothing(registry_dir, tmp_path, fleet):
    out_dir = tmp_path / "generated"
    edit(first_site(registry_dir), "kind: lycee\n", "kind: universite\n")
    before = {p: p.read_bytes() for p in registry_dir.rglob("*") if p.is_file()}
    code, _, _ = fleet("--registry", str(registry_dir), "inventory", "build", "--out", str(out_dir))
    assert code == 3
    assert not out_dir.exists()
    code, _, _ = fleet(
        "--registry",
        str(registry_dir),
        "site",
        "new",
        "--uai",
        "0450062Y",
        "--name",
        "Lycée X",
        "--kind",
        "lycee",
        "--dept",
        "45",
        "--city",
        "Orléans",
    )
    assert code == 3
    after = {p: p.read_bytes() for p in registry_dir.rglob("*") if p.is_file()}
    assert after == before


def test_valid_sample_passes(registry_dir, fleet):
    code, out, err = fleet("--registry", str(registry_dir), "validate")
    assert code == 0, err
    assert "valid (12 sites)" in out
