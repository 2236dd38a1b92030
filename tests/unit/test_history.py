"""Run history: recording, listing, drift streaks, migrations, concurrent writers."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fleet.errors import BadInput
from fleet.history import SCHEMA_VERSION, History
from fleet.runner.owner import Owner, boot_id, start_time
from fleet.runner.result import ChangedTask, FleetRun, RunResult


def record(history: History, run_id: str, started: str, mode: str, statuses: dict[str, str]):
    run = FleetRun(
        run_id=run_id,
        command="drift" if mode == "check" else "deploy",
        mode=mode,
        started=started,
        user="tester",
    )
    history.start_run(run)
    for site, status in statuses.items():
        result = RunResult(site=site, mode=mode, status=status, started=started, finished=started)
        if status in ("drift", "changed"):
            result.changed = [
                ChangedTask("h", "Write motd", "copy", "base", diff=[{"before": "a", "after": "b"}])
            ]
        history.record_site(run_id, result)
        run.sites.append(result)
    run.finished = started
    history.finish_run(run)
    return run


def test_runs_are_listed_newest_first_and_shown_in_full(tmp_path):
    history = History(tmp_path / "state.db")
    record(history, "r1", "2026-05-01T02:00:00+00:00", "check", {"A": "ok", "B": "drift"})
    record(history, "r2", "2026-05-02T02:00:00+00:00", "apply", {"A": "failed"})
    rows = history.list_runs()
    assert [r["id"] for r in rows] == ["r2", "r1"]
    assert rows[1]["site_count"] == 2 and rows[1]["changed_sites"] == 1
    assert rows[0]["failed_sites"] == 1 and rows[0]["status"] == "failed"
    assert [r["id"] for r in history.list_runs(site="B")] == ["r1"]
    assert [r["id"] for r in history.list_runs(limit=1)] == ["r2"]
    shown = history.get_run("r1")
    assert [s.site for s in shown.sites] == ["A", "B"]
    assert shown.sites[1].changed[0].diff == [{"before": "a", "after": "b"}]
    assert history.get_run("nope") is None
    with sqlite3.connect(tmp_path / "state.db") as conn:
        items = conn.execute("SELECT site, task FROM drift_items WHERE run_id='r1'").fetchall()
    assert items == [("B", "Write motd")]


def test_drift_streak_starts_at_the_first_run_of_the_unbroken_streak(tmp_path):
    history = History(tmp_path / "state.db")
    record(history, "d1", "2026-05-01T02:00:00+00:00", "check", {"A": "drift"})
    record(history, "d2", "2026-05-02T02:00:00+00:00", "apply", {"A": "changed"})  # repaired
    record(history, "d3", "2026-05-03T02:00:00+00:00", "check", {"A": "drift"})
    record(history, "d4", "2026-05-04T02:00:00+00:00", "check", {"A": "failed"})  # neutral
    record(history, "d5", "2026-05-05T02:00:00+00:00", "check", {"A": "drift", "B": "ok"})
    streak = history.drift_streak("A")
    assert streak.since == "2026-05-03T02:00:00+00:00"
    assert streak.run_id == "d3" and streak.runs == 2
    assert history.drift_streak("B") is None
    record(history, "d6", "2026-05-06T02:00:00+00:00", "check", {"A": "ok"})
    assert history.drift_streak("A") is None


def test_interrupted_run_keeps_finished_sites(tmp_path):
    history = History(tmp_path / "state.db")
    run = FleetRun(run_id="i1", command="deploy", mode="apply", started="2026-05-01T00:00:00")
    history.start_run(run)
    history.record_site("i1", RunResult(site="A", status="changed"))
    run.sites = [RunResult(site="A", status="changed"), RunResult(site="B", status="cancelled")]
    run.interrupted = True
    history.finish_run(run)
    assert history.run_status("i1") == "interrupted"
    assert [s.site for s in history.get_run("i1").sites] == ["A"]


def test_migrates_an_old_database_and_keeps_its_rows(tmp_path):
    path = tmp_path / "state.db"
    from fleet.history import MIGRATIONS

    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO runs (id, command, mode, started, status) VALUES"
        " ('old', 'deploy', 'apply', '2026-01-01', 'ok')"
    )
    conn.commit()
    conn.close()
    history = History(path)
    assert history.version() == SCHEMA_VERSION
    assert [r["id"] for r in history.list_runs()] == ["old"]
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert "site_results_by_site" in indexes
    assert mode == "wal"


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "state.db"
    History(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(BadInput, match="schema version 99, newer"):
        History(path)


def test_garbage_file_is_bad_input(tmp_path):
    path = tmp_path / "state.db"
    path.write_text("not sqlite at all" * 100)
    with pytest.raises(BadInput, match="state.db"):
        History(path)


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "state.db"
    History(path)
    errors = []

    def writer(n: int) -> None:
        try:
            history = History(path)  # each writer opens (and migrates) on its own
            record(
                history,
                f"w{n}",
                f"2026-05-01T00:00:{n:02d}",
                "check",
                {f"S{n}-{i}": "drift" for i in range(5)},
            )
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM site_results").fetchone()[0] == 40
        assert conn.execute("SELECT COUNT(*) FROM drift_items").fetchone()[0] == 40


# ---------------------------------------------------------- runs whose fleet process died

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def dead_owner() -> Owner:
    """The identity of a process that lived and is gone (its pid may be reused: start differs)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    start = start_time(child.pid)
    child.kill()
    child.wait()
    return Owner(socket.gethostname(), boot_id(), child.pid, start)


