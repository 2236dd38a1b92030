"""Reports built from a `FleetRun`: JSON, JUnit XML, Prometheus textfile, HTML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class ReportTargets:
    """Where to write each report (None: not asked for)."""

    html: Path | None = None
    junit: Path | None = None
    metrics: Path | None = None
    json: Path | None = None


def write_reports(run, registry, history, targets: ReportTargets) -> list[tuple[str, Path]]:
    """`history`: the HistoryView of the run (streaks, changes since the previous check)."""
    """Write the reports asked for; returns (kind, path) of each one written."""
    from fleet.report import html, json_report, junit, prometheus

    written: list[tuple[str, Path]] = []
    if targets.html:
        infos = {
            uai: html.SiteInfo(site.name, site.department, site.city)
            for uai, site in registry.sites.items()
        }
        html.write(run, targets.html, infos, history)
        written.append(("HTML report", targets.html))
    if targets.junit:
        junit.write(run, targets.junit)
        written.append(("JUnit XML", targets.junit))
    if targets.metrics:
        prometheus.write(run, targets.metrics, history)
        written.append(("Prometheus textfile", targets.metrics))
    if targets.json:
        json_report.write(run, targets.json, history)
        written.append(("JSON report", targets.json))
    return written
