"""Lab state files: overlay, known_hosts, ssh_config (no podman)."""

from __future__ import annotations

import json

import pytest

from fleet.errors import FleetError
from fleet.inventory import build_inventory
from fleet.lab import state

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPEnlzbV9lKS/rrcmXrEAD7cdvaQ1E2CFvvFWgHrra+Y root@container"


def test_overlay_absent_when_lab_is_down(tmp_path):
    assert state.load_overlay(tmp_path) is None


def test_overlay_has_the_contract_shape(tmp_path):
    state.write_overlay(tmp_path, "hosts", {"dc1.x": state.connection_vars(tmp_path, 40022)})
    overlay = state.load_overlay(tmp_path)
    lab = (tmp_path / ".fleet" / "lab").resolve()
    assert overlay == {
        "dc1.x": {
            "ansible_host": "127.0.0.1",
            "ansible_port": 40022,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(lab / "id_ed25519"),
            "ansible_ssh_common_args": f"-o UserKnownHostsFile={lab / 'known_hosts'} -o StrictHostKeyChecking=yes",
            "ansible_python_interpreter": "/usr/bin/python3",
        }
    }


def test_parts_overlays_merge_and_drop_independently(tmp_path):
    state.write_overlay(tmp_path, "hosts", {"a": {"ansible_port": 1}, "b": {"ansible_port": 2}})
    state.write_overlay(tmp_path, "sim", {"b": {"pve_api_url": "https://127.0.0.1:8006"}})
    assert state.load_overlay(tmp_path)["b"] == {
        "ansible_port": 2,
        "pve_api_url": "https://127.0.0.1:8006",
    }
    state.write_overlay(tmp_path, "hosts", None)
    assert state.load_overlay(tmp_path) == {"b": {"pve_api_url": "https://127.0.0.1:8006"}}
    state.write_overlay(tmp_path, "sim", None)
    assert state.load_overlay(tmp_path) is None


def test_overlay_reaches_the_generated_inventory(tmp_path):
    from pathlib import Path

    from fleet.registry import load_registry

    registry = load_registry(Path(__file__).resolve().parents[3] / "inventories" / "lab")
    host = next(iter(build_inventory(registry)["samba_dc"]["hosts"]))
    state.write_overlay(tmp_path, "hosts", {host: state.connection_vars(tmp_path, 40123)})
    hostvars = build_inventory(registry, overlay=state.load_overlay(tmp_path))["_meta"]["hostvars"][
        host
    ]
    assert hostvars["ansible_host"] == "127.0.0.1"
    assert hostvars["ansible_port"] == 40123


def test_corrupt_overlay_names_the_file(tmp_path):
    path = state.hosts_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(FleetError, match="hosts.json"):
        state.load_overlay(tmp_path)


def test_known_hosts_and_ssh_config(tmp_path):
    state.write_ssh_files(tmp_path, {"dc1.x": {"port": 40022, "host_key": HOST_KEY}})
    known = state.known_hosts_path(tmp_path).read_text()
    assert (
        known
        == "[127.0.0.1]:40022 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPEnlzbV9lKS/rrcmXrEAD7cdvaQ1E2CFvvFWgHrra+Y\n"
    )
    config = state.ssh_config_path(tmp_path).read_text()
    assert (
        "Host dc1.x\n" in config
        and "Port 40022" in config
        and "StrictHostKeyChecking yes" in config
    )
    assert "HostName 127.0.0.1" in config
    assert state.known_hosts_path(tmp_path).stat().st_mode & 0o077 == 0


def test_key_is_made_once_and_clear_removes_what_up_wrote(tmp_path):
    key = state.ensure_key(tmp_path)
    first = key.read_text()
    assert state.ensure_key(tmp_path).read_text() == first
    assert state.public_key(tmp_path).startswith("ssh-ed25519 ")
    state.save_part_state(tmp_path, "hosts", {"hosts": {}})
    sim_dir = state.lab_dir(tmp_path) / "sim"
    sim_dir.mkdir()
    removed = state.clear(tmp_path)
    assert set(removed) == {"id_ed25519", "id_ed25519.pub", "state.json"}
    assert sim_dir.exists()  # other parts' data is theirs to remove


def test_part_state_round_trip(tmp_path):
    state.save_part_state(tmp_path, "hosts", {"network": "n", "hosts": {"a": {"port": 1}}})
    state.save_part_state(tmp_path, "sim", {"pid": 3})
    assert state.part_state(tmp_path, "hosts")["hosts"]["a"]["port"] == 1
    state.save_part_state(tmp_path, "hosts", None)
    assert json.loads(state.state_path(tmp_path).read_text())["parts"] == {"sim": {"pid": 3}}
