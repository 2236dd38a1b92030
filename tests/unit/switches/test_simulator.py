"""The switches simulator over SSH: the ready document, host keys checked by the clients,
configuration that commands change and `write memory` keeps across a restart (a reboot loses
what was not saved), the device's refusals, and the faults (auth, hang, down)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.errors import BadInput
from fleet.lab.sim.switches import parse_faults
from fleet.lab.sim.switches.serve import write_faults
from fleet.switches.session import Session, SwitchError, Target

PROJECT = Path(__file__).resolve().parents[3]


def target(sim, name: str, known_hosts: str | None = None, **changes) -> Target:
    d = sim.device(name)
    values = {"name": name, "platform": d["platform"], "host": d["host"], "port": d["port"],
              "username": d["username"], "password": d["password"],
              "known_hosts": known_hosts or sim.doc["known_hosts"], "timeout": 5.0}  # fmt: skip
    values.update(changes)
    return Target(**values)


def test_the_ready_document_names_each_device_and_its_login(switches):
    sim = switches(["a@hp_procurve/28", "b@cisco_ios"])
    devices = sim.doc["devices"]
    assert [(d["name"], d["platform"], d["ports"]) for d in devices] == [
        ("a", "hp_procurve", 28), ("b", "cisco_ios", 52)]  # fmt: skip
    for d in devices:
        assert d["host"] == "127.0.0.1" and d["port"] > 1024 and d["username"] and d["password"]
    known = Path(sim.doc["known_hosts"]).read_text().splitlines()
    assert [line.split()[0] for line in known] == [f"[127.0.0.1]:{d['port']}" for d in devices]
    assert oct(os.stat(sim.state_dir / "credentials.json").st_mode & 0o777) == "0o600"


def test_commands_change_the_running_configuration_and_write_memory_keeps_it(switches, tmp_path):
    state = tmp_path / "state"
    sim = switches(["a@hp_procurve/28"], state)
    with Session(target(sim, "a")) as s:
        s.configure(["vlan 40", 'name "pedago"', "interface 3", "untagged vlan 40"])
        s.save()
        s.configure(["vlan 99"])  # not saved
        running = s.running()
        assert 'vlan 40\n   name "pedago"\n   untagged 3\n' in running and "vlan 99\n" in running
    sim.stop()
    again = switches(["a@hp_procurve/28"], state)
    assert again.device("a")["password"] == sim.device("a")["password"]
    with Session(target(again, "a")) as s:
        running = s.running()
    assert "vlan 40\n" in running and "vlan 99\n" not in running  # a restart is a reboot


@pytest.mark.parametrize(("name", "line", "words"), [
    ("a", "vlan 10 frobnicate", "Invalid input: vlan"),
    ("b", "switchport access vlan 10", "Invalid input"),
])  # fmt: skip
def test_a_refused_line_is_named(switches, name, line, words):
    sim = switches(["a@hp_procurve/28", "b@cisco_ios"])
    with Session(target(sim, name)) as s, pytest.raises(SwitchError) as err:
        s.configure(["vlan 10", line])
    assert f"switch {name}: the switch refused a line" in str(err.value)
    assert line in str(err.value)


def test_the_host_key_is_checked(switches, tmp_path):
    sim = switches(["a@hp_procurve/28"])
    other = tmp_path / "known_hosts"
    port = sim.device("a")["port"]
    other.write_text(f"[127.0.0.1]:{port} ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7\n")
    with pytest.raises(SwitchError, match="cannot connect"):
        Session(target(sim, "a", known_hosts=str(other))).__enter__()
    other.write_text("")
    with pytest.raises(SwitchError, match="cannot connect"):
        Session(target(sim, "a", known_hosts=str(other))).__enter__()


@pytest.mark.parametrize(("fault", "words"), [
    ("auth", "authentication failed"),
    ("hang", "no prompt or no answer"),
    ("down", "cannot connect"),
])  # fmt: skip
def test_faults_fail_the_session_with_what_happened(switches, fault, words):
    sim = switches(["a@hp_procurve/28", "b@cisco_ios"])
    write_faults(sim.state_dir, f"dev=a:{fault}")
    with pytest.raises(SwitchError) as err:
        Session(target(sim, "a", timeout=3.0)).__enter__()
    assert str(err.value).startswith("switch a (127.0.0.1:") and words in str(err.value)
    with Session(target(sim, "b")) as s:  # the other switch is unaffected
        assert "hostname Switch" in s.running()
    write_faults(sim.state_dir, "")
    with Session(target(sim, "a")) as s:
        assert 'hostname "HP-2930F"' in s.running()


def test_fault_specs_are_checked():
    assert parse_faults("dev=a,b*:hang;all:down") == [(("a", "b*"), "hang"), (None, "down")]
    with pytest.raises(BadInput, match="effect must be one of down, auth, hang"):
        parse_faults("dev=a:error=500")


def test_fleet_lab_sim_switches_prints_one_ready_line_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "fleet.cli.main", "lab", "sim", "switches", "--state",
         str(tmp_path / "s"), "--names", "x@cisco_ios/8", "--listen", "127.0.0.1", "--port", "0",
         "--layout", "port"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT,
    )  # fmt: skip
    try:
        doc = json.loads(proc.stdout.readline())
        assert doc["kind"] == "switches" and doc["pid"] == proc.pid
        (device,) = doc["devices"]
        assert {"name", "host", "port", "platform", "username", "password"} <= set(device)
        assert device["platform"] == "cisco_ios" and device["ports"] == 8
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
