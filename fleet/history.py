"""Run history in SQLite (`.fleet/state.db`): runs, site results, drift items.

One connection per operation (threads of a parallel run write concurrently); WAL mode and a
busy timeout make concurrent writers from several fleet processes safe. The schema is
versioned: `MIGRATIONS[i]` upgrades version i to i+1, applied in order on open.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fleet.errors import BadInput
from fleet.runner.artifacts import partial_result
from fleet.runner.execute import now_iso
from fleet.runner.observer import RunObserver
from fleet.runner.owner import Owner
from fleet.runner.result import (
    CHANGED,
    DRIFT,
    KILLED,
    OK,
    FleetRun,
    RunResult,
)

MIGRATIONS: list[str] = [
    # 0 → 1: the first schema
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        mode TEXT NOT NULL,
        playbook TEXT NOT NULL DEFAULT '',
        component TEXT,
        user TEXT NOT NULL DEFAULT '',
        started TEXT NOT NULL,
        finished TEXT,
        status TEXT NOT NULL,
        exit_code INTEGER,
        stopped TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE site_results (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        site TEXT NOT NULL,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        started TEXT NOT NULL DEFAULT '',
        finished TEXT NOT NULL DEFAULT '',
        duration REAL NOT NULL DEFAULT 0,
        ok INTEGER NOT NULL DEFAULT 0,
        changed INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        unreachable INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        result_json TEXT NOT NULL,
        PRIMARY KEY (run_id, site)
    );
    CREATE TABLE drift_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        site TEXT NOT NULL,
        host TEXT NOT NULL,
        component TEXT NOT NULL,
        task TEXT NOT NULL,
        action TEXT NOT NULL,
        diff_json TEXT NOT NULL
    );
    """,
    # 1 → 2: `fleet runs list --site` and drift streaks look up a site's results by time.
    """
    CREATE INDEX site_results_by_site ON site_results (site, started);
    CREATE INDEX drift_items_by_run_site ON drift_items (run_id, site);
    """,
    # 2 → 3: the fleet process that owns a run, so a run whose owner died can be told apart
    # from one still going (fleet.runner.owner).
    """
    ALTER TABLE runs ADD COLUMN owner_host TEXT;
    ALTER TABLE runs ADD COLUMN owner_boot TEXT;
    ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
    ALTER TABLE runs ADD COLUMN owner_start INTEGER;
    """,
    # 3 → 4: the versions each site's hosts showed last (module fleet_version), for
    # `fleet versions`: one row per site, host and product, the latest sighting wins.
    """
    CREATE TABLE site_versions (
        site TEXT NOT NULL,
        host TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        component TEXT NOT NULL DEFAULT '',
        run_id TEXT NOT NULL,
        seen TEXT NOT NULL,
        PRIMARY KEY (site, host, name)
    );
    """,
    # 4 → 5: onboarding checkpoints (fleet.onboard): one row per stage attempt of a site's
    # onboarding — which stage, the run that did it (its deploy run, if any), when, who.
    """
    CREATE TABLE onboard_stages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        site TEXT NOT NULL,
        stage TEXT NOT NULL,
        onboard_id TEXT NOT NULL,
        run_id TEXT,
        status TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        user TEXT NOT NULL DEFAULT '',
        owner_host TEXT,
        owner_boot TEXT,
        owner_pid INTEGER,
        owner_start INTEGER,
        message TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX onboard_stages_by_site ON onboard_stages (site, stage, id);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class DriftChange:
    """One site's drift items against its previous completed check run: the morning view."""

    site: str
    previous_run: str | None  # None: no earlier check of this site (everything is new)
    new: list[dict]
    resolved: list[dict]
    still: list[dict]

    def to_dict(self) -> dict:
        return {
            "previous_run": self.previous_run,
            "new": self.new,
            "resolved": self.resolved,
            "still": self.still,
        }


@dataclass
class HistoryView:
    """What the history says about a run's sites, for the reports: since when each drifts,
    and what changed since its previous check (new, resolved, still drifting)."""

    streaks: dict[str, Streak]
    changes: dict[str, DriftChange]


@dataclass
class Streak:
    site: str
    since: str  # started time of the first run of the current drifting streak
    run_id: str
    runs: int  # drifting runs in the streak


