"""Prometheus textfile (node_exporter's textfile collector) for the last run of each site."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.history import HistoryView
from fleet.runner.result import FleetRun

METRICS = {
    "fleet_drift_items": ("gauge", "Changed tasks a check run found, per site and component."),
    "fleet_run_failed": ("gauge", "1 if the site's last run failed or a host was unreachable."),
    "fleet_last_run_timestamp_seconds": ("gauge", "When the site's last run finished."),
    "fleet_run_duration_seconds": ("gauge", "How long the site's last run took."),
    "fleet_drift_new_items": (
        "gauge",
        "Drift items of the site not in its previous check run (new since then).",
    ),
    "fleet_drift_resolved_items": (
        "gauge",
        "Drift items of the site's previous check run that are gone (resolved since then).",
    ),
    "fleet_run_seconds": ("gauge", "Wall time of the whole run (all sites)."),
    "fleet_component_outcome": (
        "gauge",
        "1 for what the last run did to each component of each site (outcome: ran, no_hosts, "
        "not_implemented, not_selected, not_reached).",
    ),
}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _timestamp(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def render(run: FleetRun, history: HistoryView | None = None) -> str:
    samples: dict[str, list[str]] = {name: [] for name in METRICS}
    changes = history.changes if history else {}
    samples["fleet_run_seconds"].append(
        f"fleet_run_seconds{_labels(command=run.command)} {run.seconds:.3f}"
    )
    for result in sorted(run.sites, key=lambda r: r.site):
        per_component: dict[str, int] = {c: 0 for c in result.components}
        if run.mode == "check":
            for item in result.changed:
                per_component[item.component] = per_component.get(item.component, 0) + 1
        for component, count in sorted(per_component.items()):
            samples["fleet_drift_items"].append(
                f"fleet_drift_items{_labels(site=result.site, component=component)} {count}"
            )
        failed = 1 if result.failing else 0
        samples["fleet_run_failed"].append(f"fleet_run_failed{_labels(site=result.site)} {failed}")
        if result.finished:
            ts = _timestamp(result.finished)
            samples["fleet_last_run_timestamp_seconds"].append(
                f"fleet_last_run_timestamp_seconds{_labels(site=result.site, mode=run.mode)} {ts:.0f}"
            )
        samples["fleet_run_duration_seconds"].append(
            f"fleet_run_duration_seconds{_labels(site=result.site)} {result.duration:.3f}"
        )
        change = changes.get(result.site)
        if change is not None:
            site = _labels(site=result.site)
            samples["fleet_drift_new_items"].append(
                f"fleet_drift_new_items{site} {len(change.new)}"
            )
            samples["fleet_drift_resolved_items"].append(
                f"fleet_drift_resolved_items{site} {len(change.resolved)}"
            )
        for o in result.outcomes:
            labels = _labels(site=result.site, component=o.component, outcome=o.outcome)
            samples["fleet_component_outcome"].append(f"fleet_component_outcome{labels} 1")
    lines = []
    for name, (kind, help_text) in METRICS.items():
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(samples[name])
    return "\n".join(lines) + "\n"


def write(run: FleetRun, path: Path, history: HistoryView | None = None) -> None:
    """Atomic: the textfile collector must never read a half-written file."""
    atomic_write(path, render(run, history))
