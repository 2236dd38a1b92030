"""`fleet deploy`, `fleet plan`, `fleet drift`: run the site playbooks through ansible-runner."""

from __future__ import annotations

import functools
import shlex
import signal
import sys
import threading
from pathlib import Path

import click

from fleet.cli.context import emit, log, print_table, settings, use_color
from fleet.errors import BadInput


class ComponentChoice(click.Choice):
    """The component table's names, read when the command runs (never copied at import)."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self):  # type: ignore[override]
        from fleet import components

        return components.names()

    @choices.setter
    def choices(self, value) -> None:
        pass


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.strip() for v in values for p in v.split(",") if p.strip())


def _extra_vars(values: tuple[str, ...]) -> dict:
    found = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"-e/--extra-var {item!r}: expected KEY=VALUE")
        found[key.strip()] = value
    return found


def common_options(func):
    """Options deploy, plan and drift share."""
    options = [
        click.argument("sites", nargs=-1, metavar="[SITE]..."),
        click.option("--all", "all_sites", is_flag=True, help="Every site not decommissioned."),
        click.option(
            "--changed-since",
            metavar="REF",
            help="Sites affected by git changes since REF (a commit, tag, branch).",
        ),
        click.option(
            "--component",
            type=ComponentChoice(),
            help="Run only this component's playbook (playbooks/<component>.yml); "
            "`fleet components` lists them.",
        ),
        click.option(
            "--playbook",
            metavar="PATH",
            help="Run this playbook (relative to the project) instead of the site's "
            "or the component's.",
        ),
        click.option("--limit", metavar="HOSTS", help="Restrict to these hosts (Ansible pattern)."),
        click.option("--tags", multiple=True, metavar="T[,T]", help="Only tasks with these tags."),
        click.option("--skip-tags", multiple=True, metavar="T[,T]", help="Skip these tags."),
        click.option(
            "-e",
            "--extra-var",
            "extra_vars",
            multiple=True,
            metavar="KEY=VALUE",
            help="An extra variable (not for secrets: use vault files).",
        ),
        click.option(
            "--accelerate",
            is_flag=True,
            help="Run tasks with the mitogen strategy (opt-in, much faster on SSH hosts; "
            "limits in docs/runner.md). Needs `pip install 'fleet[accelerate]'`.",
        ),
        click.option(
            "--parallel",
            type=click.IntRange(min=1),
            default=None,
            help="Sites run at once [default: number of cores].",
        ),
        click.option(
            "--vault-password-file",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="FLEET_VAULT_PASSWORD_FILE",
            help="Vault password file (env FLEET_VAULT_PASSWORD_FILE).",
        ),
        click.option(
            "--report",
            "html_report",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write an HTML report here.",
        ),
        click.option(
            "--junit",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write JUnit XML here (a testcase per site x component).",
        ),
        click.option(
            "--metrics",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write a Prometheus textfile here.",
        ),
        click.option(
            "--json-report",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the JSON report (docs/report-schema.md) here.",
        ),
        click.option(
            "--state-db",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="FLEET_STATE_DB",
            help="Run history database (env FLEET_STATE_DB) [default: .fleet/state.db].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _command_line() -> str:
    return shlex.join(["fleet", *sys.argv[1:]])[:300]


def run_command(command: str, opts: dict) -> int:
    from fleet.deploy import Request, Target, converge, select_sites
    from fleet.registry import load_registry
    from fleet.report import ReportTargets
    from fleet.report.json_report import build as json_document
    from fleet.runner.spec import RunSpec

    cfg = settings()
    request = Request(
        spec=RunSpec.build(
            command,
            component=opts["component"],
            playbook=opts["playbook"],
            check=opts.get("check", False),
            diff=opts.get("diff", False),
            limit=opts["limit"],
            tags=_split(opts["tags"]),
            skip_tags=_split(opts["skip_tags"]),
            extra_vars=_extra_vars(opts["extra_vars"]),
            allow_destroy=opts.get("allow_destroy", False),
            accelerate=opts["accelerate"],
        ),
        target=Target(
            list(opts["sites"]),
            opts["all_sites"],
            opts["changed_since"],
            include_onboarding=command != "drift" or opts.get("include_onboarding", False),
            refuse_decommissioned=command == "deploy",
        ),
        parallel=opts["parallel"],
        rings=opts.get("rings"),
        max_fail_percent=opts.get("max_fail_percent") or 0.0,
        vault_password_file=opts["vault_password_file"],
        state_db=opts["state_db"],
        reports=ReportTargets(
            html=opts["html_report"],
            junit=opts["junit"],
            metrics=opts["metrics"],
            json=opts["json_report"],
        ),
        command_line=_command_line(),
    )
    registry = load_registry(cfg.registry_path)
    selection = select_sites(registry, request.target, cfg.paths.root)
    if selection.note:
        log(selection.note)
    if not selection.sites:
        emit(
            {"command": command, "sites": [], "note": selection.note, "exit_code": 0},
            lambda: click.echo("Nothing to do."),
        )
        return 0
    if (
        command == "deploy"
        and len(selection.sites) > 1
        and not opts.get("yes")
        and sys.stdin.isatty()
        and sys.stdout.isatty()
    ):
        shown = ", ".join(selection.sites[:10]) + (" …" if len(selection.sites) > 10 else "")
        verb = "check" if request.spec.mode == "check" else "deploy to"
        click.confirm(f"{verb} {len(selection.sites)} sites ({shown})?", abort=True, err=True)

    from fleet.cli.progress import LiveProgress, PlainProgress

    live = use_color() and sys.stderr.isatty() and not cfg.json
    progress = LiveProgress(selection.sites) if live else PlainProgress(cfg.verbose)
    cancel = threading.Event()

    def interrupted(signum, frame):
        if not cancel.is_set():
            log("interrupt: cancelling every site run (partial results are kept)")
        cancel.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    previous_term = signal.signal(signal.SIGTERM, interrupted)
    try:
        with progress:
            done = converge(cfg.paths, registry, request, selection.sites, cancel, progress)
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
    for kind, path in done.written:
        log(f"{kind}: {path}")
    emit(
        json_document(done.run, done.history),
        functools.partial(render_text, done.run, done.history.streaks),
    )
    return done.run.exit_code


def render_text(run, streaks) -> None:
    from rich.console import Console

    from fleet.report.diff import diffs_text

    console = Console(no_color=not use_color(), highlight=False, soft_wrap=True)
    columns = ("site", "status", "ok", "changed", "failed", "unreachable", "time", "note")
    rows = []
    for result in run.sites:
        t = result.totals()
        note = result.message.splitlines()[0] if result.message else ""
        if not note and result.failures:
            note = f"{result.failures[0].task}: {result.failures[0].message.splitlines()[0]}"
        if result.site in streaks:
            note = (note + " " if note else "") + f"drifting since {streaks[result.site].since}"
        rows.append(
            (
                result.site,
                result.status,
                str(t.ok),
                str(t.changed),
                str(t.failed),
                str(t.unreachable),
                f"{result.duration:.1f}s",
                note[:120],
            )
        )
    print_table(columns, rows, f"fleet {run.command} {run.run_id}", plain_title=True)
    render_components(run)
    render_summaries(run)
    for result in run.sites:
        if run.mode == "check" and result.changed:
            console.print(f"\n{result.site}: {len(result.changed)} change(s) pending", markup=False)
            for item in result.changed:
                console.print(
                    f"  ~ {item.host} [{item.component}] {item.task} ({item.action})", markup=False
                )
                text = diffs_text(item.diff)
                for line in text.splitlines():
                    console.print(f"      {line}", markup=False)
        for failure in result.failures:
            kind = "unreachable" if failure.unreachable else "failed"
            console.print(
                f"{result.site}: {kind}: {failure.host}: {failure.task}: {failure.message}",
                markup=False,
            )
    if run.stopped:
        console.print(f"\n{run.stopped}", markup=False)
    if run.interrupted:
        console.print("\ninterrupted: partial results kept in history", markup=False)
    counts: dict[str, int] = {}
    for result in run.sites:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    console.print(
        f"\n{len(run.sites)} site(s): {summary}. Exit code {run.exit_code}.", markup=False
    )


def render_summaries(run) -> None:
    """The run-wide views components add (fleet.report.summaries)."""
    from fleet.report.summaries import component_summaries

    for summary in component_summaries(run).values():
        click.echo("")
        rows = [tuple(str(cell) for cell in row) for row in summary["rows"]]
        print_table(tuple(summary["columns"]), rows, summary["title"], plain_title=True)
        if summary.get("note"):
            click.echo(summary["note"])


def render_components(run) -> None:
    """Every component of every site with its outcome: a site × component table."""
    names = [o.component for o in run.sites[0].outcomes] if run.sites else []
    if not names:
        return
    rows = []
    for result in run.sites:
        by_name = {o.component: o.label for o in result.outcomes}
        rows.append((result.site, *(by_name.get(n, "-") for n in names)))
    click.echo("")
    print_table(("site", *names), rows, "components", plain_title=True)


@click.command(
    epilog="""\b
