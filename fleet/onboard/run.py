"""`fleet onboard SITE`: the stages in order, each a checkpoint in the run history, resumed at
the first unfinished stage; the site's state moves to `active` when `verify` passes.

Playbook stages go through `fleet.deploy.converge` like any `fleet deploy --component C`: the
site lock, the run guard (kill -9 of fleet ends the run's processes and frees the site), live
progress, history, Ctrl-C at a task boundary. Core only: it returns an `Onboarding`, raises
`FleetError`s, prints nothing.
"""

from __future__ import annotations

import getpass
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fleet.deploy import Request, converge, host_overlay, vault_password
from fleet.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, BadInput
from fleet.history import History
from fleet.onboard import preflight, stages
from fleet.onboard.checkpoints import Checkpoint, Checkpoints
from fleet.onboard.stages import (
    CHECKS,
    DONE,
    FAILED,
    INTERRUPTED,
    PREFLIGHT,
    TODO,
    VERIFY,
    Applicable,
    Stage,
)
from fleet.onboard.state import StateChange, set_state
from fleet.paths import Paths
from fleet.registry import Registry
from fleet.registry.enums import State
from fleet.runner.execute import now_iso
from fleet.runner.observer import Observers, RunObserver
from fleet.runner.orchestrate import new_run_id
from fleet.runner.spec import RunSpec

LOCKED = "locked"
EARLIER = "done_earlier"  # done by an earlier `fleet onboard`, not run again now
NOT_REACHED = "not_reached"  # after --to-stage, or after the stage that stopped the run


@dataclass
class OnboardRequest:
    site: str
    from_stage: str | None = None
    to_stage: str | None = None
    vault_password_file: Path | None = None
    state_db: Path | None = None
    report: Path | None = None  # the handover report (HTML; JSON beside it)
    command_line: str = ""


@dataclass
class Outcome:
    """What running one stage gave."""

    status: str  # DONE | FAILED | INTERRUPTED | LOCKED
    message: str = ""
    task: str = ""  # the failing task or check
    run_id: str | None = None
    detail: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)


@dataclass
class StageResult:
    stage: str
    component: str | None
    status: str
    title: str = ""
    started: str = ""
    finished: str = ""
    seconds: float = 0.0
    run_id: str | None = None
    message: str = ""
    task: str = ""
    detail: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Onboarding:
    site: str
    onboard_id: str
    started: str
    stages: list[StageResult] = field(default_factory=list)
    finished: str = ""
    exit_code: int = EXIT_OK
    state_change: StateChange | None = None
    state: str = ""
    next: str = ""
    verification: dict | None = None

    def to_dict(self) -> dict:
        return {
            "site": self.site,
            "onboard_id": self.onboard_id,
            "started": self.started,
            "finished": self.finished,
            "stages": [s.to_dict() for s in self.stages],
            "state": self.state,
            "state_change": self.state_change.to_dict() if self.state_change else None,
            "next": self.next,
            "verification": self.verification,
            "exit_code": self.exit_code,
        }


class OnboardObserver(RunObserver):
    """Hears stages start and end (and, as a RunObserver, the playbook runs' events)."""

    def stage_started(self, stage: Stage, index: int, total: int) -> None:
        """A stage begins."""

    def stage_finished(self, result: StageResult, index: int, total: int) -> None:
        """A stage ended, was skipped (pending, no hosts, done earlier) or not reached."""


@dataclass
class Context:
    paths: Paths
    registry: Registry
    request: OnboardRequest
    cancel: threading.Event
    observer: OnboardObserver
    password: bytes | None = None
    overlay: dict | None = None
    onboard_id: str = ""
    checkpoints: Checkpoints | None = None
    row: int | None = None  # the checkpoint of the stage running now

    @property
    def uai(self) -> str:
        return self.request.site


Runner = Callable[[Context, Stage], Outcome]


def status(paths: Paths, registry: Registry, uai: str, state_db: Path | None = None) -> list[dict]:
    """Every stage of the site with its state (done / failed / killed / todo / pending /
    no_hosts) and when, for `--status`. Read-only."""
    site = registry.site(uai)
    latest = Checkpoints(History(state_db or paths.state_db, paths.runs)).latest(uai)
    rows = []
    for app in stages.for_site(site):
        row = app.to_dict()
        cp: Checkpoint | None = latest.get(app.stage.name)
        row["state"] = app.state if not app.live else (cp.status if cp else TODO)
        row["checkpoint"] = cp.to_dict() if cp else None
        rows.append(row)
    return rows


def first_unfinished(plan: list[Applicable], done: set[str]) -> int | None:
    for index, app in enumerate(plan):
        if app.live and app.stage.name not in done:
            return index
    return None


