"""A fleet command end to end: pick sites, run them (in rings), record history.

The CLI (fleet/cli/deploy.py) parses arguments into a `Request`, calls `select_sites` and
`execute`, and renders the `FleetRun` it gets back.
"""

from __future__ import annotations

import getpass
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fleet.errors import BadInput
from fleet.history import History
from fleet.runner.changed import sites_changed_since
from fleet.runner.execute import EventCallback, now_iso
from fleet.runner.parallel import RunContext, default_parallel, run_sites
from fleet.runner.result import FAILING, NOT_RUN, FleetRun, RunResult
from fleet.runner.rings import failure_percent, plan_rings
from fleet.runner.spec import RunSpec

VAULT_ENV = "FLEET_VAULT_PASSWORD_FILE"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass
class Request:
    command: str  # deploy | plan | drift
    sites: list[str] = field(default_factory=list)
    all_sites: bool = False
    changed_since: str | None = None
    component: str | None = None
    playbook: str | None = None  # overrides the component's playbook
    check: bool = False  # deploy --check
    diff: bool = False
    limit: str | None = None
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    extra_vars: dict = field(default_factory=dict)
    allow_destroy: bool = False  # deploy --allow-destroy: roles may delete what they manage
    parallel: int | None = None
    rings: str | None = None
    max_fail_percent: float = 0.0
    vault_password_file: Path | None = None
    command_line: str = ""

    @property
    def mode(self) -> str:
        return "check" if self.command in ("plan", "drift") or self.check else "apply"

    def run_vars(self) -> dict:
        """Extra vars of the run; roles delete only when `fleet_allow_destroy` is true."""
        found = dict(self.extra_vars)
        if "fleet_allow_destroy" in found:
            raise BadInput("-e fleet_allow_destroy: use --allow-destroy (deploy only)")
        found["fleet_allow_destroy"] = self.allow_destroy and self.mode == "apply"
        return found

    def spec(self, sites: list[str]) -> RunSpec:
        return RunSpec(
            sites=tuple(sites),
            playbook=self.playbook or RunSpec.for_component(self.component),
            mode=self.mode,
            diff=self.diff or self.mode == "check",
            limit=self.limit,
            tags=self.tags,
            skip_tags=self.skip_tags,
            extra_vars=self.run_vars(),
            component=self.component,
            command=self.command,
        )


@dataclass
class Selection:
    sites: list[str]
    note: str = ""  # e.g. why --changed-since picked nothing


def select_sites(registry, request: Request, cwd: Path) -> Selection:
    """SITE… | --all | --changed-since REF → UAIs (registry order); unknown sites → BadInput."""
    chosen = [bool(request.sites), request.all_sites, request.changed_since is not None]
    if sum(chosen) != 1:
        raise BadInput("give sites (UAIs), --all or --changed-since REF (exactly one of them)")
    known = list(registry.sites)
    if request.all_sites:
        active = [s for s in known if registry.sites[s].state.value != "decommissioned"]
        return Selection(active)
    if request.changed_since is not None:
        affected = sites_changed_since(request.changed_since, cwd, Path(registry.root), known)
        if not affected.sites:
            return Selection([], f"no site is affected by changes since {request.changed_since}")
        how = "every site" if affected.all_sites else f"{len(affected.sites)} site(s)"
        return Selection(affected.sites, f"changes since {request.changed_since} affect {how}")
    wanted = []
    for raw in request.sites:
        uai = raw.strip().upper()
        registry.site(uai)  # raises BadInput naming the unknown site
        if uai not in wanted:
            wanted.append(uai)
    return Selection(wanted)


def resolve_vault_password(option: Path | None) -> Path | None:
    if option is not None:
        return option
    env = os.environ.get(VAULT_ENV)
    return Path(env) if env else None


@dataclass
class Hooks:
    on_event: EventCallback | None = None
    on_site_start: object = None
    on_site_done: object = None


