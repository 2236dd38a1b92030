"""Run one prepared private_data_dir through ansible-runner and parse its events."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fleet.runner.events import EventParser
from fleet.runner.guard import end_run
from fleet.runner.prepare import SiteDir
from fleet.runner.result import ERROR, RunResult

EventCallback = Callable[[str, EventParser, dict], None]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def kill_run_processes(run_dir: Path) -> int:
    """End what is left of a cancelled run (ansible-playbook workers can outlive it)."""
    return end_run(str(run_dir.resolve()), grace=0.0, poll=0.05)


def process_env() -> dict[str, str]:
    """Put this Python's bin/ first on PATH: a venv's ansible-playbook is often not on it."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    return {"PATH": path if path.split(os.pathsep)[0] == bindir else f"{bindir}{os.pathsep}{path}"}


def keep_event(events_dir: str, event: dict) -> None:
    """Write an event where and as ansible-runner would (`job_events/<counter>-<uuid>.json`,
    mode 0600, through a temporary name, the same JSON text), in one write: ansible-runner's
    own writer streams json.dump through a codecs file, ~200 writes per event, which costs
    20-40 ms per site run (decisions.md, "fleet writes the event files")."""
    final = os.path.join(events_dir, f"{event['counter']}-{event['uuid']}.json")
    temporary = final + ".tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(event))
    os.rename(temporary, final)


def run_site(
    site_dir: SiteDir,
    site: str,
    mode: str,
    run_id: str,
    cancel: threading.Event,
    on_event: EventCallback | None = None,
    default_component: str = "site",
) -> RunResult:
    """Blocking: one ansible-runner run of one site; never raises for a failed playbook."""
    import ansible_runner  # heavy: only when a run really starts

    parser = EventParser(site=site, mode=mode, default_component=default_component)
    # ansible-runner's artifact_dir for this private_data_dir and ident
    events_dir = os.path.join(site_dir.path, "artifacts", run_id, "job_events")

    def handle(event: dict) -> bool:
        parser.feed(event)
        if on_event is not None:
            on_event(site, parser, event)
        keep_event(events_dir, event)
        return False  # written: ansible-runner need not write it again

    started, clock = now_iso(), time.monotonic()
    rc, cancelled, message = None, False, ""
    try:
        runner = ansible_runner.run(
            private_data_dir=str(site_dir.path),
            playbook=site_dir.playbook,
            ident=run_id,
            quiet=True,
            event_handler=handle,
            cancel_callback=cancel.is_set,
            # Not "jsonfile": ansible-runner would point the fact cache into artifacts/;
            # the env of the site dir points it at .fleet/facts instead.
            fact_cache_type="fleet",
            envvars=process_env(),  # merged under env/envvars, which is kept as written
        )
        rc = runner.rc
        cancelled = runner.status == "canceled"
    except Exception as exc:  # ansible-runner configuration errors: report, don't crash others
        message = f"ansible-runner failed to start: {exc}"
    finally:
        site_dir.remove_secrets()
        site_dir.end_ssh_masters()
        if cancel.is_set():
            cancelled = True
            kill_run_processes(site_dir.path)
    result = parser.result(rc=rc, cancelled=cancelled)
    if message:
        result.status, result.message = ERROR, message
    result.started, result.finished = started, now_iso()
    result.duration = time.monotonic() - clock
    result.run_dir = str(site_dir.path)
    return result