def onboard(
    paths: Paths,
    registry: Registry,
    request: OnboardRequest,
    cancel: threading.Event | None = None,
    observer: OnboardObserver | None = None,
    runners: dict[str, Runner] | None = None,
) -> Onboarding:
    uai = request.site
    site = registry.site(uai)
    if site.state is State.decommissioned:
        raise BadInput(f"site {uai} is decommissioned ({registry.site_file(uai)}): not onboarded")
    plan = stages.for_site(site)
    names = [a.stage.name for a in plan]
    for option, value in (("--from-stage", request.from_stage), ("--to-stage", request.to_stage)):
        if value is not None and value not in names:
            raise BadInput(f"{option} {value}: unknown stage (stages: {', '.join(names)})")
    history = History(request.state_db or paths.state_db, paths.runs)
    checkpoints = Checkpoints(history)
    latest = checkpoints.latest(uai)
    done = {n for n, c in latest.items() if c.status == DONE}
    start = names.index(request.from_stage) if request.from_stage else first_unfinished(plan, done)
    end = names.index(request.to_stage) if request.to_stage else len(plan) - 1
    if start is not None and start > end:
        raise BadInput(
            f"nothing to do: the first stage to run ({names[start]}) comes after "
            f"--to-stage {request.to_stage}"
        )

    observer = observer or OnboardObserver()
    ctx = Context(paths, registry, request, cancel or threading.Event(), observer)
    ctx.overlay = host_overlay(registry, paths)
    ctx.password = vault_password(registry, [uai], request.vault_password_file)
    ctx.onboard_id = new_run_id()
    runners = {**default_runners(), **(runners or {})}
    result = Onboarding(site=uai, onboard_id=ctx.onboard_id, started=now_iso())
    user = getpass.getuser()
    total = len(plan)
    stopped = False
    for index, app in enumerate(plan):
        stage = app.stage
        base = StageResult(stage.name, stage.component, TODO, stage.title)
        ran = False
        if not app.live:
            base.status, base.message = app.state, app.reason
        elif start is None or index < start:
            cp = latest.get(stage.name)
            base.status = EARLIER
            if cp is not None:
                base.started, base.finished, base.run_id = cp.started, cp.finished or "", cp.run_id
        elif index > end or stopped:
            base.status = NOT_REACHED
        elif ctx.cancel.is_set():
            base.status, base.message = INTERRUPTED, "interrupted before this stage began"
            stopped, result.exit_code = True, EXIT_INTERRUPTED
            result.next = next_step(uai, base)
        else:
            ran = True
            base = run_stage(ctx, runners, checkpoints, app, index, total, user)
            if base.status != DONE:
                stopped = True
                result.exit_code = {FAILED: EXIT_FAILED, INTERRUPTED: EXIT_INTERRUPTED,
                                    LOCKED: EXIT_LOCKED}.get(base.status, EXIT_FAILED)  # fmt: skip
                result.next = next_step(uai, base)
            if stage.name == VERIFY:
                result.verification = base.detail[0] if base.detail else None
        result.stages.append(base)
        if not ran:
            observer.stage_finished(base, index, total)

    verified = any(s.stage == VERIFY and s.status == DONE for s in result.stages)
    current = registry.site(uai).state
    if verified and current is State.onboarding:
        result.state_change = set_state(registry.site_file(uai), State.active)
        current = State.active
    result.state = current.value
    if result.exit_code == EXIT_OK and not result.next:
        if start is None:
            result.next = "every live stage is done: nothing to run"
        elif not verified and names.index(VERIFY) > end:
            result.next = f"continue with `fleet onboard {uai}`"
    result.finished = now_iso()
    return result


def next_step(uai: str, stage: StageResult) -> str:
    if stage.status == INTERRUPTED:
        return f"interrupted: `fleet onboard {uai}` resumes at {stage.stage}"
    if stage.status == LOCKED:
        return f"another run holds the site: wait for it, then `fleet onboard {uai}`"
    return (
        f"fix what {stage.stage} reports ({stage.task or stage.message.splitlines()[0]}), then "
        f"`fleet onboard {uai}` (resumes at {stage.stage})"
    )


