"""The JSON report: one document, schema in docs/report-schema.md (schema_version 1)."""

from __future__ import annotations

import json
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.history import HistoryView
from fleet.report.summaries import component_summaries
from fleet.runner.result import FleetRun

SCHEMA_VERSION = 1


def build(run: FleetRun, view: HistoryView | None = None) -> dict:
    data = {"schema_version": SCHEMA_VERSION, **run.to_dict()}
    streaks = view.streaks if view else {}
    changes = view.changes if view else {}
    for site in data["sites"]:
        streak = streaks.get(site["site"])
        site["drifting_since"] = streak.since if streak else None
        change = changes.get(site["site"])
        site["drift_changes"] = change.to_dict() if change else None
    data["summary"] = summary(run, view)
    data["component_summaries"] = component_summaries(run)
    return data


def summary(run: FleetRun, view: HistoryView | None = None) -> dict:
    counts: dict[str, int] = {}
    for result in run.sites:
        counts[result.status] = counts.get(result.status, 0) + 1
    changes = view.changes.values() if view else []
    return {
        "sites": len(run.sites),
        "by_status": dict(sorted(counts.items())),
        "changed_tasks": sum(len(r.changed) for r in run.sites),
        "failures": sum(len(r.failures) for r in run.sites),
        "new_drift": sum(len(c.new) for c in changes),
        "resolved_drift": sum(len(c.resolved) for c in changes),
        "duration": round(run.seconds, 3),
    }


def write(run: FleetRun, path: Path, view: HistoryView | None = None) -> None:
    atomic_write(path, json.dumps(build(run, view), indent=2, sort_keys=True) + "\n")
