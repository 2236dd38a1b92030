"""The versions matrix: versions reported by roles (fleet_version results in the events) reach
the history, and `fleet versions` shows the matrix, the spread and what is out of range."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fleet.cli.main import main
from fleet.history import History
from fleet.runner.events import parse_events
from fleet.runner.result import FleetRun
from fleet.versions import build, in_range, version_key

REPO = Path(__file__).resolve().parents[2]


def ok_event(host: str, name: str, version: str, component: str) -> dict:
    res = {
        "changed": False,
        "fleet_version": {"name": name, "version": version, "component": component},
    }
    return {"event": "runner_on_ok", "event_data": {"host": host, "task": "Report", "res": res}}


@pytest.mark.parametrize(
    ("older", "newer"),
    [("12.8", "12.10"), ("4.17.12-Debian", "4.19.5"), ("26.1", "26.1.2_4"), ("9.0", "9.1-3")],
)
def test_versions_order_by_their_numbers(older, newer):
    assert version_key(older) < version_key(newer)


def test_ranges_are_min_inclusive_below_exclusive():
    assert in_range("12.0", "12", "13") and in_range("12.8", "12", "13")
    assert not in_range("11.9", "12", "13") and not in_range("13.1", "12", "13")
    assert in_range("4.19.5", "4.17", None) and in_range("anything", None, None)


def test_reported_versions_reach_the_history_and_the_matrix(tmp_path):
    events = [
        ok_event("pve1.a", "debian", "12.8", "base"),
        ok_event("dc1.a", "debian", "12.2", "base"),
        ok_event("dc1.a", "samba", "4.17.12-Debian", "samba_ad"),
    ]
    result = parse_events(events, "0450050K", "check")
    assert {(v["host"], v["name"], v["version"]) for v in result.versions} == {
        ("pve1.a", "debian", "12.8"),
        ("dc1.a", "debian", "12.2"),
        ("dc1.a", "samba", "4.17.12-Debian"),
    }
    history = History(tmp_path / "state.db")
    run = FleetRun(run_id="r1", command="drift", mode="check", started="2026-12-02T02:00:00Z")
    history.start_run(run)
    history.record_site("r1", result)
    later = parse_events([ok_event("dc1.b", "samba", "4.19.5", "samba_ad")], "0180120H", "check")
    history.record_site("r1", later)
    matrix = build(history.versions(), {"samba": ("4.18", None), "debian": ("12", "13")})
    assert matrix.names == ["debian", "samba"]
    assert matrix.sites["0450050K"]["debian"] == ["12.2", "12.8"]
    assert matrix.spread["samba"] == {"4.17.12-Debian": 1, "4.19.5": 1}
    assert [(o.site, o.host, o.name, o.supported) for o in matrix.outside] == [
        ("0450050K", "dc1.a", "samba", ">= 4.18")
    ]


def test_the_cli_prints_the_matrix_and_exits_2_when_a_site_is_out_of_range(
    tmp_path, monkeypatch, capsys
):
    registry = tmp_path / "registry"
    shutil.copytree(
        REPO / "inventories" / "lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    region = registry / "region.yml"
    region.write_text(region.read_text() + "\nsupported_versions:\n  samba: {min: '4.18'}\n")
    db = tmp_path / "state.db"
    history = History(db)
    history.start_run(FleetRun(run_id="r1", command="drift", mode="check", started="t"))
    history.record_site(
        "r1", parse_events([ok_event("dc1", "samba", "4.17.12", "samba_ad")], "0450050K")
    )
    monkeypatch.setenv("FLEET_STATE_DB", str(db))
    args = ["--registry", str(registry)]
    assert main([*args, "versions"]) == 2
    out = capsys.readouterr().out
    assert "0450050K" in out and "4.17.12" in out and "outside: 0450050K dc1: samba 4.17.12" in out
    assert main(["-o", "json", *args, "versions", "0180120H"]) == 0  # no version recorded there
    assert json.loads(capsys.readouterr().out)["sites"] == {}
    assert main([*args, "versions", "0999999Z"]) == 3