def run_stage(ctx: Context, runners: dict[str, Runner], checkpoints: Checkpoints,
              app: Applicable, index: int, total: int, user: str) -> StageResult:  # fmt: skip
    stage = app.stage
    ctx.observer.stage_started(stage, index, total)
    row = checkpoints.begin(ctx.uai, stage.name, ctx.onboard_id, user)
    ctx.checkpoints, ctx.row = checkpoints, row
    started, clock = now_iso(), time.monotonic()
    key = stage.name if stage.name in runners else stage.kind
    try:
        outcome = runners[key](ctx, stage)
    except KeyboardInterrupt:
        outcome = Outcome(INTERRUPTED, "interrupted (Ctrl-C)")
    except Exception as exc:
        checkpoints.end(row, FAILED, str(getattr(exc, "message", exc)))
        raise
    checkpoints.end(row, outcome.status, outcome.message, outcome.run_id)
    result = StageResult(
        stage.name, stage.component, outcome.status, stage.title, started, now_iso(),
        round(time.monotonic() - clock, 2), outcome.run_id, outcome.message, outcome.task,
        outcome.detail,
    )  # fmt: skip
    ctx.observer.stage_finished(result, index, total)
    return result


# ---- the stage runners --------------------------------------------------------------------


def run_preflight(ctx: Context, stage: Stage) -> Outcome:
    items = preflight.run(ctx.registry, ctx.uai, ctx.password, ctx.overlay,
                          secrets_command=f"fleet site secrets {ctx.uai} --generate")  # fmt: skip
    bad = preflight.failing(items)
    detail = [i.to_dict() for i in items]
    if bad:
        return Outcome(FAILED, "; ".join(f"{i.name}: {i.detail}" for i in bad), bad[0].name,
                       detail=detail)  # fmt: skip
    return Outcome(DONE, f"{len(items)} check(s) passed or pending", detail=detail)


def run_playbook(ctx: Context, stage: Stage) -> Outcome:
    spec = (
        RunSpec.build("deploy", component=stage.component)
        if stage.kind == stages.PLAYBOOK
        else RunSpec.build("deploy", playbook=stage.playbook)
    )
    request = Request(
        spec=spec,
        vault_password_file=ctx.request.vault_password_file,
        state_db=ctx.request.state_db,
        command_line=ctx.request.command_line or f"fleet onboard {ctx.uai}",
    )
    done = converge(ctx.paths, ctx.registry, request, [ctx.uai], ctx.cancel,
                    Observers([RunIdRecorder(ctx), ctx.observer]))  # fmt: skip
    run = done.run
    code = run.exit_code
    site = run.sites[0] if run.sites else None
    if code == EXIT_OK:
        changed = site.totals().changed if site else 0
        return Outcome(DONE, f"run {run.run_id}: {changed} change(s)", run_id=run.run_id)
    if code == EXIT_INTERRUPTED:
        return Outcome(INTERRUPTED, f"run {run.run_id} interrupted", run_id=run.run_id)
    if code == EXIT_LOCKED:
        return Outcome(LOCKED, site.message if site else "locked", run_id=run.run_id)
    task, message = "", (site.message if site else run.stopped) or "the run failed"
    if site and site.failures:
        f = site.failures[0]
        task = f"{f.host}: {f.task}"
        message = f"{'unreachable' if f.unreachable else 'failed'}: {task}: {f.message}"
    return Outcome(FAILED, message[:2000], task, run.run_id)


class RunIdRecorder(RunObserver):
    """Puts the stage's run id in its checkpoint as soon as the run exists (a fleet killed
    mid-stage leaves a checkpoint that names its run)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def run_started(self, run) -> None:
        if self.ctx.checkpoints is not None and self.ctx.row is not None:
            self.ctx.checkpoints.attach_run(self.ctx.row, run.run_id)


def run_verify(ctx: Context, stage: Stage) -> Outcome:
    from fleet.onboard.secrets import read_vault
    from fleet.verify import report
    from fleet.verify.site import verify_site

    vault = read_vault(ctx.registry.vault_file(ctx.uai), ctx.password)
    verification = verify_site(ctx.paths, ctx.registry, ctx.uai, ctx.overlay, vault)
    path = ctx.request.report or report.default_path(ctx.paths.state, verification)
    report.write(verification, path)
    data = verification.to_dict()
    counts = data["counts"]
    summary = (f"{counts['passed']} passed, {counts['failed'] + counts['error']} failing, "
               f"{counts['pending']} pending; report {path}")  # fmt: skip
    if verification.failing:
        names = ", ".join(c.name for c in verification.failing)
        return Outcome(FAILED, f"failing checks: {names}; {summary}",
                       verification.failing[0].name, detail=[data])  # fmt: skip
    return Outcome(DONE, summary, detail=[data])


def default_runners() -> dict[str, Runner]:
    return {
        PREFLIGHT: run_preflight,
        VERIFY: run_verify,
        stages.PLAYBOOK: run_playbook,
        stages.REACHABLE: run_playbook,
        CHECKS: run_preflight,
    }
