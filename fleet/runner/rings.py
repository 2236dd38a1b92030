"""Rollout rings: `--rings pilot,20%,100%` splits a multi-site deploy into waves.

`pilot` = the sites flagged `pilot: true` in the registry; `N%` = the first N percent (rounded
up, cumulative) of the selected sites; a bare number = that many more sites. Each ring takes
sites not already in an earlier ring, in the selection's order. After a ring, a failure rate
above `--max-fail-percent` stops the rollout. Sites no ring covers (rings ending before
100%) are not deployed: a rollout never goes further than it was told.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from fleet.errors import BadInput
from fleet.runner.result import FAILING, NOT_RUN, RunResult


@dataclass
class Ring:
    name: str
    sites: list[str]


def plan_rings(spec: str, sites: list[str], pilots: set[str]) -> list[Ring]:
    tokens = [t.strip() for t in spec.split(",") if t.strip()]
    if not tokens:
        raise BadInput("--rings: give at least one ring, e.g. pilot,20%,100%")
    taken: set[str] = set()
    rings: list[Ring] = []
    for token in tokens:
        if token == "pilot":
            wanted = [s for s in sites if s in pilots]
        elif m := re.fullmatch(r"(\d+(?:\.\d+)?)%", token):
            percent = float(m.group(1))
            if not 0 < percent <= 100:
                raise BadInput(f"--rings: {token!r}: a percentage must be in (0, 100]")
            upto = math.ceil(len(sites) * percent / 100)
            wanted = sites[:upto]
        elif token.isdigit() and int(token) > 0:
            fresh = [s for s in sites if s not in taken]
            wanted = fresh[: int(token)]
        else:
            raise BadInput(
                f"--rings: {token!r} is not a ring; use pilot, a percentage (20%) or a count (5)"
            )
        ring = [s for s in wanted if s not in taken]
        taken.update(ring)
        if ring:
            rings.append(Ring(name=token, sites=ring))
    # Sites no ring covers are not deployed (end with 100% to cover every site).
    return rings


def failure_percent(failed: int, total: int) -> float:
    return 0.0 if total == 0 else 100.0 * failed / total


@dataclass
class Rollout:
    results: list[RunResult] = field(default_factory=list)
    stopped: str = ""  # why the rollout stopped early, if it did


def roll_out(
    rings: list[Ring],
    run_ring: Callable[[list[str]], list[RunResult]],
    max_fail_percent: float,
    cancelled: Callable[[], bool],
    uncovered: list[str],
    mode: str = "apply",
) -> Rollout:
    """Run the rings in order (pure apart from `run_ring`). After each ring, a failure rate
    above `max_fail_percent` stops the rollout: the later rings' sites, and the sites no ring
    covers, come back as `not_run` with the reason."""
    rollout = Rollout()
    for index, ring in enumerate(rings, start=1):
        results = run_ring(ring.sites)
        rollout.results.extend(results)
        if cancelled():
            break
        failed = [r.site for r in results if r.status in FAILING]
        rate = failure_percent(len(failed), len(results))
        if rate > max_fail_percent:
            later = [s for r in rings[index:] for s in r.sites]
            rollout.stopped = (
                f"ring {index} ({ring.name}) failed on {len(failed)}/{len(results)} "
                f"site(s) ({rate:.0f}% > --max-fail-percent {max_fail_percent:g}): "
                f"{', '.join(failed)}; rollout stopped, {len(later)} site(s) not started"
            )
            rollout.results += [
                RunResult(site=s, mode=mode, status=NOT_RUN, message="rollout stopped")
                for s in later
            ]
            break
    rollout.results += [
        RunResult(site=s, mode=mode, status=NOT_RUN, message="in no ring of --rings")
        for s in uncovered
    ]
    return rollout