def started_by(history: History, run_id: str, owner: Owner, mode: str = "apply") -> FleetRun:
    run = FleetRun(run_id=run_id, command="deploy", mode=mode, started="2026-12-02T01:00:00+00:00")
    history.start_run(run)
    with history.connect() as conn:
        conn.execute(
            "UPDATE runs SET owner_host = ?, owner_boot = ?, owner_pid = ?, owner_start = ?"
            " WHERE id = ?",
            (owner.host, owner.boot, owner.pid, owner.start, run_id),
        )
    return run


def test_a_run_whose_fleet_process_died_is_marked_killed_with_what_is_known(tmp_path):
    db, runs = tmp_path / "state.db", tmp_path / "runs"
    history = History(db, runs)
    owner = dead_owner()
    started_by(history, "r-dead", owner)
    history.record_site("r-dead", RunResult(site="A", status="changed", finished="t1"))
    # site B was cut short: ansible-runner had written its events so far
    events = runs / "r-dead" / "B" / "artifacts" / "r-dead" / "job_events"
    events.mkdir(parents=True)
    for line in (EVENTS / "converge_first.jsonl").read_text().splitlines()[:6]:
        event = json.loads(line)
        (events / f"{event['counter']}-{event.get('uuid', 'x')}.json").write_text(line)
    started_by(history, "r-live", Owner.current())
    other = Owner("another-host.example", "x", 1, 1)
    started_by(history, "r-elsewhere", other)

    reopened = History(db, runs)  # the next fleet command that looks at the history
    statuses = {r["id"]: r["status"] for r in reopened.list_runs()}
    assert statuses == {"r-dead": "killed", "r-live": "running", "r-elsewhere": "running"}
    run = reopened.get_run("r-dead")
    assert run.killed and run.status == "killed" and run.exit_code == 137
    assert (
        f"pid {owner.pid}" in run.stopped and "1 site(s) had finished, 1 cut short" in run.stopped
    )
    sites = {s.site: s for s in run.sites}
    assert sites["A"].status == "changed"  # what finished keeps its result
    assert sites["B"].status == "killed" and "last task: Write the motd file" in sites["B"].message
    assert reopened.list_runs(site="B")[0]["failed_sites"] == 1


def test_a_killed_drift_never_counts_as_no_drift(tmp_path):
    db = tmp_path / "state.db"
    history = History(db, tmp_path / "runs")
    record(history, "d1", "2026-05-01T02:00:00+00:00", "check", {"A": "drift"})
    started_by(history, "d2", dead_owner(), mode="check")
    history.record_site(
        "d2", RunResult(site="A", mode="check", status="killed", started="2026-05-02")
    )
    History(db, tmp_path / "runs")
    streak = history.drift_streak("A")
    assert streak is not None and streak.run_id == "d1" and streak.runs == 1


def test_drift_changes_compare_each_site_with_its_previous_completed_check(tmp_path):
    history = History(tmp_path / "state.db")

    def check(run_id: str, started: str, items: dict[str, list[str]], statuses=None):
        run = FleetRun(run_id=run_id, command="drift", mode="check", started=started)
        history.start_run(run)
        for site, tasks in items.items():
            status = (statuses or {}).get(site) or ("drift" if tasks else "ok")
            result = RunResult(site=site, mode="check", status=status, started=started)
            result.changed = [ChangedTask("h", t, "copy", "base") for t in tasks]
            history.record_site(run_id, result)
            run.sites.append(result)
        return run

    check("n1", "2026-05-01T02:00:00+00:00", {"A": ["motd", "ntp"], "B": []})
    check("n2", "2026-05-02T02:00:00+00:00", {"A": [], "B": []}, {"A": "unreachable"})
    run = check("n3", "2026-05-03T02:00:00+00:00", {"A": ["ntp", "sshd"], "B": ["ntp"], "C": []})
    changes = history.drift_changes(run)
    # A's previous completed check is n1 (n2 was unreachable: it says nothing)
    assert changes["A"].previous_run == "n1"
    assert [d["task"] for d in changes["A"].new] == ["sshd"]
    assert [d["task"] for d in changes["A"].resolved] == ["motd"]
    assert [d["task"] for d in changes["A"].still] == ["ntp"]
    assert changes["B"].previous_run == "n2" and [d["task"] for d in changes["B"].new] == ["ntp"]
    assert changes["C"].previous_run is None and changes["C"].new == []
    deploy = FleetRun(run_id="d", command="deploy", mode="apply", started="2026-05-04")
    assert history.drift_changes(deploy) == {}