def execute(
    registry,
    request: Request,
    sites: list[str],
    project_root: Path,
    state_dir: Path,
    history: History,
    cancel: threading.Event,
    overlay: dict | None = None,
    hooks: Hooks | None = None,
) -> FleetRun:
    """Run the request on `sites`; every site result is in history as soon as it is known."""
    from fleet.inventory import site_inventory  # the registry → inventory step

    hooks = hooks or Hooks()
    spec = request.spec(sites)
    if Path(spec.playbook).is_absolute() or ".." in Path(spec.playbook).parts:
        raise BadInput(f"--playbook {spec.playbook}: give a path inside the project, relative")
    if not (project_root / spec.playbook).is_file():
        if request.component and not request.playbook:
            raise BadInput(
                f"component {request.component} has no playbook yet: "
                f"{spec.playbook} not found in {project_root}"
            )
        raise BadInput(f"playbook {spec.playbook} not found in {project_root}")
    vault_password = resolve_vault_password(request.vault_password_file)
    if vault_password is not None and not vault_password.is_file():
        raise BadInput(f"vault password file {vault_password} does not exist")
    vaulted = [s for s in sites if registry.vault_file(s).is_file()]
    if vaulted and vault_password is None:
        raise BadInput(
            f"site {vaulted[0]} has a vault file ({registry.vault_file(vaulted[0])}): "
            f"give --vault-password-file or set {VAULT_ENV}"
        )

    run = FleetRun(
        run_id=new_run_id(),
        command=request.command,
        mode=spec.mode,
        playbook=spec.playbook,
        component=request.component,
        started=now_iso(),
        user=getpass.getuser(),
    )
    history.start_run(run)

    def done(result: RunResult) -> None:
        history.record_site(run.run_id, result)
        if callable(hooks.on_site_done):
            hooks.on_site_done(result)

    ctx = RunContext(
        project_root=project_root,
        state_dir=state_dir,
        run_id=run.run_id,
        command_line=request.command_line or f"fleet {request.command}",
        inventory_for=lambda uai: site_inventory(registry, uai, overlay),
        vault_file_for=registry.vault_file,
        vault_password_file=vault_password,
        on_event=hooks.on_event,
        on_site_start=hooks.on_site_start if callable(hooks.on_site_start) else None,
        on_site_done=done,
        cancel=cancel,
    )
    parallel = request.parallel or default_parallel()
    try:
        if request.rings and request.mode == "apply":
            pilots = {s for s in sites if registry.sites[s].pilot}
            rings = plan_rings(request.rings, sites, pilots)
            covered = {s for ring in rings for s in ring.sites}
            for index, ring in enumerate(rings, start=1):
                results = run_sites(spec, ring.sites, ctx, parallel)
                run.sites.extend(results)
                if cancel.is_set():
                    break
                failed = [r.site for r in results if r.status in FAILING]
                rate = failure_percent(len(failed), len(results))
                if rate > request.max_fail_percent:
                    later = [s for r in rings[index:] for s in r.sites]
                    run.stopped = (
                        f"ring {index} ({ring.name}) failed on {len(failed)}/{len(results)} "
                        f"site(s) ({rate:.0f}% > --max-fail-percent "
                        f"{request.max_fail_percent:g}): {', '.join(failed)}; rollout stopped, "
                        f"{len(later)} site(s) not started"
                    )
                    for site in later:
                        run.sites.append(
                            RunResult(
                                site=site, mode=spec.mode, status=NOT_RUN, message="rollout stopped"
                            )
                        )
                    break
            for site in sites:
                if site not in covered:
                    run.sites.append(
                        RunResult(
                            site=site,
                            mode=spec.mode,
                            status=NOT_RUN,
                            message="in no ring of --rings",
                        )
                    )
        else:
            run.sites = run_sites(spec, sites, ctx, parallel)
    finally:
        run.interrupted = cancel.is_set()
        run.finished = now_iso()
        history.finish_run(run)
    return run
