"""Who hears about a run as it happens: progress on a terminal, the run history.

The runner calls these hooks and knows nothing of who listens, so `fleet.runner` never
imports the history or the CLI. Each hook does nothing unless a subclass overrides it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: the parser module does not import this one
    from fleet.runner.events import EventParser
    from fleet.runner.result import FleetRun, RunResult


class RunObserver:
    def run_started(self, run: FleetRun) -> None:
        """The run exists (id, command, user); no site has started."""

    def site_started(self, site: str) -> None:
        """A site took its lock and is being prepared (called from its worker thread)."""

    def event(self, site: str, parser: EventParser, event: dict) -> None:
        """One ansible-runner event of a site (worker thread); `parser` holds the state so far."""

    def site_finished(self, run: FleetRun, result: RunResult) -> None:
        """A site's final result (called from the thread that waits on the sites)."""

    def run_finished(self, run: FleetRun) -> None:
        """Every site is done, cancelled or not started; `run.finished` is set."""


class Observers(RunObserver):
    """Several observers as one, called in order."""

    def __init__(self, observers: Iterable[RunObserver]):
        self.observers = [o for o in observers if o is not None]

    def run_started(self, run: FleetRun) -> None:
        for o in self.observers:
            o.run_started(run)

    def site_started(self, site: str) -> None:
        for o in self.observers:
            o.site_started(site)

    def event(self, site: str, parser: EventParser, event: dict) -> None:
        for o in self.observers:
            o.event(site, parser, event)

    def site_finished(self, run: FleetRun, result: RunResult) -> None:
        for o in self.observers:
            o.site_finished(run, result)

    def run_finished(self, run: FleetRun) -> None:
        for o in self.observers:
            o.run_finished(run)