class History:
    def __init__(self, path: Path, runs_dir: Path | None = None):
        """Open (and migrate) the history; runs left `running` by a fleet process that no
        longer exists are marked `killed` at once (`runs_dir`: where their artifacts are)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()
        self.repair_killed(runs_dir)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            with conn:  # one transaction
                yield conn
        finally:
            conn.close()

    def version(self) -> int:
        with self.connect() as conn:
            return self._version(conn)

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            return 0
        return int(row[0])

    def _migrate(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise BadInput(f"cannot open history {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")  # persistent: set once per file
            conn.execute("BEGIN IMMEDIATE")  # one migrator at a time
            current = self._version(conn)
            if current > SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                raise BadInput(
                    f"{self.path} has history schema version {current}, newer than this "
                    f"fleet understands ({SCHEMA_VERSION}): upgrade fleet"
                )
            for number in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = ?", (number + 1,))
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"history {self.path} is not a usable SQLite file: {exc}") from exc
        finally:
            conn.close()

    # -- writing ------------------------------------------------------------------------

    def start_run(self, run: FleetRun) -> None:
        owner = Owner.current()
        with self.connect() as conn:
            conn.execute(
                "INSERT INTO runs (id, command, mode, playbook, component, user, started, status,"
                " owner_host, owner_boot, owner_pid, owner_start)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.command,
                    run.mode,
                    run.playbook,
                    run.component,
                    run.user,
                    run.started,
                    owner.host,
                    owner.boot,
                    owner.pid,
                    owner.start,
                ),
            )

    def record_site(self, run_id: str, result: RunResult) -> None:
        """Store one site's result as soon as it is known (a Ctrl-C keeps what finished)."""
        totals = result.totals()
        data = result.to_dict()
        with self.connect() as conn:
            conn.execute(
                "DELETE FROM drift_items WHERE run_id = ? AND site = ?", (run_id, result.site)
            )
            conn.execute(
                "INSERT OR REPLACE INTO site_results (run_id, site, mode, status, started,"
                " finished, duration, ok, changed, failed, unreachable, skipped, message,"
                " result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    result.site,
                    result.mode,
                    result.status,
                    result.started,
                    result.finished,
                    result.duration,
                    totals.ok,
                    totals.changed,
                    totals.failed,
                    totals.unreachable,
                    totals.skipped,
                    result.message,
                    json.dumps(data),
                ),
            )
            conn.executemany(
                "INSERT INTO drift_items (run_id, site, host, component, task, action,"
                " diff_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (run_id, result.site, c.host, c.component, c.task, c.action, json.dumps(c.diff))
                    for c in result.changed
                ],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO site_versions (site, host, name, version, component,"
                " run_id, seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        result.site,
                        v["host"],
                        v["name"],
                        v["version"],
                        v.get("component", ""),
                        run_id,
                        result.finished or result.started,
                    )
                    for v in result.versions
                ],
            )

    def finish_run(self, run: FleetRun) -> None:
        with self.connect() as conn:
            conn.execute(
                "UPDATE runs SET finished = ?, status = ?, exit_code = ?, stopped = ? WHERE id = ?",
                (run.finished, run.status, run.exit_code, run.stopped, run.run_id),
            )

    # -- reading ------------------------------------------------------------------------

    def list_runs(self, site: str | None = None, limit: int = 20) -> list[dict]:
        query = (
            "SELECT r.*, COUNT(s.site) AS site_count,"
            " SUM(s.status IN ('failed', 'unreachable', 'error', 'killed')) AS failed_sites,"
            " SUM(s.status IN ('drift', 'changed')) AS changed_sites"
            " FROM runs r LEFT JOIN site_results s ON s.run_id = r.id"
        )
        args: list = []
        if site:
            query += " WHERE r.id IN (SELECT run_id FROM site_results WHERE site = ?)"
            args.append(site)
        query += " GROUP BY r.id ORDER BY r.started DESC, r.id DESC LIMIT ?"
        args.append(limit)
        with self.connect() as conn:
            return [dict(row) for row in conn.execute(query, args)]

    def get_run(self, run_id: str) -> FleetRun | None:
        with self.connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            sites = conn.execute(
                "SELECT result_json FROM site_results WHERE run_id = ? ORDER BY site", (run_id,)
            ).fetchall()
        run = FleetRun(
            run_id=row["id"],
            command=row["command"],
            mode=row["mode"],
            playbook=row["playbook"],
            component=row["component"],
            started=row["started"],
            finished=row["finished"] or "",
            user=row["user"],
            stopped=row["stopped"],
            interrupted=row["status"] in ("interrupted", "running"),
            killed=row["status"] == KILLED,
        )
        run.sites = [RunResult.from_dict(json.loads(s["result_json"])) for s in sites]
        return run

    def run_status(self, run_id: str) -> str | None:
        with self.connect() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else row[0]

    def repair_killed(self, runs_dir: Path | None = None) -> list[str]:
        """Mark `killed` every run still `running` whose fleet process is gone (SIGKILL, OOM,
        a crash): the sites it finished keep their results; a site cut short gets a `killed`
        result rebuilt from its artifacts (what ran, the last task) when `runs_dir` has them.
        Runs of processes on another host, or from before owners were recorded, are left."""
        with self.connect() as conn:
            rows = conn.execute("SELECT * FROM runs WHERE status = 'running'").fetchall()
        repaired = []
        for row in rows:
            if row["owner_pid"] is None:
                continue
            owner = Owner(
                row["owner_host"], row["owner_boot"], row["owner_pid"], row["owner_start"]
            )
            if owner.alive() is not False:
                continue
            repaired.append(self._mark_killed(row, owner, runs_dir))
        return repaired

    def _mark_killed(self, row: sqlite3.Row, owner: Owner, runs_dir: Path | None) -> str:
        run_id = row["id"]
        with self.connect() as conn:
            done = {
                r[0]
                for r in conn.execute("SELECT site FROM site_results WHERE run_id = ?", (run_id,))
            }
        cut: list[RunResult] = []
        run_dir = Path(runs_dir) / run_id if runs_dir else None
        if run_dir is not None and run_dir.is_dir():
            for site_dir in sorted(p for p in run_dir.iterdir() if p.is_dir()):
                if site_dir.name not in done:
                    cut.append(partial_result(site_dir, site_dir.name, row["mode"], owner.pid))
        for result in cut:
            self.record_site(run_id, result)
        last = next((r.message for r in reversed(cut) if r.message), "")
        stopped = (
            f"the fleet process (pid {owner.pid} on {owner.host}) died before the run ended: "
            f"{len(done)} site(s) had finished, {len(cut)} cut short"
        )
        with self.connect() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, finished = COALESCE(finished, ?), stopped = ?,"
                " exit_code = NULL WHERE id = ? AND status = 'running'",
                (KILLED, now_iso(), stopped + (f"; {last}" if last else ""), run_id),
            )
        return run_id

    def drift_streak(self, site: str) -> Streak | None:
        """Since when `site` drifts: the first run of its current unbroken drifting streak.

        A check run that found drift extends the streak; a clean check run or a successful
        deploy (the site converged) ends it; failed, cancelled, locked or killed runs say
        nothing (a killed drift never counts as "no drift").
        """
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT run_id, status, mode, started FROM site_results WHERE site = ?"
                " ORDER BY started DESC, run_id DESC",
                (site,),
            ).fetchall()
        first: sqlite3.Row | None = None
        count = 0
        for row in rows:
            status, mode = row["status"], row["mode"]
            if mode == "check" and status == DRIFT:
                first, count = row, count + 1
            elif status == OK or (mode == "apply" and status == CHANGED):
                break
        if first is None:
            return None
        return Streak(site=site, since=first["started"], run_id=first["run_id"], runs=count)

    def versions(self, sites: list[str] | None = None) -> list[dict]:
        """The latest version each site's hosts showed of each product."""
        query = "SELECT * FROM site_versions"
        args: list = []
        if sites is not None:
            query += f" WHERE site IN ({','.join('?' * len(sites))})"
            args = list(sites)
        with self.connect() as conn:
            rows = conn.execute(query + " ORDER BY site, name, host", args).fetchall()
        return [dict(row) for row in rows]

    def drift_changes(self, run: FleetRun) -> dict[str, DriftChange]:
        """For each site of a check run that completed (drift or in sync): its drift items
        against those of the site's previous completed check run — new, resolved, still
        drifting. An item is identified by host, component and task (the managed object)."""
        found = {}
        with self.connect() as conn:
            for result in run.sites:
                if run.mode != "check" or result.status not in (DRIFT, OK):
                    continue
                now = [(c.host, c.component, c.task) for c in result.changed]
                row = conn.execute(
                    "SELECT run_id FROM site_results WHERE site = ? AND mode = 'check'"
                    " AND status IN (?, ?) AND run_id != ? AND started < ?"
                    " ORDER BY started DESC, run_id DESC LIMIT 1",
                    (result.site, DRIFT, OK, run.run_id, result.started or run.started),
                ).fetchone()
                before: list[tuple] = []
                if row is not None:
                    before = [
                        tuple(r)
                        for r in conn.execute(
                            "SELECT host, component, task FROM drift_items"
                            " WHERE run_id = ? AND site = ?",
                            (row["run_id"], result.site),
                        )
                    ]

                def items(keys) -> list[dict]:
                    return [dict(zip(("host", "component", "task"), k, strict=True)) for k in keys]

                found[result.site] = DriftChange(
                    site=result.site,
                    previous_run=row["run_id"] if row is not None else None,
                    new=items(k for k in now if k not in before),
                    resolved=items(k for k in before if k not in now),
                    still=items(k for k in now if k in before),
                )
        return found

    def view(self, run: FleetRun) -> HistoryView:
        return HistoryView(
            streaks=self.drift_streaks([r.site for r in run.sites]),
            changes=self.drift_changes(run),
        )

    def drift_streaks(self, sites: list[str]) -> dict[str, Streak]:
        found = {}
        for site in sites:
            streak = self.drift_streak(site)
            if streak is not None:
                found[site] = streak
        return found


class HistoryRecorder(RunObserver):
    """Records a run as it happens: the run when it starts, each site as soon as it is done
    (a Ctrl-C keeps what finished), the outcome at the end."""

    def __init__(self, history: History):
        self.history = history

    def run_started(self, run: FleetRun) -> None:
        self.history.start_run(run)

    def site_finished(self, run: FleetRun, result: RunResult) -> None:
        self.history.record_site(run.run_id, result)

    def run_finished(self, run: FleetRun) -> None:
        self.history.finish_run(run)
