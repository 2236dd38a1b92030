"""HTML drift report: `fleet/report/templates/drift.html.j2` (package data, loaded with
importlib.resources so an installed wheel renders it too), self-contained (inline CSS, no JS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.history import DriftChange, HistoryView
from fleet.report.diff import diffs_text
from fleet.report.summaries import component_summaries
from fleet.runner.result import FleetRun, RunResult

TEMPLATE = "drift.html.j2"
STATUS_LABEL = {
    "ok": "in sync",
    "changed": "changed",
    "drift": "drifting",
    "failed": "failed",
    "unreachable": "unreachable",
    "error": "error",
    "locked": "locked",
    "cancelled": "cancelled",
    "not_run": "not run",
    "killed": "killed",
}


# The region's departments (DESIGN.md: the UAI's 2nd and 3rd digits).
DEPARTMENT_NAMES = {
    18: "Cher",
    28: "Eure-et-Loir",
    36: "Indre",
    37: "Indre-et-Loire",
    41: "Loir-et-Cher",
    45: "Loiret",
}


def diff_lines(text: str) -> list[tuple[str, str]]:
    """Unified diff text → (css class, line) for colouring: add, del, hunk, head or ctx."""
    lines = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append((kind, line))
    return lines


@dataclass
class SiteInfo:
    """What the registry says about a site (name, department, city) for the overview."""

    name: str = ""
    department: int | None = None
    city: str = ""


@dataclass
class SiteView:
    result: RunResult
    info: SiteInfo
    since: str | None
    drift: list[dict] = field(default_factory=list)
    change: DriftChange | None = None  # against the site's previous check


def department_of(uai: str, info: SiteInfo) -> int:
    # DESIGN: a UAI's first three digits are 0 + the department.
    if info.department is not None:
        return info.department
    return int(uai[1:3]) if uai[1:3].isdigit() else 0


def context(
    run: FleetRun,
    sites: dict[str, SiteInfo] | None = None,
    history: HistoryView | None = None,
) -> dict:
    sites = sites or {}
    streaks = history.streaks if history else {}
    changes = history.changes if history else {}
    views = []
    for result in run.sites:
        info = sites.get(result.site, SiteInfo())
        streak = streaks.get(result.site)
        change = changes.get(result.site)
        new = {(d["host"], d["component"], d["task"]) for d in change.new} if change else set()
        drift = []
        for c in result.changed:
            text = diffs_text(c.diff)
            drift.append(
                {
                    "host": c.host,
                    "component": c.component,
                    "task": c.task,
                    "action": c.action,
                    "diff": text,
                    "lines": diff_lines(text),
                    "new": (c.host, c.component, c.task) in new,
                }
            )
        views.append(SiteView(result, info, streak.since if streak else None, drift, change))
    departments: dict[int, list[SiteView]] = {}
    for view in views:
        departments.setdefault(department_of(view.result.site, view.info), []).append(view)
    counts: dict[str, int] = {}
    for result in run.sites:
        counts[result.status] = counts.get(result.status, 0) + 1
    return {
        "run": run,
        "departments": [
            (number, DEPARTMENT_NAMES.get(number, ""), dept_views)
            for number, dept_views in sorted(departments.items())
        ],
        "views": views,
        "counts": sorted(counts.items()),
        "summaries": component_summaries(run),
        "labels": STATUS_LABEL,
        "changes": {
            "new": [(s, d) for s, c in sorted(changes.items()) for d in c.new],
            "resolved": [(s, d) for s, c in sorted(changes.items()) for d in c.resolved],
            "still": sum(len(c.still) for c in changes.values()),
            "compared": sum(1 for c in changes.values() if c.previous_run),
        },
    }


def _template_source(name: str) -> str:
    return resources.files("fleet.report").joinpath("templates", name).read_text(encoding="utf-8")


def render(
    run: FleetRun,
    sites: dict[str, SiteInfo] | None = None,
    history: HistoryView | None = None,
) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(TEMPLATE).render(**context(run, sites, history))


def write(run: FleetRun, path: Path, sites=None, history: HistoryView | None = None) -> None:
    atomic_write(path, render(run, sites, history))
