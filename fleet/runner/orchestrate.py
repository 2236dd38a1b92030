"""One fleet run over many sites: all at once, or ring after ring; observers hear of it.

The caller (fleet.deploy) has chosen the sites and checked the inputs; this module only runs.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fleet.runner.execute import now_iso
from fleet.runner.outcomes import component_outcomes
from fleet.runner.parallel import RunContext, run_sites
from fleet.runner.result import FleetRun
from fleet.runner.rings import plan_rings, roll_out
from fleet.runner.spec import RunSpec


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def execute(
    run: FleetRun,
    spec: RunSpec,
    sites: list[str],
    ctx: RunContext,
    parallel: int,
    rings: str | None = None,
    pilots: frozenset[str] = frozenset(),
    max_fail_percent: float = 0.0,
) -> FleetRun:
    """Run `spec` on `sites`; `run.sites` gets a result per site, in `sites` order (rings:
    ring order). Every site result is passed to the observer as soon as it is known."""
    observer = ctx.observer
    observer.run_started(run)

    def done(result) -> None:
        observer.site_finished(run, result)

    try:
        if rings and spec.mode == "apply":
            planned = plan_rings(rings, sites, set(pilots))
            covered = {s for ring in planned for s in ring.sites}
            rollout = roll_out(
                planned,
                lambda ring_sites: run_sites(spec, ring_sites, ctx, parallel, done),
                max_fail_percent,
                ctx.cancel.is_set,
                [s for s in sites if s not in covered],
                spec.mode,
            )
            run.sites, run.stopped = rollout.results, rollout.stopped
        else:
            run.sites = run_sites(spec, sites, ctx, parallel, done)
        for result in run.sites:
            if not result.outcomes:  # sites a rollout never started
                inventory = ctx.inventory_for(result.site)
                result.outcomes = component_outcomes(
                    inventory.groups, spec.selected, {}, inventory.excluded
                )
    finally:
        run.interrupted = ctx.cancel.is_set()
        run.finished = now_iso()
        observer.run_finished(run)
    return run
