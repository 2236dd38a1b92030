"""The OPNsense view of a run, for the reports (the component's `summary`): per site the
firewall's firmware, the objects found on it without fleet's marker (unmanaged: reported, never
touched), the managed objects the registry no longer lists (kept until `deploy
--allow-destroy`), and the configuration backup commit.

Read from each site's run artifacts (ansible-runner's `artifacts/<ident>/job_events/*.json`):
the results of the fleet_opnsense_* tasks. It reads the files itself rather than through
fleet.runner, which imports the registry, which imports this package (no import cycle).
"""

from __future__ import annotations

from typing import Any

from fleet.task_results import of as task_results_of

PREFIX = "fleet_opnsense_"


def task_results(run_dir: str) -> list[tuple[str, dict[str, Any]]]:
    """(module name, result) of each fleet_opnsense_* task that ran, in order."""
    return [(r.action[len(PREFIX) :], r.res) for r in task_results_of(run_dir, prefix=PREFIX)]


def firewalls(run: Any) -> dict[str, Any] | None:
    """The view of a `fleet.runner.result.FleetRun`, or None when no firewall task ran."""
    rows = []
    details: dict[str, Any] = {}
    for site in run.sites:
        results = task_results(site.run_dir)
        if not results:
            continue
        firmware, commit = "", ""
        unmanaged: list[str] = []
        stale: list[str] = []
        for module, res in results:
            if module == "info" and res.get("firmware"):
                firmware = str(res["firmware"])
            if module == "config" and "commit" in res:
                commit = (res.get("commit") or "unchanged")[:12]
            unmanaged += [str(u) for u in res.get("unmanaged") or []]
            stale += [str(s) for s in res.get("stale") or []]
        unmanaged = sorted(set(unmanaged))
        stale = sorted(set(stale))
        details[site.site] = {
            "firmware": firmware,
            "unmanaged": unmanaged,
            "stale": stale,
            "config_commit": commit,
        }
        rows.append(
            [
                site.site,
                firmware or "?",
                "; ".join(unmanaged) or "-",
                "; ".join(stale) or "-",
                commit or "-",
            ]  # fmt: skip
        )
    if not rows:
        return None
    return {
        "title": "OPNsense firewalls",
        "columns": [
            "site",
            "firmware",
            "unmanaged (left alone)",
            "stale (--allow-destroy)",
            "config.xml commit",
        ],  # fmt: skip
        "rows": rows,
        "note": "unmanaged: objects without the [fleet] marker; fleet reports them and never "
        "changes them",
        "sites": details,
    }
