"""The registry commands as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from fleet.registry import load_registry

from .conftest import REPO, edit, first_site


def test_sites_list_json_and_filters(registry_dir, fleet):
    code, out, _ = fleet("--registry", str(registry_dir), "-o", "json", "sites", "list")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 12
    assert {"uai", "name", "kind", "department", "city", "state"} <= set(rows[0])
    code, out, _ = fleet(
        "--registry",
        str(registry_dir),
        "-o",
        "json",
        "sites",
        "list",
        "--kind",
        "college",
        "--dept",
        "18",
    )
    colleges = json.loads(out)
    assert colleges and all(r["kind"] == "college" and r["department"] == 18 for r in colleges)
    assert len(colleges) == sum(1 for r in rows if r["kind"] == "college" and r["department"] == 18)


def test_sites_show(registry_dir, fleet):
    uai = sorted(p.stem for p in (registry_dir / "sites").glob("*.yml"))[0]
    code, out, _ = fleet("--registry", str(registry_dir), "sites", "show", uai)
    assert code == 0
    assert uai in out and "pedago" in out


def test_unknown_site_is_bad_input(registry_dir, fleet):
    code, _, err = fleet("--registry", str(registry_dir), "sites", "show", "0450050K")
    assert code == 3
    assert "unknown site '0450050K'" in err


def test_usage_errors_exit_3(fleet):
    assert fleet("sites", "list", "--kind", "universite")[0] == 3
    assert fleet("no-such-command")[0] == 3
    assert fleet("site", "new", "--uai", "0450062Y")[0] == 3  # missing options, not a TTY


def test_site_new_allocates_lowest_free_index_and_writes_atomically(registry_dir, fleet):
    alloc = registry_dir / "allocations.yml"
    data = yaml.safe_load(alloc.read_text())["sites"]
    gone = sorted(data, key=data.get)[3]
    (registry_dir / "sites" / f"{gone}.yml").unlink()
    del data[gone]
    alloc.write_text(yaml.safe_dump({"sites": data}))
    before = dict(data)
    code, out, err = fleet(
        "--registry",
        str(registry_dir),
        "site",
        "new",
        "--uai",
        "0450062Y",
        "--name",
        "Lycée Voltaire",
        "--kind",
        "lycee",
        "--dept",
        "45",
        "--city",
        "Orléans",
    )
    assert code == 0, err
    assert "site index 3" in out and "next:" in out
    after = yaml.safe_load(alloc.read_text())["sites"]
    assert after["0450062Y"] == 3
    assert {k: v for k, v in after.items() if k != "0450062Y"} == before
    registry = load_registry(registry_dir)
    assert registry.sites["0450062Y"].samba_ad.netbios == "LY0450062Y"
    assert not list(registry_dir.rglob("*.tmp"))


def test_site_new_refuses_bad_uai_and_duplicates(registry_dir, fleet):
    args = (
        "--registry",
        str(registry_dir),
        "site",
        "new",
        "--name",
        "X Lycée",
        "--kind",
        "lycee",
        "--dept",
        "45",
        "--city",
        "Gien",
    )
    code, _, err = fleet(*args, "--uai", "0450062A")
    assert code == 3 and "expected letter is Y" in err and "sites/0450062A.yml" in err
    existing = sorted(p.stem for p in (registry_dir / "sites").glob("*.yml"))[0]
    code, _, err = fleet(*args, "--uai", existing)
    assert code == 3 and "already exists" in err


def test_onboarding_sites_one_by_one_into_an_empty_registry(tmp_path, fleet):
    """fleet site new, site after site, builds a registry that validates and inventories."""
    from fleet.registry.sample import plan

    root = tmp_path / "registry"
    (root / "sites").mkdir(parents=True)
    (root / "region.yml").write_text((REPO / "inventories" / "registry" / "region.yml").read_text())
    rows = plan(180)[::6]  # every kind and department, 30 sites; the full 180 runs in bench/
    for uai, kind, dept, city, owner, name in rows:
        code, _, err = fleet(
            "--registry",
            str(root),
            "site",
            "new",
            "--uai",
            uai,
            "--name",
            name,
            "--kind",
            kind.value,
            "--dept",
            str(dept),
            "--city",
            city,
            "--owner",
            owner.value,
        )
        assert code == 0, err
    registry = load_registry(root)
    assert sorted(registry.allocations.values()) == list(range(len(rows)))
    out = tmp_path / "generated"
    assert fleet("--registry", str(root), "inventory", "build", "--out", str(out))[0] == 0
    ansible_inventory = str(Path(sys.executable).parent / "ansible-inventory")
    graph = subprocess.run(
        [ansible_inventory, "-i", str(out), "--graph", "samba_dc"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert graph.stdout.count("dc1.") == len(rows)


def test_help_does_not_import_ansible():
    code = (
        "import sys; from fleet.cli.main import main\n"
        "for args in (['--help'], ['sites', 'list']):\n"
        "    try: main(args)\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('ansible', 'ansible_runner', 'aiohttp')]\n"
        "print(heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_help_has_an_example(fleet):
    commands = (
        ["validate"],
        ["sites"],
        ["sites", "list"],
        ["sites", "show"],
        ["site"],
        ["site", "new"],
        ["inventory"],
        ["inventory", "build"],
        ["inventory", "check"],
        ["inventory", "show"],
    )
    for args in commands:
        code, out, _ = fleet(*args, "--help")
        assert code == 0
        assert "Example" in out, args


def test_sites_list_cache_follows_every_edit(registry_dir, fleet):
    """A listing answered from the summary cache is never stale and never shows a registry
    that no longer validates."""
    site = first_site(registry_dir)
    uai = site.stem
    code, out, _ = fleet("--registry", str(registry_dir), "-o", "json", "sites", "list")
    assert code == 0
    before = {r["uai"]: r for r in json.loads(out)}
    text = site.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("name:"))
    assert before[uai]["name"] != "Lycée Renommé"
    edit(site, old, "name: Lycée Renommé")
    code, out, _ = fleet("--registry", str(registry_dir), "-o", "json", "sites", "list")
    assert code == 0
    assert {r["uai"]: r["name"] for r in json.loads(out)}[uai] == "Lycée Renommé"
    edit(site, "name: Lycée Renommé", "name: Lycée Renommé\nnmae: typo")
    code, out, err = fleet("--registry", str(registry_dir), "sites", "list")
    assert code == 3
    assert out == ""
    assert f"sites/{uai}.yml" in err and "nmae" in err
