"""ansible-runner events → `RunResult`: a pure parser, also fed live for progress.

Event shapes are ansible-runner's (`event`, `event_data`, `stdout`); see the recorded files
under tests/fixtures/events/. Counts follow Ansible's recap: `ok` includes `changed`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fleet import components as table
from fleet.runner.result import (
    CANCELLED,
    CHANGED,
    DRIFT,
    ERROR,
    FAILED,
    OK,
    UNREACHABLE,
    ChangedTask,
    Failure,
    HostCounts,
    RunResult,
)

DIFF_KEYS = ("before", "after", "before_header", "after_header", "prepared")
MESSAGE_LIMIT = 2000
NO_LOG_MESSAGE = "output hidden by no_log"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _changed(event: dict, res: object) -> bool:
    """Did this task change something? A no_log result is censored: only its line says so."""
    if isinstance(res, dict) and "changed" in res:
        return bool(res["changed"])
    if not isinstance(res, dict) or "censored" not in res:
        return False
    return ANSI.sub("", event.get("stdout") or "").lstrip().startswith("changed:")


def component_of(role: str, play: str, default: str, roles: dict[str, str], known: set[str]) -> str:
    """Which fleet component a task belongs to: its role (`roles`: role → component), else its
    play's name prefix when that is a component name, else `default`."""
    if role:
        short = role.rsplit(".", 1)[-1]
        if short in roles:
            return roles[short]
    head = play.strip().split(" ", 1)[0].split(":", 1)[0].strip(" |").lower()
    if head in known:
        return head
    return default


def _diffs(res: dict) -> list[dict]:
    found: list[dict] = []
    raw = res.get("diff")
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, dict):
            kept = {k: item[k] for k in DIFF_KEYS if k in item}
            if any(k in kept for k in ("before", "after", "prepared")):
                found.append(kept)
    for sub in res.get("results") or []:
        if isinstance(sub, dict) and sub.get("changed"):
            found.extend(_diffs(sub))
    return found


def _message(res: dict) -> str:
    if not isinstance(res, dict):
        return str(res)[:MESSAGE_LIMIT]
    if "censored" in res:
        return NO_LOG_MESSAGE
    parts = [str(res.get("msg") or "").strip()]
    for key in ("stderr", "module_stderr", "stdout"):
        text = str(res.get(key) or "").strip()
        if text:
            parts.append(text)
            break
    if not any(parts):
        for sub in res.get("results") or []:
            if isinstance(sub, dict) and sub.get("failed"):
                return _message(sub)
    message = "\n".join(p for p in parts if p) or "failed without a message"
    return message[:MESSAGE_LIMIT]


