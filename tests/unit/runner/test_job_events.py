"""Reading a run's event files back as ansible-runner does: only `<counter>-<uuid>.json`, in
counter order; the display callback's partial files and temporary files are not events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleet.errors import FleetError
from fleet.job_events import UnreadableEvent, read_events
from fleet.runner.artifacts import load_events, partial_result

UUID = "0242ac11-0002-443b-cdb1-00000000000"


def write(events: Path, name: str, body: dict) -> None:
    (events / name).write_text(json.dumps(body))


def ok_event(counter: int, task: str) -> dict:
    data = {"host": "h1", "task": task, "task_action": "ansible.builtin.command", "res": {}}
    return {
        "counter": counter,
        "uuid": f"{UUID}{counter}",
        "event": "runner_on_ok",
        "event_data": data,
    }


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "artifacts" / "ident" / "job_events"
    path.mkdir(parents=True)
    for counter in (2, 10, 9):
        write(path, f"{counter}-{UUID}{counter}.json", ok_event(counter, f"task {counter}"))
    # what a run killed in flight leaves: the callback's partial file for an event ansible-runner
    # had not read yet (its name starts with digits too) and a half-written temporary file
    write(
        path,
        f"{UUID}7-partial.json",
        {
            "uuid": f"{UUID}7",
            "event": "runner_on_ok",
            "event_data": {"host": "h1", "task": "in flight"},
        },
    )
    (path / f"11-{UUID}11.json.tmp").write_text('{"counter": 11, "ev')
    return path


def test_only_event_files_in_counter_order(events):
    assert [e["counter"] for e in read_events(events)] == [2, 9, 10]
    assert [e["counter"] for e in load_events(events.parent)] == [2, 9, 10]


def test_a_damaged_event_file_is_named_or_skipped(events):
    (events / f"12-{UUID}12.json").write_text('{"counter": 12, "ev')
    with pytest.raises(UnreadableEvent, match=f"12-{UUID}12.json"):
        read_events(events)
    with pytest.raises(FleetError, match=f"12-{UUID}12.json: unreadable event"):
        load_events(events.parent)
    assert [e["counter"] for e in read_events(events, skip_unreadable=True)] == [2, 9, 10]


def test_a_killed_run_counts_the_tasks_ansible_runner_recorded_not_the_partial_one(events):
    result = partial_result(events.parents[2], "S1", "apply", owner_pid=4242)
    assert result.status == "killed"
    assert result.hosts["h1"].ok == 3  # not 4: the in-flight event was never recorded
