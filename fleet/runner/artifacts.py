"""Read a finished run back from ansible-runner artifacts (`artifacts/<ident>/`).

Used when the run happened elsewhere: `ansible-runner transmit | worker | process` (the
Receptor/AWX streaming path, docs/scale-out.md) leaves the same `job_events/`, `rc` and
`status` files a local run writes, so the same pure parser gives the same `RunResult`.
"""

from __future__ import annotations

from pathlib import Path

from fleet.errors import FleetError
from fleet.job_events import UnreadableEvent, read_events
from fleet.runner.events import EventParser, parse_events
from fleet.runner.result import KILLED, RunResult


def load_events(artifact_dir: Path) -> list[dict]:
    """The job events of one run, in counter order."""
    events_dir = artifact_dir / "job_events"
    if not events_dir.is_dir():
        raise FleetError(f"{artifact_dir}: no job_events/ (not ansible-runner artifacts?)")
    try:
        return read_events(events_dir)
    except UnreadableEvent as exc:
        raise FleetError(str(exc)) from exc


def result_from_artifacts(
    artifact_dir: Path, site: str, mode: str = "apply", default_component: str = "site"
) -> RunResult:
    """`RunResult` of a run from its artifact directory (rc and status files included)."""
    rc_file, status_file = artifact_dir / "rc", artifact_dir / "status"
    rc = int(rc_file.read_text().strip()) if rc_file.is_file() else None
    status = status_file.read_text().strip() if status_file.is_file() else ""
    return parse_events(
        load_events(artifact_dir),
        site,
        mode,
        rc=rc,
        cancelled=status == "canceled",
        default_component=default_component,
    )


def partial_result(site_dir: Path, site: str, mode: str, owner_pid: int) -> RunResult:
    """What is known of a site run whose fleet process died: the tasks its artifacts recorded,
    with status `killed` and the last task in the message."""
    parser = EventParser(site=site, mode=mode)
    for artifact_dir in sorted((site_dir / "artifacts").glob("*")):
        if (artifact_dir / "job_events").is_dir():
            for event in load_events(artifact_dir):
                parser.feed(event)
    result = parser.result()
    result.status = KILLED
    where = f"last task: {parser.current_task}" if parser.current_task else "no task had started"
    result.message = f"fleet (pid {owner_pid}) was killed during this site's run; {where}"
    result.run_dir = str(site_dir)
    result.events = parser.events
    return result
