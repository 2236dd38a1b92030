"""The HTML report in Debian's headless Chromium: it renders (a non-empty PNG screenshot) and
the page logs no console message (no JS errors, no blocked or missing resources).

The report is built from event files recorded from real runs (tests/fixtures/events/),
spread over several departments and statuses, as `fleet drift --all --report` would."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from fleet.history import HistoryView, Streak
from fleet.report import html
from fleet.runner.events import parse_events
from fleet.runner.result import LOCKED, FleetRun, RunResult

CHROMIUM = "/usr/bin/chromium"
EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2400",
    "--hide-scrollbars",
]

# fixture → (UAI it stands for, name, department, city)
SITES = {
    "converge_drift": ("0450050K", "Lycée Jean Zay", 45, "Orléans"),
    "lab_base_drift": ("0180120H", "Collège George Sand", 18, "Bourges"),
    "converge_second": ("0451442D", "Lycée Voltaire", 45, "Orléans"),
    "fail": ("0370001A", "Lycée Descartes", 37, "Tours"),
    "unreachable": ("0280015R", "Lycée Marceau", 28, "Chartres"),
    "lab_vault_nolog": ("0410002E", "Lycée Augustin Thierry", 41, "Blois"),
}


def result_of(fixture: str, uai: str) -> RunResult:
    meta = json.loads((EVENTS / f"{fixture}.meta.json").read_text())
    events = [json.loads(line) for line in (EVENTS / f"{fixture}.jsonl").read_text().splitlines()]
    result = parse_events(events, uai, "check", rc=meta["rc"], cancelled=meta["cancelled"])
    result.started, result.finished, result.duration = (
        "2026-11-23T02:00:00+00:00",
        "2026-11-23T02:01:10+00:00",
        70.0,
    )
    return result


def sample_run() -> tuple[FleetRun, dict, dict]:
    run = FleetRun(
        run_id="20261123T020000Z-abc123",
        command="drift",
        mode="check",
        playbook="playbooks/site.yml",
        started="2026-11-23T02:00:00+00:00",
        finished="2026-11-23T02:03:00+00:00",
        user="fleet",
    )
    infos = {}
    for fixture, (uai, name, dept, city) in SITES.items():
        run.sites.append(result_of(fixture, uai))
        infos[uai] = html.SiteInfo(name, dept, city)
    run.sites.append(
        RunResult(
            site="0360003H",
            mode="check",
            status=LOCKED,
            message="site 0360003H is locked by jdupont (pid 4242, `fleet deploy 0360003H`) "
            "since 2026-11-23T01:58:00+00:00",
        )
    )
    infos["0360003H"] = html.SiteInfo("Lycée Jean Giraudoux", 36, "Châteauroux")
    streaks = {
        "0450050K": Streak("0450050K", "2026-11-20T02:00:00+00:00", "20261120T020000Z-aaaaaa", 4)
    }
    return run, infos, streaks


def screenshot(page: Path, png: Path, profile: Path) -> str:
    """Render `page` in headless Chromium; returns its stderr (console messages are there)."""
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def chromium():
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium")
    return CHROMIUM


def test_report_renders_in_headless_chromium_without_console_messages(chromium, tmp_path):
    run, infos, streaks = sample_run()
    page = tmp_path / "drift.html"
    html.write(run, page, infos, HistoryView(streaks, {}))
    png = tmp_path / "drift.png"
    stderr = screenshot(page, png, tmp_path / "profile")
    assert png.stat().st_size > 10_000  # a blank page is a few kB
    assert png_size(png) == (1280, 2400)
    assert console_messages(stderr) == []
    text = page.read_text()
    # grouped by department, one tile per site, coloured by status, drift diffs per site
    assert [
        d
        for d in (
            "Department 18",
            "Department 28",
            "Department 36",
            "Department 37",
            "Department 41",
            "Department 45",
        )
        if d in text
    ] == [
        "Department 18",
        "Department 28",
        "Department 36",
        "Department 37",
        "Department 41",
        "Department 45",
    ]
    assert text.count('class="tile s-') == len(run.sites)
    assert 'class="tile s-drift" href="#site-0180120H"' in text
    assert "SystemMaxUse=9G" in text and "drifting since 2026-11-20" in text
    keep = Path(__file__).resolve().parents[2] / ".fleet" / "report-screenshot.png"
    keep.parent.mkdir(exist_ok=True)
    shutil.copyfile(png, keep)  # for a person to look at


def test_console_check_catches_a_script_error(chromium, tmp_path):
    """The check above can fail: a page with a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); nosuch();</script>")
    messages = console_messages(screenshot(page, tmp_path / "b.png", tmp_path / "profile"))
    assert any("boom" in m for m in messages) and any("nosuch" in m for m in messages)
