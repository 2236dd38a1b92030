"""The lab lock, the /proc scan `down` uses to end ssh masters, and the lab inventory file
(no podman: a real socket stands in for an ssh master)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import yaml

from fleet.errors import EXIT_LOCKED, Locked
from fleet.lab import control, inventory, procs, state
from fleet.lab.parts import LabContext

REPO = Path(__file__).resolve().parents[3]


class Recorder:
    name = "rec"

    def __init__(self):
        self.calls = []

    def up(self, ctx):
        self.calls.append("up")
        return []

    def down(self, ctx):
        self.calls.append("down")
        return []

    def status(self, ctx):
        return []


def test_a_second_up_while_one_holds_the_lock_fails_naming_the_holder(tmp_path):
    rec = Recorder()
    ctx = LabContext(project_root=tmp_path, command="fleet lab down")
    with (
        control.lab_lock(tmp_path, "fleet lab up --lab-registry x"),
        pytest.raises(Locked) as caught,
    ):
        control.lab_down(ctx, [rec])
    assert caught.value.exit_code == EXIT_LOCKED == 4
    assert f"pid {os.getpid()}" in caught.value.message
    assert "`fleet lab up --lab-registry x`" in caught.value.message
    assert rec.calls == []  # nothing ran under a lock it did not get
    # released: the next one runs
    control.lab_down(ctx, [rec])
    assert rec.calls == ["down"]


def test_lab_up_runs_parts_in_order_and_down_in_reverse(tmp_path):
    order = []

    class C(Recorder):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def up(self, ctx):
            order.append(("up", self.name))
            return []

        def down(self, ctx):
            order.append(("down", self.name))
            return []

    parts = [C("hosts"), C("sim")]
    ctx = LabContext(project_root=tmp_path)
    control.lab_up(ctx, parts)
    control.lab_down(ctx, parts)
    assert order == [("up", "hosts"), ("up", "sim"), ("down", "sim"), ("down", "hosts")]


def test_loopback_port_parsing():
    assert procs._loopback_port("0100007F:9C40") == 40000  # 127.0.0.1:40000
    assert procs._loopback_port("0164647F:0016") == 22  # 127.100.100.1 is loopback too
    assert procs._loopback_port("0100000A:9C40") is None  # 10.0.0.1
    assert procs._loopback_port("0000000000000000FFFF00000100007F:0016") == 22
    assert procs._loopback_port("00000000000000000000000001000000:0016") is None  # ::1


def test_the_scan_finds_the_process_connected_to_a_port_and_only_that_one():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    try:
        holders = procs.pids_with_sockets(procs.socket_inodes_to([port]))
        assert os.getpid() in holders
        # the listening side's accepted socket has the port as its *local* end: not matched
        other = procs.pids_with_sockets(procs.socket_inodes_to([port + 1 if port < 65535 else 1]))
        assert os.getpid() not in other
        # only processes named ssh are ever ended
        assert procs.ssh_clients([port]) == {}
    finally:
        for s in (client, accepted, server):
            s.close()


def test_lab_inventory_points_at_the_overlay_and_is_readable_by_ansible(tmp_path):
    root = tmp_path
    state.write_overlay(
        root, "hosts", {"pve1.0180120h.lab.fleet.test": state.connection_vars(root, 40022)}
    )
    path = inventory.write_inventory(root, REPO / "inventories" / "lab")
    assert path == root / ".fleet" / "lab" / "inventory.yml"
    assert path.stat().st_mode & 0o077 == 0
    data = yaml.safe_load(path.read_text())
    hosts = {}

    def walk(group):
        for name, hv in ((group or {}).get("hosts") or {}).items():
            if hv:
                hosts[name] = hv
        for child in ((group or {}).get("children") or {}).values():
            walk(child)

    walk(data["all"])
    pve = hosts["pve1.0180120h.lab.fleet.test"]
    assert (pve["ansible_host"], pve["ansible_port"]) == ("127.0.0.1", 40022)
    assert "StrictHostKeyChecking=yes" in pve["ansible_ssh_common_args"]
    fw = hosts["fw1.0180120h.lab.fleet.test"]
    assert fw["ansible_connection"] == "local"
    # the Python of whoever runs Ansible: the venv's, in the lab as in production
    assert fw["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"


def test_forgetting_the_last_part_removes_the_state_file(tmp_path):
    state.save_part_state(tmp_path, "hosts", {"hosts": {}})
    assert json.loads(state.state_path(tmp_path).read_text())["parts"] == {"hosts": {"hosts": {}}}
    state.save_part_state(tmp_path, "hosts", None)
    assert not state.state_path(tmp_path).exists()
    state.save_part_state(tmp_path, "hosts", None)  # a second down writes nothing either
    assert not state.state_path(tmp_path).exists()
