"""Run-wide views a component adds to the reports (its `summary` in the component table).

A summary function takes the `FleetRun` and returns None (nothing to say) or a dict:
`title` (str), `columns` (list of str), `rows` (list of lists of str), optional `note` (str)
and any other JSON-serialisable keys for machines. The terminal, JSON and HTML reports show
each one after the per-site results.
"""

from __future__ import annotations

import importlib

from fleet import components
from fleet.runner.result import FleetRun


def component_summaries(run: FleetRun) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for component in components.table():
        if not component.summary:
            continue
        module_name, attr = component.summary.split(":")
        summary = getattr(importlib.import_module(module_name), attr)(run)
        if summary:
            found[component.name] = summary
    return found
