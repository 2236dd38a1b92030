"""JSON, JUnit, Prometheus and HTML reports from a FleetRun built from recorded events."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fleet.history import HistoryView, Streak
from fleet.report import html, json_report, junit, prometheus
from fleet.runner.events import parse_events
from fleet.runner.result import FleetRun, RunResult

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "events"


def from_recording(name: str, site: str) -> RunResult:
    meta = json.loads((EVENTS / f"{name}.meta.json").read_text())
    events = [json.loads(x) for x in (EVENTS / f"{name}.jsonl").read_text().splitlines()]
    result = parse_events(events, site, meta["mode"], rc=meta["rc"], cancelled=meta["cancelled"])
    result.duration, result.finished = 12.5, "2026-05-10T02:00:12+00:00"
    return result


@pytest.fixture
def drift_run() -> FleetRun:
    run = FleetRun(
        run_id="20260510T020000Z-abc123",
        command="drift",
        mode="check",
        started="2026-05-10T02:00:00+00:00",
        finished="2026-05-10T02:01:00+00:00",
    )
    run.sites = [
        from_recording("converge_drift", "0450050K"),
        from_recording("converge_second", "0450051L"),  # in sync
        from_recording("unreachable", "0180050A"),
        RunResult(
            site="0280050B",
            mode="check",
            status="locked",
            message="site 0280050B is locked by root (pid 1, `fleet deploy`)",
        ),
    ]
    return run


STREAKS = HistoryView(
    streaks={"0450050K": Streak("0450050K", "2026-05-07T02:00:00+00:00", "r0", 4)}, changes={}
)


def test_json_report_follows_the_documented_schema(drift_run):
    data = json_report.build(drift_run, STREAKS)
    assert data["schema_version"] == 1
    assert data["exit_code"] == 1 and data["status"] == "failed"  # the unreachable site
    assert data["summary"]["by_status"] == {"drift": 1, "locked": 1, "ok": 1, "unreachable": 1}
    first = data["sites"][0]
    assert first["drifting_since"] == "2026-05-07T02:00:00+00:00"
    assert first["changed"][0]["diff"][0]["before"] == "tampered\n"
    assert data["sites"][1]["drifting_since"] is None
    documented = Path(__file__).resolve().parents[3] / "docs" / "report-schema.md"
    text = documented.read_text()
    for key in [*data, *first, *data["summary"]]:
        assert f"`{key}`" in text, f"{key} is not documented in docs/report-schema.md"
    json.dumps(data)  # serialisable


def test_exit_code_is_2_when_only_drift(drift_run):
    drift_run.sites = drift_run.sites[:2]
    assert drift_run.exit_code == 2


def test_junit_has_a_case_per_site_and_component_with_diffs(drift_run):
    root = ET.fromstring(junit.render(drift_run))
    suite = root.find("testsuite")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    assert set(cases) == {
        ("0450050K", "base"),
        ("0450050K", "samba_ad"),
        ("0450051L", "base"),
        ("0450051L", "samba_ad"),
        ("0180050A", "base"),
        ("0280050B", "run"),
    }
    failure = cases[("0450050K", "base")].find("failure")
    assert failure.get("type") == "drift"
    assert "-tampered" in failure.text and "+managed by fleet" in failure.text
    assert cases[("0450050K", "samba_ad")].find("failure") is None
    assert "unreachable" in cases[("0180050A", "base")].find("failure").text
    assert cases[("0280050B", "run")].find("skipped") is not None
    assert suite.get("tests") == "6" and suite.get("failures") == "2"


def test_prometheus_textfile(drift_run, tmp_path):
    target = tmp_path / "fleet.prom"
    prometheus.write(drift_run, target)
    text = target.read_text()
    assert 'fleet_drift_items{site="0450050K",component="base"} 1' in text
    assert 'fleet_drift_items{site="0450050K",component="samba_ad"} 0' in text
    assert 'fleet_run_failed{site="0180050A"} 1' in text
    assert 'fleet_run_failed{site="0450050K"} 0' in text
    assert 'fleet_last_run_timestamp_seconds{site="0450050K",mode="check"} 1778378412' in text
    assert 'fleet_run_duration_seconds{site="0450050K"} 12.500' in text
    for name in (
        "fleet_drift_items",
        "fleet_run_failed",
        "fleet_last_run_timestamp_seconds",
        "fleet_run_duration_seconds",
    ):
        assert f"# TYPE {name} gauge" in text
    # every sample line is name{labels} value
    for line in text.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r"[a-z_]+\{[^}]*\} [0-9.]+", line), line


def test_html_is_self_contained_grouped_by_department(drift_run, tmp_path):
    infos = {"0450050K": html.SiteInfo("Lycée <Jean> Zay", 45, "Orléans")}
    page = html.render(drift_run, infos, STREAKS)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "<link" not in page
    assert page.index("Department 18") < page.index("Department 28") < page.index("Department 45")
    assert "Lycée &lt;Jean&gt; Zay" in page  # escaped
    assert "drifting since 2026-05-07T02:00:00+00:00" in page
    assert "-tampered" in page and "+managed by fleet" in page
    assert 'class="tile s-unreachable"' in page


def test_html_renders_in_headless_chromium_without_console_errors(drift_run, tmp_path):
    # scripts/setup.sh installs Debian's chromium: its absence is a broken set-up, not a skip
    assert shutil.which("chromium"), "chromium is not installed: run ./scripts/setup.sh"
    page = tmp_path / "drift.html"
    html.write(drift_run, page, {}, STREAKS)
    shot = tmp_path / "drift.png"
    base = [
        shutil.which("chromium"),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'prof'}",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1200,900",
    ]
    done = subprocess.run(
        [*base, f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert not re.search(r"CONSOLE[:(]\d+|Uncaught", done.stderr), done.stderr[-2000:]
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "0450050K" in dom.stdout and "drifting since" in dom.stdout
    assert not re.search(r"CONSOLE[:(]\d+|Uncaught", dom.stderr)
