"""Every component of a site, with what a run did to it: nothing is skipped quietly."""

from __future__ import annotations

from fleet import components
from fleet.runner.result import (
    EXCLUDED,
    NO_HOSTS,
    NOT_IMPLEMENTED,
    NOT_REACHED,
    NOT_SELECTED,
    RAN,
    ComponentOutcome,
    HostCounts,
)


def component_outcomes(
    groups: dict[str, list[str]],
    selected: list[str] | None,
    counts: dict[str, HostCounts],
    excluded: dict[str, str] | None = None,
) -> list[ComponentOutcome]:
    """One outcome per component of the table, in deploy order.

    `groups`: the site's inventory groups and their hosts; `selected`: the components the run
    was asked for (None: a custom playbook, judged by its events only); `counts`: task results
    per component from the run's events; `excluded`: group → why its hosts were left out.
    """
    found = []
    for component in components.table():
        hosts = len(groups.get(component.group, []))
        note = ""
        if not hosts and component.group in (excluded or {}):
            outcome, note = EXCLUDED, (excluded or {})[component.group]
        elif not hosts:
            outcome = NO_HOSTS
        elif not component.implemented:
            outcome = NOT_IMPLEMENTED
        elif selected is not None and component.name not in selected:
            outcome = NOT_SELECTED
        elif component.name in counts:
            outcome = RAN
        else:
            outcome = NOT_REACHED
        ran = counts.get(component.name, HostCounts()) if outcome == RAN else HostCounts()
        found.append(ComponentOutcome(component.name, outcome, hosts, ran, note))
    return found
