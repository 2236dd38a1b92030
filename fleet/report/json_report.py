"""The JSON report: one document, schema in docs/report-schema.md (schema_version 1)."""

from __future__ import annotations

import json
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.history import Streak
from fleet.report.summaries import component_summaries
from fleet.runner.result import FleetRun

SCHEMA_VERSION = 1


def build(run: FleetRun, streaks: dict[str, Streak] | None = None) -> dict:
    data = {"schema_version": SCHEMA_VERSION, **run.to_dict()}
    streaks = streaks or {}
    for site in data["sites"]:
        streak = streaks.get(site["site"])
        site["drifting_since"] = streak.since if streak else None
    data["summary"] = summary(run)
    data["component_summaries"] = component_summaries(run)
    return data


def summary(run: FleetRun) -> dict:
    counts: dict[str, int] = {}
    for result in run.sites:
        counts[result.status] = counts.get(result.status, 0) + 1
    return {
        "sites": len(run.sites),
        "by_status": dict(sorted(counts.items())),
        "changed_tasks": sum(len(r.changed) for r in run.sites),
        "failures": sum(len(r.failures) for r in run.sites),
    }


def write(run: FleetRun, path: Path, streaks: dict[str, Streak] | None = None) -> None:
    atomic_write(path, json.dumps(build(run, streaks), indent=2, sort_keys=True) + "\n")
