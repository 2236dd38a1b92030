"""`fleet deploy | plan | drift` end to end, without the CLI: choose sites, check the inputs
once, run, record history, write reports.

The CLI (fleet/cli/deploy.py) turns options into a `Request`, asks `select_sites` which sites
that means (to confirm a multi-site deploy), calls `converge` and renders what it returns.
"""

from __future__ import annotations

import getpass
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fleet.errors import BadInput, FleetError
from fleet.history import History, HistoryRecorder, HistoryView
from fleet.inventory import load_overlay, site_files
from fleet.paths import Paths
from fleet.registry import Registry
from fleet.report import ReportTargets, write_reports
from fleet.runner.changed import sites_changed_since
from fleet.runner.execute import now_iso
from fleet.runner.observer import Observers, RunObserver
from fleet.runner.orchestrate import execute, new_run_id
from fleet.runner.parallel import RunContext, default_parallel
from fleet.runner.prepare import read_vault_password
from fleet.runner.result import FleetRun
from fleet.runner.spec import RunSpec

VAULT_ENV = "FLEET_VAULT_PASSWORD_FILE"


@dataclass
class Target:
    """Which sites: named ones, --all, or --changed-since REF (exactly one)."""

    sites: list[str] = field(default_factory=list)
    all_sites: bool = False
    changed_since: str | None = None
    # sites being onboarded: in --all unless left out (drift: unless --include-onboarding)
    include_onboarding: bool = True
    refuse_decommissioned: bool = False  # deploy: a named decommissioned site is bad input


@dataclass
class Request:
    spec: RunSpec
    target: Target = field(default_factory=Target)
    parallel: int | None = None
    rings: str | None = None
    max_fail_percent: float = 0.0
    vault_password_file: Path | None = None
    state_db: Path | None = None  # default: the project's .fleet/state.db
    reports: ReportTargets = field(default_factory=ReportTargets)
    command_line: str = ""


@dataclass
class Selection:
    sites: list[str]
    note: str = ""  # e.g. why --changed-since picked nothing


def select_sites(registry: Registry, target: Target, project_root: Path | None = None) -> Selection:
    """SITE… | --all | --changed-since REF → UAIs (registry order); unknown sites → BadInput.
    `project_root`: where roles and playbooks live (their changes affect every site)."""
    chosen = [bool(target.sites), target.all_sites, target.changed_since is not None]
    if sum(chosen) != 1:
        raise BadInput("give sites (UAIs), --all or --changed-since REF (exactly one of them)")
    known = list(registry.sites)
    if target.all_sites:
        states = {s: registry.sites[s].state.value for s in known}
        chosen = [s for s in known if states[s] != "decommissioned"]
        if target.include_onboarding:
            return Selection(chosen)
        left = [s for s in chosen if states[s] == "onboarding"]
        note = (
            f"{len(left)} site(s) in onboarding left out ({', '.join(left[:10])}"
            f"{' …' if len(left) > 10 else ''}): --include-onboarding to check them"
            if left
            else ""
        )
        return Selection([s for s in chosen if states[s] != "onboarding"], note)
    if target.changed_since is not None:
        affected = sites_changed_since(
            target.changed_since, Path(registry.root), known, project_root
        )
        if not affected.sites:
            return Selection([], f"no site is affected by changes since {target.changed_since}")
        how = "every site" if affected.all_sites else f"{len(affected.sites)} site(s)"
        return Selection(affected.sites, f"changes since {target.changed_since} affect {how}")
    wanted = []
    for raw in target.sites:
        uai = raw.strip().upper()
        registry.site(uai)  # raises BadInput naming the unknown site
        if target.refuse_decommissioned and registry.sites[uai].state.value == "decommissioned":
            raise BadInput(
                f"site {uai} is decommissioned ({registry.site_file(uai)}): fleet does not "
                "deploy to it (set its state back in the registry first)"
            )
        if uai not in wanted:
            wanted.append(uai)
    return Selection(wanted)


def host_overlay(registry: Registry, paths: Paths) -> dict | None:
    """Connection details known only at run time, merged over the generated host vars: the
    lab registry's (`lab: true`) come from the running lab; a production registry has none."""
    if not registry.region.lab:
        return None
    overlay = load_overlay(paths.host_overlay)
    if overlay is None:
        raise BadInput("this is the lab registry but the lab is down: run `fleet lab up`")
    return overlay


def vault_password(registry: Registry, sites: list[str], option: Path | None) -> bytes | None:
    """The vault password, read once for the run; BadInput when a site needs one and none is
    given, or the file is missing."""
    source = option or (Path(os.environ[VAULT_ENV]) if os.environ.get(VAULT_ENV) else None)
    if source is None:
        vaulted = [s for s in sites if registry.vault_file(s).is_file()]
        if vaulted:
            raise BadInput(
                f"site {vaulted[0]} has a vault file ({registry.vault_file(vaulted[0])}): "
                f"give --vault-password-file or set {VAULT_ENV}"
            )
        return None
    return read_vault_password(source)


def check_playbook(spec: RunSpec, paths: Paths) -> None:
    if (paths.root / spec.playbook).is_file():
        return
    if spec.component and spec.playbook.endswith(f"/{spec.component}.yml"):
        raise BadInput(
            f"component {spec.component} is not implemented yet: "
            f"{spec.playbook} not found in {paths.root} (see `fleet components`)"
        )
    raise BadInput(f"playbook {spec.playbook} not found in {paths.root}")


@dataclass
class Converged:
    run: FleetRun
    history: HistoryView  # since when sites drift, what changed since their previous check
    written: list[tuple[str, Path]]  # reports written: (kind, path)


def converge(
    paths: Paths,
    registry: Registry,
    request: Request,
    sites: list[str],
    cancel: threading.Event | None = None,
    observer: RunObserver | None = None,
) -> Converged:
    """Run the request on `sites` (from `select_sites`): every site result is in the history
    as soon as it is known, reports are written at the end."""
    spec = request.spec
    check_playbook(spec, paths)
    overlay = host_overlay(registry, paths)
    password = vault_password(registry, sites, request.vault_password_file)
    history = History(request.state_db or paths.state_db, paths.runs)
    run = FleetRun(
        run_id=new_run_id(),
        command=spec.command,
        mode=spec.mode,
        playbook=spec.playbook,
        component=spec.component,
        started=now_iso(),
        user=getpass.getuser(),
    )
    ctx = RunContext(
        paths=paths,
        run_id=run.run_id,
        command_line=request.command_line or f"fleet {spec.command}",
        inventory_for=lambda uai: site_files(registry, uai, overlay),
        vault_file_for=registry.vault_file,
        vault_password=password,
        observer=Observers([HistoryRecorder(history), observer]),
        cancel=cancel or threading.Event(),
    )
    pilots = frozenset(s for s in sites if registry.sites[s].pilot)
    execute(
        run,
        spec,
        sites,
        ctx,
        request.parallel or default_parallel(),
        rings=request.rings,
        pilots=pilots,
        max_fail_percent=request.max_fail_percent,
    )
    view = history.view(run)
    try:
        written = write_reports(run, registry, view, request.reports)
    except OSError as exc:
        raise FleetError(
            f"run {run.run_id} finished but a report could not be written: {exc}"
        ) from exc
    return Converged(run=run, history=view, written=written)
