"""The fleet_opnsense_* modules through Ansible itself (ad-hoc, local connection, fleet's
Python, the json callback) against a simulated firewall: check mode changes nothing and shows
the diff, a run converges, the next one changes nothing, and a key and secret passed as module
arguments (as the vault gives them) appear nowhere in Ansible's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]
ANSIBLE = Path(sys.executable).with_name("ansible")

VLANS = [{"name": "pedago", "tag": 40, "parent": "vtnet1", "device": "vlan0.40"}]


def ansible(module: str, args: dict, check: bool = False, tmp: Path | None = None) -> dict:
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
            f"ansible_python_interpreter={sys.executable}", "-m", module, "-a", json.dumps(args)]  # fmt: skip
    if check:
        argv += ["--check", "--diff"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=PROJECT, timeout=120)
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return {"result": result, "raw": proc.stdout + proc.stderr}


def test_a_module_plans_converges_and_stays_converged_without_leaking_the_secret(
    firewall, tmp_path
):
    site = firewall("26.7.2")
    api = {"api_url": site.doc["url"], "api_key": site.doc["key"],
           "api_secret": site.doc["secret"], "api_ca": site.doc["ca"]}  # fmt: skip
    args = {**api, "vlans": VLANS}
    plan = ansible("fleet_opnsense_vlans", args, check=True, tmp=tmp_path)
    assert plan["result"]["changed"] is True
    assert plan["result"]["diff"]["after"]["VLAN vlan0.40"]["tag"] == "40"
    assert site.saved("vlan") == {}  # check mode wrote nothing
    first = ansible("fleet_opnsense_vlans", args, tmp=tmp_path)
    assert first["result"]["changed"] is True and first["result"]["calls"]["applies"] == 1
    assert [v["vlanif"] for v in site.saved("vlan").values()] == ["vlan0.40"]
    second = ansible("fleet_opnsense_vlans", args, tmp=tmp_path)
    assert second["result"]["changed"] is False
    assert second["result"]["calls"] == {"reads": 1, "writes": 0, "applies": 0, "safety": 0}
    for run in (plan, first, second):
        assert site.doc["secret"] not in run["raw"] and site.doc["key"] not in run["raw"]


def test_the_info_module_refuses_an_unassigned_interface_before_any_change(firewall, tmp_path):
    site = firewall("26.1")
    api = {"api_url": site.doc["url"], "api_key": site.doc["key"],
           "api_secret": site.doc["secret"], "api_ca": site.doc["ca"]}  # fmt: skip
    ok = ansible("fleet_opnsense_info", {**api, "interfaces": ["opt1", "opt5"]}, tmp=tmp_path)
    assert ok["result"]["firmware"] == "26.1" and ok["result"]["capabilities"]["savepoints"]
    bad = ansible("fleet_opnsense_info", {**api, "interfaces": ["opt1", "opt42"]}, tmp=tmp_path)
    assert bad["result"]["failed"] is True
    assert "interface(s) opt42 not assigned on the firewall" in bad["result"]["msg"]


def test_a_wrong_secret_fails_with_the_apis_words(firewall, tmp_path):
    site = firewall("26.7.2")
    args = {"api_url": site.doc["url"], "api_key": site.doc["key"], "api_secret": "wrong",
            "api_ca": site.doc["ca"], "vlans": VLANS}  # fmt: skip
    out = ansible("fleet_opnsense_vlans", args, tmp=tmp_path)
    assert out["result"]["failed"] is True
    assert "HTTP 401: Authentication Failed" in out["result"]["msg"]
