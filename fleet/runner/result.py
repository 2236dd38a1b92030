"""What a run produced: per site `RunResult`, per command `FleetRun`.

Plain dataclasses with `to_dict()`; the reports and the history are built from these only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from fleet.errors import EXIT_CHANGES, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK

EXIT_KILLED = 137  # 128 + SIGKILL: what the shell saw of a fleet process killed mid-run

# Site statuses. `FleetRun.exit_code` ranks them (interrupted > failing > locked > drift);
# the reports colour them through their own tables.
CANCELLED = "cancelled"
ERROR = "error"  # ansible-playbook itself failed (syntax error, missing playbook, …)
FAILED = "failed"  # a task failed
UNREACHABLE = "unreachable"
LOCKED = "locked"
DRIFT = "drift"  # check mode found changes
CHANGED = "changed"  # apply mode changed something
OK = "ok"
NOT_RUN = "not_run"  # a rollout stopped before this site's ring
KILLED = "killed"  # the fleet process died (SIGKILL, OOM…) during this site's run (history)

FAILING = frozenset({ERROR, FAILED, UNREACHABLE, KILLED})


@dataclass
class HostCounts:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ChangedTask:
    """A task that changed (apply) or would change (check) something; in check mode a drift item."""

    host: str
    task: str
    action: str
    component: str
    role: str = ""
    diff: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Failure:
    host: str
    task: str
    action: str
    component: str
    message: str
    unreachable: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


# What happened to one component of a site in a run (every component of the table is listed).
RAN = "ran"
NO_HOSTS = "no_hosts"
NOT_IMPLEMENTED = "not_implemented"
NOT_SELECTED = "not_selected"  # --component picked another one
NOT_REACHED = "not_reached"  # selected, with hosts, but no task of it ran (failure, limit, tags)
EXCLUDED = "excluded"  # its hosts on this site are left out of runs (the lab at scale), with why
OUTCOME_LABELS = {
    RAN: "ran",
    NO_HOSTS: "no hosts on this site",
    NOT_IMPLEMENTED: "not implemented",
    NOT_SELECTED: "not selected",
    NOT_REACHED: "not reached",
    EXCLUDED: "excluded",
}


@dataclass
class ComponentOutcome:
    component: str
    outcome: str  # one of OUTCOME_LABELS
    hosts: int = 0  # the site's hosts in the component's group
    counts: HostCounts = field(default_factory=HostCounts)  # task results, summed over hosts
    note: str = ""  # why, when the outcome needs one (excluded)

    @property
    def label(self) -> str:
        if self.outcome != RAN:
            label = OUTCOME_LABELS[self.outcome]
            return f"{label}: {self.note}" if self.note else label
        c = self.counts
        parts = [f"ok={c.ok}", f"changed={c.changed}"]
        parts += [
            f"{k}={v}" for k, v in (("failed", c.failed), ("unreachable", c.unreachable)) if v
        ]
        return "ran (" + " ".join(parts) + ")"

    def to_dict(self) -> dict:
        return {
            "component": self.component,
            "outcome": self.outcome,
            "label": self.label,
            "hosts": self.hosts,
            **({"note": self.note} if self.note else {}),
            **self.counts.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ComponentOutcome:
        counts = {k: int(data.get(k, 0)) for k in HostCounts().to_dict()}
        return cls(
            data["component"],
            data["outcome"],
            int(data.get("hosts", 0)),
            HostCounts(**counts),
            data.get("note", ""),
        )


@dataclass
class RunResult:
    """One site's run, built from its ansible-runner events."""

    site: str
    mode: str = "apply"  # apply | check
    status: str = OK
    hosts: dict[str, HostCounts] = field(default_factory=dict)
    changed: list[ChangedTask] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    components: list[str] = field(default_factory=list)  # components whose tasks ran
    # per component, from the events (not serialised: `outcomes` carries it)
    component_counts: dict[str, HostCounts] = field(default_factory=dict)
    outcomes: list[ComponentOutcome] = field(default_factory=list)  # every component
    versions: list[dict] = field(default_factory=list)  # {host, name, version, component} seen
    started: str = ""
    finished: str = ""
    duration: float = 0.0
    rc: int | None = None
    message: str = ""
    run_dir: str = ""
    events: int = 0

    def totals(self) -> HostCounts:
        total = HostCounts()
        for counts in self.hosts.values():
            for name, value in counts.to_dict().items():
                setattr(total, name, getattr(total, name) + value)
        return total

    @property
    def failing(self) -> bool:
        return self.status in FAILING

    def to_dict(self) -> dict:
        return {
            "site": self.site,
            "mode": self.mode,
            "status": self.status,
            "hosts": {h: c.to_dict() for h, c in sorted(self.hosts.items())},
            "totals": self.totals().to_dict(),
            "changed": [c.to_dict() for c in self.changed],
            "failures": [f.to_dict() for f in self.failures],
            "components": list(self.components),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "versions": list(self.versions),
            "started": self.started,
            "finished": self.finished,
            "duration": round(self.duration, 3),
            "rc": self.rc,
            "message": self.message,
            "run_dir": self.run_dir,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        return cls(
            site=data["site"],
            mode=data.get("mode", "apply"),
            status=data.get("status", OK),
            hosts={h: HostCounts(**c) for h, c in data.get("hosts", {}).items()},
            changed=[ChangedTask(**c) for c in data.get("changed", [])],
            failures=[Failure(**f) for f in data.get("failures", [])],
            components=list(data.get("components", [])),
            outcomes=[ComponentOutcome.from_dict(o) for o in data.get("outcomes", [])],
            versions=list(data.get("versions", [])),
            started=data.get("started", ""),
            finished=data.get("finished", ""),
            duration=float(data.get("duration", 0.0)),
            rc=data.get("rc"),
            message=data.get("message", ""),
            run_dir=data.get("run_dir", ""),
        )


@dataclass
class FleetRun:
    """One fleet command (deploy/plan/drift) over one or more sites."""

    run_id: str
    command: str  # deploy | plan | drift
    mode: str  # apply | check
    playbook: str = ""
    component: str | None = None
    started: str = ""
    finished: str = ""
    user: str = ""
    sites: list[RunResult] = field(default_factory=list)
    interrupted: bool = False
    stopped: str = ""  # why a rollout stopped early, if it did
    killed: bool = False  # (history) the fleet process died before the run ended

    @property
    def seconds(self) -> float:
        """Wall time of the whole run, from its start and finish stamps (0 if unknown)."""
        try:
            end, start = datetime.fromisoformat(self.finished), datetime.fromisoformat(self.started)
        except (TypeError, ValueError):
            return 0.0
        return (end - start).total_seconds()

    def by_status(self, *statuses: str) -> list[RunResult]:
        return [r for r in self.sites if r.status in statuses]

    @property
    def exit_code(self) -> int:
        """DESIGN.md: 130 interrupted > 1 failed > 4 locked > 2 changes pending > 0; a run
        whose fleet process was killed (known from the history only) ended with 137."""
        if self.killed:
            return EXIT_KILLED
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.stopped or any(r.failing for r in self.sites):
            return EXIT_FAILED
        if self.by_status(LOCKED):
            return EXIT_LOCKED
        if self.mode == "check" and self.by_status(DRIFT):
            return EXIT_CHANGES
        return EXIT_OK

    @property
    def status(self) -> str:
        if self.killed:
            return KILLED
        if self.interrupted:
            return "interrupted"
        return {
            EXIT_OK: "ok",
            EXIT_FAILED: "failed",
            EXIT_LOCKED: "locked",
            EXIT_CHANGES: "drift",
        }[self.exit_code]

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "mode": self.mode,
            "playbook": self.playbook,
            "component": self.component,
            "started": self.started,
            "finished": self.finished,
            "user": self.user,
            "interrupted": self.interrupted,
            "killed": self.killed,
            "stopped": self.stopped,
            "status": self.status,
            "exit_code": self.exit_code,
            "sites": [r.to_dict() for r in self.sites],
        }
