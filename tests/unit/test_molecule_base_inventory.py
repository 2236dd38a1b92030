"""The base role's testinfra checks take their expected values from a real inventory, or fail.

molecule/base/tests/conftest.py reads the host's variables from $MOLECULE_INVENTORY_FILE (what
Molecule exports to the verifier) or FLEET_VERIFY_INVENTORY; without one that knows the host it
must fail the run, not compare against the role's defaults (no admin account: nothing checked).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[2] / "molecule" / "base" / "tests" / "conftest.py"
HOST = "fleet-molecule-base-test"


def load_conftest():
    spec = importlib.util.spec_from_file_location("molecule_base_conftest", CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PodmanBackend:
    NAME = "podman"

    def get_hostname(self) -> str:
        return HOST


class Host:
    backend = PodmanBackend()


@pytest.fixture
def inventory_vars(monkeypatch):
    for var in ("MOLECULE_INVENTORY_FILE", "FLEET_VERIFY_INVENTORY"):
        monkeypatch.delenv(var, raising=False)
    # testinfra runs ansible-inventory from PATH
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    conftest = load_conftest()
    return lambda: conftest._inventory_vars(Host())


def molecule_inventory(root: Path, host: str = HOST, name: str = "alice") -> Path:
    """Molecule's layout: ansible_inventory.yml with group_vars/ next to it."""
    (root / "group_vars").mkdir(parents=True)
    (root / "group_vars" / "proxmox_nodes").write_text(
        f"fleet_admin_accounts:\n  - name: {name}\n    ssh_key: ssh-ed25519 AAAA {name}@x\n"
    )
    inventory = root / "ansible_inventory.yml"
    inventory.write_text(
        f"proxmox_nodes:\n  hosts:\n    {host}:\n      ansible_connection: podman\n"
    )
    return inventory


def test_no_inventory_fails_instead_of_checking_against_defaults(inventory_vars):
    with pytest.raises(pytest.fail.Exception, match="no inventory to take the expected values"):
        inventory_vars()


def test_a_missing_inventory_file_fails(inventory_vars, monkeypatch, tmp_path):
    monkeypatch.setenv("FLEET_VERIFY_INVENTORY", str(tmp_path / "gone.yml"))
    with pytest.raises(pytest.fail.Exception, match="gone.yml: no such inventory"):
        inventory_vars()


def test_an_inventory_without_the_host_fails(inventory_vars, monkeypatch, tmp_path):
    inventory = molecule_inventory(tmp_path, host="another-host")
    monkeypatch.setenv("MOLECULE_INVENTORY_FILE", str(inventory))
    with pytest.raises(pytest.fail.Exception, match=f"host {HOST} is not in this inventory"):
        inventory_vars()


def test_molecule_inventory_gives_the_group_vars_and_wins(inventory_vars, monkeypatch, tmp_path):
    molecule = molecule_inventory(tmp_path / "molecule")
    other = molecule_inventory(tmp_path / "other", name="bob")
    monkeypatch.setenv("FLEET_VERIFY_INVENTORY", str(other))
    monkeypatch.setenv("MOLECULE_INVENTORY_FILE", str(molecule))
    hostvars = inventory_vars()
    assert [a["name"] for a in hostvars["fleet_admin_accounts"]] == ["alice"]
    monkeypatch.delenv("MOLECULE_INVENTORY_FILE")
    assert [a["name"] for a in inventory_vars()["fleet_admin_accounts"]] == ["bob"]
