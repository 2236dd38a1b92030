"""Run a `RunSpec` on many sites at once: per-site lock, private_data_dir, ansible-runner.

One site failing, unreachable or locked never stops the others. Cancelling (the `cancel`
event, set by the CLI on Ctrl-C) reaches every running site through ansible-runner's cancel
callback; what finished is kept.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from fleet.errors import FleetError, Locked
from fleet.inventory import SiteInventory
from fleet.paths import Paths
from fleet.runner.execute import now_iso, run_site
from fleet.runner.guard import RunGuard
from fleet.runner.lock import SiteLock
from fleet.runner.observer import RunObserver
from fleet.runner.outcomes import component_outcomes
from fleet.runner.prepare import prepare_site_dir
from fleet.runner.result import CANCELLED, ERROR, LOCKED, RunResult
from fleet.runner.spec import RunSpec


def default_parallel() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass
class RunContext:
    """Where a run reads and writes and who hears of it; built once by the caller."""

    paths: Paths
    run_id: str
    command_line: str  # shown to whoever finds the site locked
    inventory_for: Callable[[str], SiteInventory]
    vault_file_for: Callable[[str], Path | None] = lambda site: None
    vault_password: bytes | None = None
    bundle: bool = False
    observer: RunObserver = field(default_factory=RunObserver)
    cancel: threading.Event = field(default_factory=threading.Event)


def run_one(spec: RunSpec, site: str, ctx: RunContext) -> RunResult:
    """Lock, prepare and run one site; every outcome is a RunResult, never an exception.
    The result lists every component of the site with its outcome."""
    try:
        inventory = ctx.inventory_for(site)
    except FleetError as exc:
        return RunResult(site=site, mode=spec.mode, status=ERROR, message=exc.message)
    result = _lock_and_run(spec, site, inventory, ctx)
    result.outcomes = component_outcomes(
        inventory.groups, spec.selected, result.component_counts, inventory.excluded
    )
    return result


def _lock_and_run(spec: RunSpec, site: str, inventory: SiteInventory, ctx: RunContext) -> RunResult:
    if ctx.cancel.is_set():
        return RunResult(site=site, mode=spec.mode, status=CANCELLED, message="not started")
    lock = SiteLock(ctx.paths.locks, site, ctx.command_line, ctx.run_id)
    try:
        lock.acquire()
    except Locked as exc:
        return RunResult(site=site, mode=spec.mode, status=LOCKED, message=exc.message)
    # from here the run's processes exist only under a guard (fleet may die at any moment)
    guard = RunGuard.start(ctx.paths.run_dir(ctx.run_id, site), lock.fd)
    try:
        ctx.observer.site_started(site)
        started = now_iso()
        try:
            site_dir = prepare_site_dir(
                spec,
                inventory,
                ctx.paths.run_dir(ctx.run_id, site),
                ctx.paths.root,
                ctx.run_id,
                facts_dir=ctx.paths.facts,
                vault_file=ctx.vault_file_for(site),
                vault_password=ctx.vault_password,
                bundle=ctx.bundle,
                backup_dir=ctx.paths.backups,
            )
        except FleetError as exc:
            return RunResult(
                site=site,
                mode=spec.mode,
                status=ERROR,
                message=exc.message,
                started=started,
                finished=now_iso(),
            )
        return run_site(
            site_dir,
            site,
            spec.mode,
            ctx.run_id,
            ctx.cancel,
            on_event=ctx.observer.event,
            default_component=spec.component or "site",
        )
    finally:
        guard.done()
        lock.release()


def run_sites(
    spec: RunSpec,
    sites: list[str],
    ctx: RunContext,
    parallel: int,
    on_done: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run `spec` on `sites`, at most `parallel` at a time; results in `sites` order.
    `on_done` hears of each site as soon as it finishes (from this thread)."""
    results: dict[str, RunResult] = {}

    def finish(site: str, result: RunResult) -> None:
        results[site] = result
        if on_done is not None:
            on_done(result)

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="site") as pool:
        pending: dict[Future, str] = {pool.submit(run_one, spec, s, ctx): s for s in sites}
        while pending:
            try:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:  # the caller did not install a SIGINT handler
                ctx.cancel.set()
                continue
            for future in done:
                site = pending.pop(future)
                try:
                    finish(site, future.result())
                except Exception as exc:  # a bug in one site's run must not hide the others
                    finish(
                        site,
                        RunResult(
                            site=site,
                            mode=spec.mode,
                            status=ERROR,
                            message=f"internal error: {exc!r}",
                        ),
                    )
    return [results[s] for s in sites]
