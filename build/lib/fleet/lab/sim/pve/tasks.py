"""Worker tasks and UPIDs (PVE::UPID): a forking call returns a UPID at once; the task runs for
a configurable moment, then its effect is applied and it is `stopped` with an exit status."""

from __future__ import annotations

import re
from typing import Any

UPID_RE = re.compile(
    r"^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):"
    r"([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$"
)

KEEP_TASKS = 500  # finished tasks kept for status/log queries


def format_upid(node: str, pid: int, pstart: int, starttime: int, kind: str, ident: str, user: str):
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{kind}:{ident}:{user}:"


def parse_upid(upid: str) -> dict[str, Any] | None:
    m = UPID_RE.match(upid)
    if not m:
        return None
    return {
        "node": m.group(1),
        "pid": int(m.group(3), 16),
        "pstart": int(m.group(4), 16),
        "starttime": int(m.group(5), 16),
        "type": m.group(6),
        "id": m.group(7),
        "user": m.group(8),
    }


def new_task(
    state: dict[str, Any],
    now: float,
    kind: str,
    ident: str,
    user: str,
    effect: dict[str, Any] | None = None,
    log: list[str] | None = None,
    error: str | None = None,
) -> str:
    """Record a task in `state` and return its UPID. `effect` is applied when it ends;
    `error` makes it end with that exit status instead (and no effect)."""
    node = state["node"]["name"]
    state["next_pid"] = state.get("next_pid", 4000) + 1
    pid = state["next_pid"]
    pstart = int((now - state["node"]["boot_time"]) * 100)
    upid = format_upid(node, pid, pstart, int(now), kind, ident, user)
    state["tasks"][upid] = {
        "end": now + float(state["settings"]["task_seconds"]),
        "effect": effect,
        "error": error,
        "log": list(log or []),
        "done": False,
        "exitstatus": None,
    }
    _prune(state)
    return upid


def _prune(state: dict[str, Any]) -> None:
    tasks = state["tasks"]
    if len(tasks) <= KEEP_TASKS:
        return
    finished = [u for u, t in tasks.items() if t["done"]]
    for upid in finished[: len(tasks) - KEEP_TASKS]:
        del tasks[upid]


def due(state: dict[str, Any], now: float) -> list[str]:
    """UPIDs of running tasks whose time is up, oldest first."""
    ready = [(t["end"], u) for u, t in state["tasks"].items() if not t["done"] and t["end"] <= now]
    return [u for _, u in sorted(ready)]


def finish(task: dict[str, Any], error: str | None) -> None:
    task["done"] = True
    task["exitstatus"] = "OK" if error is None else error.rstrip("\n")
    task["log"].append("TASK OK" if error is None else f"TASK ERROR: {error.rstrip()}")


def status(upid: str, task: dict[str, Any]) -> dict[str, Any]:
    info = parse_upid(upid) or {}
    out = {"upid": upid, **info, "status": "stopped" if task["done"] else "running"}
    if task["done"]:
        out["exitstatus"] = task["exitstatus"]
    return out
