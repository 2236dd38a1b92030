"""Where fleet reads and writes: the project root, found once, and its `.fleet/` state.

The project root is the nearest directory holding `ansible.cfg` and `playbooks/` (a fleet
checkout); the state directory is `<root>/.fleet` unless FLEET_STATE_DIR says otherwise
(tests point it at a temporary directory). Every other module asks a `Paths` for a location
instead of joining ".fleet" itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "FLEET_STATE_DIR"
BACKUP_ENV = "FLEET_BACKUP_DIR"
STATE_DIR_NAME = ".fleet"
ROOT_MARKERS = ("ansible.cfg", "playbooks")


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` (default: cwd) that is a fleet project, else
    the working directory (a registry kept outside any checkout still gets a state directory)."""
    start = Path(start or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if all((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return Path.cwd().resolve()


@dataclass(frozen=True)
class Paths:
    root: Path  # the project: playbooks/, roles/, inventories/…
    state: Path  # .fleet: history, runs, locks, facts, caches, the lab

    @classmethod
    def find(cls, start: Path | None = None) -> Paths:
        """The project at or above `start` (default: the working directory)."""
        return cls.at(find_root(start))

    @classmethod
    def at(cls, root: Path) -> Paths:
        """The project at `root`, as given."""
        root = Path(root).resolve()
        override = os.environ.get(STATE_ENV)
        state = Path(override).resolve() if override else root / STATE_DIR_NAME
        return cls(root=root, state=state)

    @property
    def state_db(self) -> Path:
        return self.state / "state.db"

    @property
    def runs(self) -> Path:
        return self.state / "runs"

    @property
    def locks(self) -> Path:
        return self.state / "locks"

    @property
    def facts(self) -> Path:
        return self.state / "facts"

    @property
    def cache(self) -> Path:
        return self.state / "cache"

    @property
    def backups(self) -> Path:
        """The git repository of device configurations (fleet.backups)."""
        override = os.environ.get(BACKUP_ENV)
        return Path(override).resolve() if override else self.state / "backups"

    @property
    def lab(self) -> Path:
        return self.state / "lab"

    @property
    def host_overlay(self) -> Path:
        """Per-host connection variables known only at run time (the lab writes them)."""
        return self.lab / "hosts.json"

    def run_dir(self, run_id: str, site: str) -> Path:
        return self.runs / run_id / site
