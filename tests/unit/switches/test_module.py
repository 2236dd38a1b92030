"""The fleet_switch_config module through Ansible itself (ad-hoc, local connection, fleet's
Python, the json callback) against a simulated switch: check mode shows exactly the lines and
changes nothing, a run converges, the next one changes nothing, and the password and the SNMP
community (as the vault gives them) appear nowhere in Ansible's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.unit.switches.intents import intent

PROJECT = Path(__file__).resolve().parents[3]
ANSIBLE = Path(sys.executable).with_name("ansible")


def ansible(args: dict, tmp: Path, check: bool = False) -> dict:
    env = dict(
        os.environ,
        ANSIBLE_LIBRARY=str(PROJECT / "plugins/modules"),
        ANSIBLE_MODULE_UTILS=str(PROJECT / "plugins/module_utils"),
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_HOME=str(tmp / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    argv = [str(ANSIBLE), "all", "-i", "localhost,", "-c", "local", "-e",
            f"ansible_python_interpreter={sys.executable}", "-m", "fleet_switch_config",
            "-a", json.dumps(args)]  # fmt: skip
    if check:
        argv += ["--check", "--diff"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=PROJECT, timeout=180)
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    return {"result": data["plays"][0]["tasks"][0]["hosts"]["localhost"],
            "raw": proc.stdout + proc.stderr}  # fmt: skip


def test_the_module_plans_converges_and_stays_converged_without_leaking_secrets(switches, tmp_path):
    sim = switches(["sw@cisco_ios/12"])
    d = sim.device("sw")
    args = {"intent": intent("cisco_ios"), "template_dir": str(PROJECT / "templates/switches"),
            "host": d["host"], "port": d["port"], "username": d["username"],
            "password": d["password"], "snmp_community": "vault-c0mmunity",
            "enable_secret": "vault-en4ble",
            "known_hosts": sim.doc["known_hosts"], "timeout": 10}  # fmt: skip
    backups = tmp_path / "backups"
    args |= {"backup_dir": str(backups), "backup_site": "0450050K", "backup_device": "sw.cfg",
             "backup_message": "fleet drift/plan run r1: 0450050K sw"}  # fmt: skip
    plan = ansible(args, tmp_path, check=True)["result"]
    assert plan["changed"] is True and plan["lines"][:2] == ["vlan 10", "  name mgmt"]
    # check mode still commits what it read (the device as found), from the same module run
    assert plan["commit"] and (backups / "0450050K/sw.cfg").read_text() == plan["config"]
    assert plan["diff"]["prepared"] == "\n".join(plan["lines"]) + "\n"
    assert "snmp-server community ******** RO" in plan["lines"]
    assert "hostname Switch" in plan["config"]  # check mode changed nothing
    first = ansible(args, tmp_path)
    assert first["result"]["changed"] is True and first["result"]["lines"] == plan["lines"]
    assert "hostname sw-test" in first["result"]["config"]
    assert first["result"]["commit"] not in (None, plan["commit"])  # the converged config
    second = ansible(args, tmp_path)
    assert second["result"]["changed"] is False and second["result"]["lines"] == []
    assert second["result"]["commit"] is None  # stored already: no new commit
    assert "service timestamps log datetime msec" in second["result"]["unmanaged"]
    for run in (first, second):
        assert "vault-c0mmunity" not in run["raw"] and d["password"] not in run["raw"]
        assert "vault-en4ble" not in run["raw"]
    stored = (backups / "0450050K/sw.cfg").read_text()
    assert "vault-c0mmunity" not in stored and "snmp-server community ******** RO" in stored


def test_a_wrong_password_fails_naming_the_switch(switches, tmp_path):
    sim = switches(["sw@hp_procurve/12"])
    d = sim.device("sw")
    args = {"intent": intent("hp_procurve"), "template_dir": str(PROJECT / "templates/switches"),
            "host": d["host"], "port": d["port"], "username": d["username"], "password": "wrong",
            "snmp_community": "x", "known_hosts": sim.doc["known_hosts"], "timeout": 5}  # fmt: skip
    out = ansible(args, tmp_path)["result"]
    assert out["failed"] is True
    assert (
        out["msg"].startswith("switch sw-test (127.0.0.1:")
        and "authentication failed" in out["msg"]
    )


def test_an_snmpv3_user_converges_and_its_keys_stay_secret(switches, tmp_path):
    sim = switches(["sw@hp_procurve/12"])
    d = sim.device("sw")
    snmp = {"version": "3", "user": "monitor", "contact": "noc", "location": "test"}
    args = {"intent": intent("hp_procurve", snmp=snmp),
            "template_dir": str(PROJECT / "templates/switches"), "host": d["host"],
            "port": d["port"], "username": d["username"], "password": d["password"],
            "snmp_auth_password": "vault-auth-k3y", "snmp_priv_password": "vault-priv-k3y",
            "known_hosts": sim.doc["known_hosts"], "timeout": 10}  # fmt: skip
    missing = ansible({**args, "snmp_priv_password": ""}, tmp_path)["result"]
    assert (
        missing["failed"]
        and "switch_snmp_priv_password missing from the site's vault" in missing["msg"]
    )
    first = ansible(args, tmp_path)
    assert (
        first["result"]["changed"] is True and 'snmpv3 user "monitor"' in first["result"]["lines"]
    )
    second = ansible(args, tmp_path)
    assert second["result"]["changed"] is False
    for run in (first, second):
        assert "vault-auth-k3y" not in run["raw"] and "vault-priv-k3y" not in run["raw"]
