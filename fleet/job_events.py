"""The event files of an ansible-runner run (`artifacts/<ident>/job_events/`), read the way
ansible-runner reads them back: only `<counter>-<uuid>.json`, in counter order. The display
callback's `<uuid>-partial.json` (left behind when a run is killed between the callback and
ansible-runner's loop) and temporary files are not events. A leaf module (standard library
only): the runner and the component summaries both read events through it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

EVENT_FILE = re.compile(r"^(\d+)-.+\.json$")


class UnreadableEvent(ValueError):
    """An event file that could not be read or parsed; the message names the file."""


def event_paths(events_dir: Path) -> list[Path]:
    """The event files in `events_dir`, in counter order."""
    found = []
    for name in os.listdir(events_dir):
        match = EVENT_FILE.match(name)
        if match and not name.endswith("-partial.json"):
            found.append((int(match.group(1)), name))
    return [events_dir / name for _, name in sorted(found)]


def read_events(events_dir: Path, skip_unreadable: bool = False) -> list[dict]:
    """The events of one run, in counter order. An unreadable file raises UnreadableEvent, or
    is left out with `skip_unreadable` (a reader that must not stop on one damaged file)."""
    events = []
    for path in event_paths(events_dir):
        try:
            events.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            if not skip_unreadable:
                raise UnreadableEvent(f"{path}: unreadable event ({exc})") from exc
    return events
