"""Live progress of a fleet run: a rich table on a TTY, plain lines otherwise (stderr)."""

from __future__ import annotations

import threading
import time

import click

from fleet.runner.events import EventParser
from fleet.runner.observer import RunObserver
from fleet.runner.result import FleetRun, RunResult


def outcome_line(result: RunResult) -> str:
    t = result.totals()
    line = (
        f"{result.site}: {result.status} (ok={t.ok} changed={t.changed} failed={t.failed} "
        f"unreachable={t.unreachable}) {result.duration:.1f}s"
    )
    if result.message and result.status != "ok":
        line += f" — {result.message.splitlines()[0]}"
    return line


class PlainProgress(RunObserver):
    """One line per site start and finish, to stderr (CI logs, NO_COLOR, --output json)."""

    def __init__(self, verbose: int = 0):
        self.verbose = verbose
        self.lock = threading.Lock()
        self.last_task: dict[str, str] = {}

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def site_started(self, site: str) -> None:
        with self.lock:
            click.echo(f"{site}: started", err=True)

    def event(self, site: str, parser: EventParser, event: dict) -> None:
        if self.verbose and parser.current_task != self.last_task.get(site):
            with self.lock:
                self.last_task[site] = parser.current_task
                click.echo(f"{site}: task {parser.current_task}", err=True)

    def site_finished(self, run: FleetRun, result: RunResult) -> None:
        with self.lock:
            click.echo(outcome_line(result), err=True)


class LiveProgress(RunObserver):
    """A rich table refreshed a few times a second: per site task, hosts, changed, failed."""

    def __init__(self, sites: list[str]):
        self.rows: dict[str, dict] = {
            s: {"state": "waiting", "task": "", "hosts": "", "changed": 0, "failed": 0}
            for s in sites
        }
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.live = None

    def render(self):
        from rich.table import Table

        elapsed = time.monotonic() - self.started
        table = Table(title=f"fleet run ({elapsed:.0f}s)", expand=False)
        for column in ("site", "state", "current task", "hosts done", "changed", "failed"):
            table.add_column(column)
        colours = {"ok": "green", "changed": "cyan", "drift": "yellow", "running": "blue"}
        with self.lock:
            for site, row in self.rows.items():
                colour = colours.get(row["state"], "red" if row["failed"] else "white")
                if row["state"] in ("failed", "unreachable", "error"):
                    colour = "red"
                table.add_row(
                    site,
                    f"[{colour}]{row['state']}[/]",
                    row["task"][:50],
                    row["hosts"],
                    str(row["changed"]),
                    str(row["failed"]),
                )
        return table

    def __enter__(self) -> LiveProgress:
        from rich.console import Console
        from rich.live import Live

        self.live = Live(
            get_renderable=self.render,
            console=Console(stderr=True),
            refresh_per_second=4,
            transient=False,
        )
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)

    def site_started(self, site: str) -> None:
        with self.lock:
            self.rows[site]["state"] = "running"

    def event(self, site: str, parser: EventParser, event: dict) -> None:
        with self.lock:
            row = self.rows[site]
            row["task"] = parser.current_task
            seen = max(len(parser.hosts), len(parser.task_hosts))
            row["hosts"] = f"{len(parser.task_hosts)}/{seen}" if seen else ""
            row["changed"] = sum(c.changed for c in parser.hosts.values())
            row["failed"] = sum(c.failed + c.unreachable for c in parser.hosts.values())

    def site_finished(self, run: FleetRun, result: RunResult) -> None:
        t = result.totals()
        with self.lock:
            self.rows[result.site].update(
                state=result.status, task="", changed=t.changed, failed=t.failed + t.unreachable
            )
