"""fleet verify's pieces without a lab: JUnit results → checks with evidence, pending
components, the handover report (JSON and HTML, escaped), the CLI's `--status`."""

from __future__ import annotations

import json

from fleet.verify import api, report, testinfra
from fleet.verify.checks import FAILED, PASSED, Check
from fleet.verify.site import Verification

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
<testcase classname="test_dc" name="test_samba_ad_dc_is_active_and_enabled[ansible://dc1.x]"
  file="test_dc.py" time="0.5">
  <failure message="AssertionError: assert False">E       assert False
E        +  where False = &lt;service samba-ad-dc&gt;.is_running</failure></testcase>
<testcase classname="test_dc" name="test_dbcheck_is_clean[ansible://dc1.x]" time="1.0"/>
<testcase classname="test_base" name="test_a_logged_message[ansible://dc1.x]" time="0">
  <skipped message="no collector"/></testcase>
</testsuite></testsuites>
"""


def test_junit_cases_become_checks_with_evidence(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(JUNIT)
    checks = testinfra.parse_junit(path, "samba_ad", "molecule/samba_ad_dc/tests")
    assert [(c.name, c.status) for c in checks] == [
        ("samba_ad: test_samba_ad_dc_is_active_and_enabled[ansible://dc1.x]", FAILED),
        ("samba_ad: test_dbcheck_is_clean[ansible://dc1.x]", PASSED),
    ]
    assert "is_running" in checks[0].evidence and checks[0].host == "ansible://dc1.x"


def test_live_checks_only_and_through_the_sites_inventory(tmp_path):
    cmd = testinfra.pytest_command(tmp_path, tmp_path / "j.xml", "samba_dc", tmp_path / "inv")
    assert cmd[cmd.index("-m", 3) + 1] == "not molecule_only"
    assert "--hosts=ansible://samba_dc" in cmd and f"--ansible-inventory={tmp_path / 'inv'}" in cmd


def test_components_not_implemented_are_pending_never_passed():
    pending = api.pending_component_checks({"proxmox", "opsi", "base"})
    assert {c.component: c.status for c in pending} == {"proxmox": "pending", "opsi": "pending"}


def test_handover_report_json_and_html(tmp_path):
    v = Verification(site="0450062Y", identity={"uai": "0450062Y", "name": "Lycée <Voltaire>",
                     "kind": "lycee", "department": 45, "city": "Orléans", "owner": "region",
                     "state": "onboarding", "domain": "d", "network": "n", "components": ["base"]},
                     started="2026-12-02T10:00:00Z", finished="2026-12-02T10:01:00Z",
                     user="tech", machine="m")  # fmt: skip
    v.checks = [Check("base: a", "base", "s", PASSED, "ok"),
                Check("opnsense api: fw1 answers", "opnsense", "api", FAILED, "HTTP 500")]  # fmt: skip
    v.versions = {"fw1 OPNsense": "26.1"}
    written = report.write(v, tmp_path / "handover.html")
    data = json.loads((tmp_path / "handover.json").read_text())
    assert written["json"].endswith("handover.json")
    assert data["result"] == "failed" and data["failing"] == ["opnsense api: fw1 answers"]
    assert data["by"] == "tech" and data["versions"] == {"fw1 OPNsense": "26.1"}
    assert data["exit_code"] == 1
    html = (tmp_path / "handover.html").read_text()
    assert "Lycée &lt;Voltaire&gt;" in html and "HTTP 500" in html and "26.1" in html


def test_onboard_status_in_json(registry_dir, fleet):
    from .conftest import onboarding_site

    uai = onboarding_site(registry_dir)
    code, out, err = fleet("--registry", str(registry_dir), "-o", "json", "onboard", uai,
                           "--status")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    states = {r["stage"]: r["state"] for r in data["stages"]}
    assert states["preflight"] == "todo" and states["software"] == "pending"
    code, out, err = fleet("--registry", str(registry_dir), "onboard", "0450999Z")
    assert code == 3


def test_testinfra_shares_one_ssh_connection_per_host(tmp_path, monkeypatch):
    """With verify's ansible.cfg, testinfra's ssh backend gets a control path (one SSH
    connection per host for all its checks); with the project's, it would have none."""
    from testinfra.utils.ansible_runner import AnsibleRunner

    control = tmp_path / "cp"
    control.mkdir()
    cfg = testinfra.write_ansible_cfg(tmp_path, control)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    dc1.x:\n      ansible_host: 127.0.0.1\n      ansible_port: 2200\n"
    )
    monkeypatch.setenv("ANSIBLE_CONFIG", str(cfg))
    backend = AnsibleRunner(str(inventory)).get_host("dc1.x").backend
    assert backend.controlpath.startswith(str(control))
    command, _ = backend._build_ssh_command("true")
    assert any("ControlPath=" in part for part in command)
