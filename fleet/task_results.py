"""The results of a site run's module tasks, read from its ansible-runner artifacts
(`<run_dir>/artifacts/<ident>/job_events/*.json`) once per run directory: each component's
summary (opnsense, proxmox, opsi, switches) asks for its own modules' results from the same
events. A leaf module: the summaries are imported by the registry, which fleet.runner imports."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet.job_events import read_events

RESULT_EVENTS = ("runner_on_ok", "runner_on_failed")


@dataclass(frozen=True)
class TaskResult:
    action: str  # the module's short name (`fleet_opnsense_rules`, not its FQCN)
    host: str
    res: dict[str, Any]


def of(run_dir: str | None, *, prefix: str = "", actions: tuple[str, ...] = ()) -> list[TaskResult]:
    """The results of the tasks whose module starts with `prefix` or is one of `actions`, in
    the order they ran."""
    root = Path(run_dir) / "artifacts" if run_dir else None
    if root is None or not root.is_dir():
        return []
    return [
        r
        for r in _read(str(root), _signature(root))
        if (prefix and r.action.startswith(prefix)) or r.action in actions
    ]


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Changes when an event file is added or rewritten: the cache never serves a stale view of
    a run still being written."""
    found = []
    for artifact in sorted(p for p in root.iterdir() if p.is_dir()):
        events = artifact / "job_events"
        if events.is_dir():
            found.append((artifact.name, events.stat().st_mtime_ns, len(os.listdir(events))))
    return tuple(found)


@functools.lru_cache(maxsize=64)
def _read(root: str, signature: tuple[tuple[str, int, int], ...]) -> tuple[TaskResult, ...]:
    found: list[TaskResult] = []
    for ident, _, _ in signature:
        # a damaged event file is left out: that task's result is lost, the others are read
        for event in read_events(Path(root) / ident / "job_events", skip_unreadable=True):
            if event.get("event") not in RESULT_EVENTS:
                continue
            data = event.get("event_data") or {}
            res = data.get("res")
            if isinstance(res, dict):
                action = str(data.get("task_action", "")).rsplit(".", 1)[-1]
                found.append(TaskResult(action, str(data.get("host", "")), res))
    return tuple(found)