Examples:
  fleet deploy 0450050K
  fleet deploy 0450050K --component samba_ad --limit dc1.0450050k.lycees.example
  fleet deploy --changed-since origin/main --yes --output json
  fleet deploy --all --rings pilot,20%,100% --max-fail-percent 10 --yes
  fleet deploy 0450050K --component samba_ad -e samba_ad_dc_users_csv=export.csv --allow-destroy
\b
Exit codes: 0 ok, 1 a run failed, 3 bad input, 4 a site is locked, 130 interrupted
(with --check: 2 when changes are pending).
"""
)
@common_options
@click.option("--check", is_flag=True, help="Check mode: report what would change, change nothing.")
@click.option("--diff", is_flag=True, help="Show diffs of what changes.")
@click.option(
    "--rings",
    metavar="R[,R]",
    help="Roll out in rings: pilot, a percentage (20%) or a count; e.g. pilot,20%,100%.",
)
@click.option(
    "--max-fail-percent",
    type=click.FloatRange(min=0, max=100),
    default=0,
    show_default=True,
    help="Stop the rollout after a ring failing on more sites.",
)
@click.option(
    "--allow-destroy",
    is_flag=True,
    help="Let roles delete what they manage (e.g. AD users who left: otherwise disabled).",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask before deploying several sites.")
@click.pass_context
def deploy(ctx: click.Context, **opts) -> None:
    """Converge sites: run their playbooks (all components, or --component)."""
    ctx.exit(run_command("deploy", opts))


@click.command(
    epilog="""\b
Examples:
  fleet plan 0450050K
  fleet plan --changed-since origin/main --output json
\b
Exit codes: 0 nothing to change, 2 changes pending, 1 a run failed, 3 bad input, 4 locked.
"""
)
@common_options
@click.pass_context
def plan(ctx: click.Context, **opts) -> None:
    """Show what deploy would change (check + diff mode), per site and object."""
    ctx.exit(run_command("plan", opts))


@click.command(
    epilog="""\b
Examples:
  fleet drift --all --report drift.html --junit drift.xml --metrics /var/lib/node_exporter/fleet.prom
  fleet drift 0450050K 0180050A --output json
\b
Read-only. Exit codes: 0 no drift, 2 drift found, 1 a run failed, 3 bad input, 4 locked.
"""
)
@common_options
@click.option(
    "--include-onboarding",
    is_flag=True,
    help="With --all: check sites still in onboarding too (left out by default).",
)
@click.pass_context
def drift(ctx: click.Context, **opts) -> None:
    """Find drift: what deploy would change now (read-only), with history of since when."""
    ctx.exit(run_command("drift", opts))
