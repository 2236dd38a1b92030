"""JUnit XML: a testcase per site × component; drift items and failures are failures, and a
component that did not run (not implemented, no hosts on the site, not selected, not reached)
is a skipped testcase saying why."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from fleet.fsutil import atomic_write
from fleet.report.diff import diffs_text
from fleet.runner.result import (
    CANCELLED,
    ERROR,
    KILLED,
    LOCKED,
    NOT_RUN,
    RAN,
    FleetRun,
    RunResult,
)


def _cases(result: RunResult) -> list[tuple[str, list[str], list[str]]]:
    """(component, drift texts, failure texts) for each component the site ran."""
    skipped = {o.component for o in result.outcomes if o.outcome != RAN}
    components = [c for c in result.components if c not in skipped]
    for item in [*result.changed, *result.failures]:
        if item.component not in components:
            components.append(item.component)
    cases = []
    for component in components or ([] if result.outcomes else ["site"]):
        drift = [
            f"{c.host}: {c.task} ({c.action})\n{diffs_text(c.diff)}".rstrip()
            for c in result.changed
            if c.component == component
        ]
        failed = [
            f"{f.host}: {f.task}: {'unreachable: ' if f.unreachable else ''}{f.message}"
            for f in result.failures
            if f.component == component
        ]
        cases.append((component, drift, failed))
    return cases


def build(run: FleetRun) -> ET.Element:
    suites = ET.Element("testsuites", name=f"fleet {run.command}", id=run.run_id)
    suite = ET.SubElement(
        suites, "testsuite", name=f"fleet {run.command} {run.run_id}", timestamp=run.started
    )
    tests = failures = errors = skipped = 0
    for result in run.sites:
        if result.status in (ERROR, KILLED, CANCELLED, LOCKED, NOT_RUN):
            case = ET.SubElement(
                suite, "testcase", classname=result.site, name="run", time=f"{result.duration:.3f}"
            )
            tests += 1
            if result.status in (ERROR, KILLED):
                errors += 1
                message = "run error" if result.status == ERROR else "killed"
                ET.SubElement(case, "error", message=message).text = result.message
            else:
                skipped += 1
                ET.SubElement(case, "skipped", message=result.status).text = result.message
            continue
        for outcome in result.outcomes:
            if outcome.outcome == RAN:
                continue
            tests += 1
            skipped += 1
            case = ET.SubElement(suite, "testcase", classname=result.site, name=outcome.component)
            ET.SubElement(case, "skipped", message=outcome.label)
        for component, drift, failed in _cases(result):
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=result.site,
                name=component,
                time=f"{result.duration:.3f}",
            )
            if failed:
                failures += 1
                node = ET.SubElement(
                    case, "failure", message=f"{len(failed)} failed task(s)", type="failed"
                )
                node.text = "\n\n".join(failed + drift)
            elif drift:
                failures += 1
                word = "drift item(s)" if run.mode == "check" else "changed task(s)"
                node = ET.SubElement(
                    case,
                    "failure",
                    message=f"{len(drift)} {word}",
                    type="drift" if run.mode == "check" else "changed",
                )
                node.text = "\n\n".join(drift)
    for element in (suites, suite):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    return suites


def render(run: FleetRun) -> str:
    tree = build(run)
    ET.indent(tree)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"


def write(run: FleetRun, path: Path) -> None:
    atomic_write(path, render(run))
