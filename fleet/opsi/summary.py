"""The catalogue-wide view of a run (the opsi component's `summary`): for each product whose
version changes (or would, in a plan), from → to, on how many depots, at which sites; then the
property values and unmanaged products per site.

Read from each site's run artifacts (ansible-runner's `artifacts/<ident>/job_events/*.json`):
the results of the fleet_opsi_depot tasks. It reads the files itself rather than through
fleet.runner, which imports the registry, which imports this package (no import cycle).
"""

from __future__ import annotations

from typing import Any

from fleet.task_results import of as task_results_of

MODULE = "fleet_opsi_depot"


def task_results(run_dir: str) -> list[dict[str, Any]]:
    """The result of each fleet_opsi_depot task of a site run, in order."""
    return [r.res for r in task_results_of(run_dir, actions=(MODULE,))]


def catalogue(run: Any) -> dict[str, Any] | None:
    """The view of a `fleet.runner.result.FleetRun`, or None when no depot task ran."""
    products: dict[str, dict[str, Any]] = {}
    sites: dict[str, Any] = {}
    depots = 0
    for site in run.sites:
        results = task_results(site.run_dir)
        if not results:
            continue
        depots += len(results)
        info = sites.setdefault(
            site.site, {"depots": [], "properties": 0, "unmanaged": [], "failed": []}
        )
        for res in results:
            info["depots"].append(res.get("depot"))
            if res.get("failed"):
                info["failed"].append(str(res.get("msg", ""))[:300])
            info["properties"] += len(res.get("properties") or [])
            info["unmanaged"] += list(res.get("unmanaged") or [])
            for change in res.get("products") or []:
                entry = products.setdefault(
                    change["product"], {"to": change["to"], "from": {}, "depots": 0, "sites": []}
                )
                key = change["from"] or "absent"
                entry["from"][key] = entry["from"].get(key, 0) + 1
                entry["depots"] += 1
                if site.site not in entry["sites"]:
                    entry["sites"].append(site.site)
    if not sites:
        return None
    rows = [
        [
            pid,
            ", ".join(
                f"{old} ({n})" if len(e["from"]) > 1 else old
                for old, n in sorted(e["from"].items())
            ),
            e["to"],
            str(e["depots"]),
            ", ".join(sorted(e["sites"])),
        ]
        for pid, e in sorted(products.items())
    ]
    return {
        "title": "OPSI catalogue across depots",
        "columns": ["product", "from", "to", "depots", "sites"],
        "rows": rows,
        "note": f"{len(products)} product(s) change on {depots} depot(s) read; "
        + "; ".join(
            f"{uai}: {len(s['unmanaged'])} unmanaged, {s['properties']} property value(s)"
            for uai, s in sorted(sites.items())
            if s["unmanaged"] or s["properties"]
        ),
        "products": products,
        "sites": sites,
    }