@dataclass
class EventParser:
    """Accumulates events of one site run; `result()` gives the `RunResult` so far."""

    site: str
    mode: str = "apply"
    default_component: str = "site"
    events: int = 0
    current_task: str = ""
    task_hosts: set[str] = field(default_factory=set)
    hosts: dict[str, HostCounts] = field(default_factory=dict)
    changed: list[ChangedTask] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    by_component: dict[str, HostCounts] = field(default_factory=dict)  # summed over hosts
    versions: dict[tuple[str, str], dict] = field(default_factory=dict)  # (host, name) → seen
    stats: dict | None = None
    tail: list[str] = field(default_factory=list)
    handler_tasks: set[str] = field(default_factory=set)  # task uuids of handlers
    # the component table, read once per parser (tests may add a component)
    roles: dict[str, str] = field(default_factory=table.by_role)
    known: set[str] = field(default_factory=lambda: set(table.names()))

    def _host(self, name: str) -> HostCounts:
        if name not in self.hosts:
            self.hosts[name] = HostCounts()
        return self.hosts[name]

    def feed(self, event: dict) -> None:
        self.events += 1
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            # ansible-runner reports a handler as a task start with is_conditional=True.
            if kind == "playbook_on_handler_task_start" or data.get("is_conditional"):
                self.handler_tasks.add(data.get("task_uuid", ""))
            self.current_task = data.get("task", "") or data.get("name", "")
            self.task_hosts = set()
            return
        if kind == "playbook_on_stats":
            self.stats = data
            return
        if kind in ("verbose", "error") or (kind == "" and event.get("stdout")):
            text = (event.get("stdout") or "").strip()
            if text:
                self.tail = (self.tail + text.splitlines())[-20:]
            return
        if not kind.startswith("runner_on_") or kind == "runner_on_start":
            return  # item events, retries, starts: the aggregate runner_on_* event follows
        host = data.get("host", "")
        res = data.get("res") or {}
        task = data.get("task", "") or self.current_task
        action = data.get("resolved_action") or data.get("task_action", "")
        component = component_of(
            data.get("role", ""),
            data.get("play", ""),
            self.default_component,
            self.roles,
            self.known,
        )
        if component not in self.components:
            self.components.append(component)
        per_component = self.by_component.setdefault(component, HostCounts())
        counts = self._host(host)
        self.task_hosts.add(host)
        if kind == "runner_on_ok":
            counts.ok += 1
            per_component.ok += 1
            seen = res.get("fleet_version") if isinstance(res, dict) else None
            if isinstance(seen, dict) and seen.get("name") and seen.get("version"):
                key = (host, str(seen["name"]))
                self.versions[key] = {"host": host, **{k: str(v) for k, v in seen.items()}}
            if _changed(event, res):
                counts.changed += 1
                per_component.changed += 1
                if self.mode == "check" and data.get("task_uuid") in self.handler_tasks:
                    # A handler a drifted task notified: a consequence, not a drift item.
                    return
                self.changed.append(
                    ChangedTask(
                        host=host,
                        task=task,
                        action=action,
                        component=component,
                        role=data.get("role", ""),
                        diff=_diffs(res) if isinstance(res, dict) else [],
                    )
                )
        elif kind == "runner_on_failed":
            if data.get("ignore_errors"):
                counts.ignored += 1
                per_component.ignored += 1
            else:
                counts.failed += 1
                per_component.failed += 1
                self.failures.append(Failure(host, task, action, component, _message(res)))
        elif kind == "runner_on_unreachable":
            counts.unreachable += 1
            per_component.unreachable += 1
            self.failures.append(Failure(host, task, action, component, _message(res), True))
        elif kind == "runner_on_skipped":
            counts.skipped += 1
            per_component.skipped += 1

    def _final_counts(self) -> dict[str, HostCounts]:
        if not self.stats:
            return self.hosts
        stat_keys = {
            "ok": "ok",
            "changed": "changed",
            "failures": "failed",
            "dark": "unreachable",
            "skipped": "skipped",
            "rescued": "rescued",
            "ignored": "ignored",
        }
        final: dict[str, HostCounts] = {}
        for key, attr in stat_keys.items():
            for host, value in (self.stats.get(key) or {}).items():
                final.setdefault(host, HostCounts())
                setattr(final[host], attr, int(value))
        for host in self.hosts:
            final.setdefault(host, HostCounts())
        return final

    def result(self, rc: int | None = None, cancelled: bool = False) -> RunResult:
        hosts = self._final_counts()
        failures = self.failures
        if self.stats:
            # A failure a block rescued is not a failure in the recap: drop it here too.
            failing = {h for h, c in hosts.items() if c.failed or c.unreachable}
            failures = [f for f in failures if f.host in failing]
        result = RunResult(
            site=self.site,
            mode=self.mode,
            hosts=hosts,
            changed=list(self.changed),
            failures=list(failures),
            components=list(self.components),
            component_counts={k: HostCounts(**v.to_dict()) for k, v in self.by_component.items()},
            versions=[self.versions[k] for k in sorted(self.versions)],
            rc=rc,
            events=self.events,
        )
        if cancelled:
            result.status = CANCELLED
            result.message = "cancelled"
        elif any(not f.unreachable for f in failures):
            result.status = FAILED
        elif failures:
            result.status = UNREACHABLE
        elif rc not in (0, None) or (rc == 0 and self.stats is None and self.events == 0):
            result.status = ERROR
            result.message = "\n".join(self.tail[-10:]) or f"ansible-playbook exited with {rc}"
        elif result.changed or result.totals().changed:
            result.status = DRIFT if self.mode == "check" else CHANGED
        else:
            result.status = OK
        return result


def parse_events(
    events: Iterable[dict],
    site: str,
    mode: str = "apply",
    rc: int | None = None,
    cancelled: bool = False,
    default_component: str = "site",
) -> RunResult:
    """All events of one site run → its RunResult (pure; events in counter order)."""
    parser = EventParser(site=site, mode=mode, default_component=default_component)
    for event in events:
        parser.feed(event)
    return parser.result(rc=rc, cancelled=cancelled)
