"""`fleet runs list|show`: the run history (.fleet/state.db)."""

from __future__ import annotations

from pathlib import Path

import click

from fleet.cli.context import emit, settings
from fleet.errors import BadInput

DB_OPTION = click.option(
    "--state-db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FLEET_STATE_DB",
    help="Run history database (env FLEET_STATE_DB) [default: .fleet/state.db].",
)


def _history(state_db: Path | None):
    from fleet.history import History

    paths = settings().paths
    return History(state_db or paths.state_db, paths.runs)


@click.group(
    epilog="""\b
Examples:
  fleet runs list --site 0450050K --limit 5
  fleet runs show 20260510T020000Z-3fa9c1 --output json
"""
)
def runs() -> None:
    """Past deploy/plan/drift runs from the history."""


@runs.command(
    "list",
    epilog="""\b
Examples:
  fleet runs list
  fleet runs list --site 0450050K --limit 5 --output json
""",
)
@click.option("--site", metavar="UAI", help="Only runs that included this site.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@DB_OPTION
def list_runs(site: str | None, limit: int, state_db: Path | None) -> None:
    """List recent runs, newest first (with since when the site drifts, given --site)."""
    history = _history(state_db)
    site = site.upper() if site else None
    rows = history.list_runs(site=site, limit=limit)
    streak = history.drift_streak(site) if site else None
    data = {
        "runs": rows,
        "site": site,
        "drifting_since": streak.since if streak else None,
    }

    def text() -> None:
        if not rows:
            click.echo("No runs recorded yet.")
        for row in rows:
            click.echo(
                f"{row['id']}  {row['command']:<6} {row['status']:<11} "
                f"sites={row['site_count']} failed={row['failed_sites'] or 0} "
                f"changed={row['changed_sites'] or 0}  {row['started']}"
            )
        if site:
            if streak:
                click.echo(f"{site} drifting since {streak.since} ({streak.runs} run(s))")
            else:
                click.echo(f"{site} is not drifting (as of its last check)")

    emit(data, text)


@runs.command(
    "show",
    epilog="""\b
Examples:
  fleet runs show 20260510T020000Z-3fa9c1
  fleet runs show 20260510T020000Z-3fa9c1 --output json
""",
)
@click.argument("run_id")
@DB_OPTION
def show(run_id: str, state_db: Path | None) -> None:
    """One run: per site status, counts, changes with diffs, failures."""
    from fleet.report import json_report

    history = _history(state_db)
    run = history.get_run(run_id)
    if run is None:
        raise BadInput(f"no run {run_id!r} in {history.path} (see `fleet runs list`)")
    if history.run_status(run_id) == "running":
        run.interrupted = False  # still going: show what is known so far
    view = history.view(run)
    data = json_report.build(run, view)
    data["status"] = history.run_status(run_id)

    def text() -> None:
        from fleet.cli.deploy import render_text

        click.echo(
            f"run {run.run_id}: {run.command} ({run.mode}) by {run.user or '?'}, "
            f"{run.started} → {run.finished or '…'}, status {data['status']}"
        )
        render_text(run, view.streaks)

    emit(data, text)
