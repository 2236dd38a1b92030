"""The Proxmox view of a run, for the reports (the component's `summary`): per site the objects
found on the nodes without fleet's marker (unmanaged guests, storages, backup jobs: reported,
never touched), the managed objects the registry no longer lists (kept until `deploy
--allow-destroy`), and the API calls the modules made.

Read from each site's run artifacts (ansible-runner's `artifacts/<ident>/job_events/*.json`):
the results of the fleet_proxmox_* tasks. It reads the files itself rather than through
fleet.runner, which imports the registry (no import cycle).
"""

from __future__ import annotations

from typing import Any

from fleet.task_results import of as task_results_of

PREFIX = "fleet_proxmox_"


def task_results(run_dir: str) -> list[tuple[str, dict[str, Any]]]:
    """(module name, result) of each fleet_proxmox_* task that ran, in order."""
    return [(r.action[len(PREFIX) :], r.res) for r in task_results_of(run_dir, prefix=PREFIX)]


def nodes(run: Any) -> dict[str, Any] | None:
    """The view of a `fleet.runner.result.FleetRun`, or None when no Proxmox task ran."""
    rows = []
    details: dict[str, Any] = {}
    for site in run.sites:
        results = task_results(site.run_dir)
        if not results:
            continue
        unmanaged: set[str] = set()
        stale: set[str] = set()
        calls = {"reads": 0, "writes": 0, "polls": 0}
        for _, res in results:
            unmanaged.update(str(u) for u in res.get("unmanaged") or [])
            stale.update(str(s) for s in res.get("stale") or [])
            for key in calls:
                calls[key] += int((res.get("calls") or {}).get(key, 0))
        details[site.site] = {"unmanaged": sorted(unmanaged), "stale": sorted(stale),
                              "calls": calls}  # fmt: skip
        rows.append([site.site, "; ".join(sorted(unmanaged)) or "-",
                     "; ".join(sorted(stale)) or "-",
                     f"{calls['reads']} reads, {calls['writes']} writes"])  # fmt: skip
    if not rows:
        return None
    return {
        "title": "Proxmox VE",
        "columns": ["site", "unmanaged (left alone)", "stale (--allow-destroy)", "API calls"],
        "rows": rows,
        "note": "unmanaged: guests without the fleet tag, storages not in the registry, backup "
        "jobs without the [fleet] comment; fleet reports them and never changes them",
        "sites": details,
    }
