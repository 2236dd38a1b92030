"""fleet_opsi_depot through Ansible itself (ad-hoc, local connection, fleet's Python, the json
callback) against a simulated master and fresh depot: check mode changes nothing and shows the
diff per product, a run converges, the next one changes nothing with one read request, and the
passwords passed as module arguments appear nowhere in Ansible's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fleet.opsi import depot as engine

from .conftest import site_products

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
            f"ansible_python_interpreter={sys.executable}", "-m", "fleet_opsi_depot",
            "-a", json.dumps(args)]  # fmt: skip
    if check:
        argv += ["--check", "--diff"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=PROJECT, timeout=180)
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    return {
        "result": data["plays"][0]["tasks"][0]["hosts"]["localhost"],
        "raw": proc.stdout + proc.stderr,
    }


def test_the_module_plans_converges_and_stays_converged_without_leaking_passwords(
    opsi, lab_catalogue, tmp_path
):
    desired = site_products(lab_catalogue, "cdi")
    m, d = opsi.master_doc, opsi.depot_doc
    args = {
        "api_url": d["url"], "api_username": d["username"], "api_password": d["password"],
        "api_ca": d["ca"], "master_url": m["url"], "master_username": m["username"],
        "master_password": m["password"], "master_ca": m["ca"], "depot_id": opsi.depot_id,
        "products": desired, "groups": {"cdi": ["firefox", "libreoffice", "bcdi-client"]},
        "registration": {"description": "[fleet] OPSI depot of 0450050K"},
    }  # fmt: skip
    plan = ansible(args, tmp_path, check=True)
    res = plan["result"]
    assert res["changed"] is True, res
    assert [(p["product"], p["from"], p["to"]) for p in res["products"]] == [
        (p["id"], None, p["version"]) for p in desired
    ]
    assert "product firefox: absent" in res["diff"]["before"]
    assert engine.read(opsi.depot, opsi.depot_id).products == {}  # check mode wrote nothing
    first = ansible(args, tmp_path)
    assert first["result"]["changed"] is True, first["result"]
    second = ansible(args, tmp_path)
    assert second["result"]["changed"] is False, second["result"]
    assert second["result"]["calls"]["depot"] == {"reads": 5, "writes": 0, "requests": 1}
    assert second["result"]["calls"]["master"]["requests"] == 0
    for run in (plan, first, second):
        assert d["password"] not in run["raw"] and m["password"] not in run["raw"]


def test_a_sha256_mismatch_fails_the_task_and_installs_nothing(opsi, lab_catalogue, tmp_path):
    desired = [dict(p) for p in site_products(lab_catalogue, "cdi")]
    desired[0]["sha256"] = "f" * 64
    m, d = opsi.master_doc, opsi.depot_doc
    args = {
        "api_url": d["url"], "api_username": d["username"], "api_password": d["password"],
        "api_ca": d["ca"], "master_url": m["url"], "master_username": m["username"],
        "master_password": m["password"], "master_ca": m["ca"], "depot_id": opsi.depot_id,
        "products": desired,
    }  # fmt: skip
    res = ansible(args, tmp_path)["result"]
    assert res["failed"] is True
    assert (
        f"depot {opsi.depot_id}: {desired[0]['id']}: {desired[0]['file']} from the master has sha256"
        in res["msg"]
    )
    assert "refused, nothing installed" in res["msg"]
    assert engine.read(opsi.depot, opsi.depot_id).products == {}
