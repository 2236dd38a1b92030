"""`fleet onboard SITE`: stage by stage from bare hardware to a verified, active site."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from pathlib import Path

import click

from fleet.cli.context import emit, log, print_table, settings, use_color
from fleet.onboard.run import OnboardObserver

MARKS = {"done": "ok", "done_earlier": "ok (earlier)", "failed": "FAILED",
         "interrupted": "interrupted", "locked": "locked", "pending": "pending",
         "no_hosts": "no hosts", "not_reached": "not reached", "killed": "killed",
         "todo": "to do", "running": "running"}  # fmt: skip


def stage_line(result, index: int, total: int) -> str:
    """The one summary line of a stage."""
    mark = MARKS.get(result.status, result.status)
    took = f" in {result.seconds:.1f}s" if result.seconds else ""
    note = result.message.splitlines()[0] if result.message else ""
    if result.status == "done_earlier" and result.finished:
        note = f"finished {result.finished}"
    return f"[{index + 1}/{total}] {result.stage:<10} {mark}{took}" + (f": {note}" if note else "")


class StageProgress(OnboardObserver):
    """Per stage: a start line, the current task live on a terminal (plain: with -v), and one
    summary line at the end. All on stderr."""

    def __init__(self, live: bool, verbose: int = 0):
        self.live, self.verbose = live, verbose
        self.status = None
        self.stage = ""
        self.lock = threading.Lock()
        self.last_task = ""

    def stage_started(self, stage, index: int, total: int) -> None:
        self.stage = stage.name
        if self.live:
            from rich.console import Console

            self.status = Console(stderr=True).status(
                f"[{index + 1}/{total}] {stage.name}: {stage.title}"
            )
            self.status.start()
        else:
            log(f"[{index + 1}/{total}] {stage.name}: {stage.title} …")

    def event(self, site, parser, event) -> None:
        task = parser.current_task
        if not task or task == self.last_task:
            return
        with self.lock:
            self.last_task = task
            if self.status is not None:
                self.status.update(f"{self.stage}: {task}")
            elif self.verbose:
                log(f"  {self.stage}: task {task}")

    def stage_finished(self, result, index: int, total: int) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None
        log(stage_line(result, index, total))


def render(done) -> None:
    for line in (done.next,) if done.next else ():
        click.echo(f"next: {line}")
    if done.state_change is not None:
        click.echo(f"site {done.site} is now {done.state} — the change for the merge request:")
        click.echo(str(done.state_change))
    else:
        click.echo(f"site {done.site}: state {done.state}")
    if done.verification and done.verification.get("reports"):
        click.echo(f"handover report: {done.verification['reports'].get('html')}")
    click.echo(f"exit code {done.exit_code}")


@click.command(
    epilog="""\b
Examples:
  fleet onboard 0450062Y
  fleet onboard 0450062Y --status
  fleet onboard 0450062Y --from-stage directory --to-stage base
  fleet onboard 0450062Y --yes --output json
\b
Stages: preflight, then each component's (network, hypervisor, guests, base, directory,
software, switches), then verify. A stage whose component is not implemented is pending.
Exit codes: 0 done, 1 a stage failed, 3 bad input, 4 locked, 130 interrupted (rerun resumes).
"""
)
@click.argument("site_uai", metavar="SITE")
@click.option("--from-stage", metavar="STAGE", help="Start here (rerun it and what follows).")
@click.option("--to-stage", metavar="STAGE", help="Stop after this stage.")
@click.option("--status", "show_status", is_flag=True, help="Show every stage and stop.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before starting.")
@click.option(
    "--vault-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FLEET_VAULT_PASSWORD_FILE",
    help="Vault password file (env FLEET_VAULT_PASSWORD_FILE).",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Handover report (HTML, JSON beside it) [default: .fleet/reports/handover-SITE-TIME.html].",
)
@click.option(
    "--state-db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FLEET_STATE_DB",
    help="Run history database (env FLEET_STATE_DB) [default: .fleet/state.db].",
)
@click.pass_context
def onboard(ctx, site_uai, from_stage, to_stage, show_status, yes, vault_password_file, report,
            state_db) -> None:  # fmt: skip
    """Onboard a site stage by stage; resumes at the first unfinished stage."""
    from fleet.onboard.run import OnboardRequest, onboard, status
    from fleet.registry import load_registry

    cfg = settings()
    uai = site_uai.strip().upper()
    registry = load_registry(cfg.registry_path)
    if show_status:
        rows = status(cfg.paths, registry, uai, state_db)

        def text() -> None:
            table = []
            for r in rows:
                cp = r["checkpoint"] or {}
                when = cp.get("finished") or cp.get("started") or ""
                note = r["reason"] or cp.get("message", "")
                table.append((r["stage"], r["component"] or "-", MARKS.get(r["state"], r["state"]),
                              when, note.splitlines()[0][:90] if note else ""))  # fmt: skip
            print_table(("stage", "component", "state", "when", "note"), table,
                        f"onboarding of {uai}", plain_title=True)  # fmt: skip

        emit({"site": uai, "state": registry.site(uai).state.value, "stages": rows}, text)
        ctx.exit(0)
    if not yes and sys.stdin.isatty() and sys.stdout.isatty() and not cfg.json:
        click.confirm(f"onboard {uai} ({registry.site(uai).name})?", abort=True, err=True)
    request = OnboardRequest(
        site=uai, from_stage=from_stage, to_stage=to_stage,
        vault_password_file=vault_password_file, state_db=state_db, report=report,
        command_line=shlex.join(["fleet", *sys.argv[1:]])[:300],
    )  # fmt: skip
    cancel = threading.Event()

    def interrupted(signum, frame):
        if not cancel.is_set():
            log("interrupt: stopping at the next task boundary (`fleet onboard` resumes)")
        cancel.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    previous_term = signal.signal(signal.SIGTERM, interrupted)
    progress = StageProgress(use_color() and sys.stderr.isatty() and not cfg.json, cfg.verbose)
    try:
        done = onboard(cfg.paths, registry, request, cancel, progress)
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
    emit(done.to_dict(), lambda: render(done))
    ctx.exit(done.exit_code)
