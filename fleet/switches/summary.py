"""The switches view of a run, for the reports (the component's `summary`): per switch the
lines sent (deploy) or to send (plan, drift), the lines of its running configuration fleet does
not manage (listed, never touched) and the backup commit.

Read from each site's run artifacts (ansible-runner's `artifacts/<ident>/job_events/*.json`),
like fleet.opnsense.summary, without fleet.runner (no import cycle through the registry).
"""

from __future__ import annotations

from typing import Any

from fleet.task_results import of as task_results_of

ACTIONS = ("fleet_switch_config",)
SHOWN = 3  # unmanaged lines shown in the table (all of them in `sites`)


def task_results(run_dir: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(module, host, result) of each switch task that ran, in order."""
    return [(r.action, r.host, r.res) for r in task_results_of(run_dir, actions=ACTIONS)]


def switches(run: Any) -> dict[str, Any] | None:
    """The view of a `fleet.runner.result.FleetRun`, or None when no switch task ran."""
    rows = []
    details: dict[str, Any] = {}
    for site in run.sites:
        per_host: dict[str, dict[str, Any]] = {}
        for _action, host, res in task_results(site.run_dir):
            entry = per_host.setdefault(host, {"lines": 0, "unmanaged": [], "commit": ""})
            entry["lines"] = len(res.get("lines") or [])
            entry["unmanaged"] = [str(u) for u in res.get("unmanaged") or []]
            entry["failed"] = bool(res.get("failed"))
            if "commit" in res:  # the module commits the configuration it read (backup_dir)
                entry["commit"] = (res.get("commit") or "unchanged")[:12]
        if not per_host:
            continue
        details[site.site] = per_host
        for host, entry in sorted(per_host.items()):
            unmanaged = entry["unmanaged"]
            shown = "; ".join(unmanaged[:SHOWN]) + (
                f" (+{len(unmanaged) - SHOWN})" if len(unmanaged) > SHOWN else ""
            )
            rows.append([site.site, host.split(".")[0], "failed" if entry.get("failed") else str(entry["lines"]),
                         shown or "-", entry["commit"] or "-"])  # fmt: skip
    if not rows:
        return None
    return {
        "title": "Switches",
        "columns": ["site", "switch", "lines", "unmanaged (left alone)", "backup commit"],
        "rows": rows,
        "note": "lines: sent by deploy, or to send for plan/drift; unmanaged: lines fleet does "
        "not manage, never changed",
        "sites": details,
    }
