"""The switches summary of a run, read from a site's run artifacts (job events)."""

from __future__ import annotations

import json
import types

from fleet.switches.summary import switches


def event(path, counter, action, host, res, kind="runner_on_ok"):
    data = {"event": kind, "counter": counter,
            "event_data": {"task_action": action, "host": host, "res": res}}  # fmt: skip
    (path / f"{counter}-{counter:08x}-e5c1-4b1e-9a7f-000000000000.json").write_text(
        json.dumps(data)
    )


def test_lines_unmanaged_and_commit_per_switch(tmp_path):
    events = tmp_path / "run" / "artifacts" / "x" / "job_events"
    events.mkdir(parents=True)
    unmanaged = ["console idle-timeout 600", "password manager", "a", "b"]
    event(
        events,
        1,
        "fleet_switch_config",
        "sw-core.s",
        {"lines": ["vlan 9", "  name x"], "unmanaged": unmanaged, "commit": "0123456789abcdef"},
    )
    event(events, 3, "fleet_switch_config", "sw-b.s", {"failed": True, "msg": "switch sw-b: …"},
          kind="runner_on_failed")  # fmt: skip
    event(events, 4, "fleet_opnsense_vlans", "fw1.s", {"changed": True})
    run = types.SimpleNamespace(
        sites=[types.SimpleNamespace(site="0450050K", run_dir=str(tmp_path / "run"))]
    )
    view = switches(run)
    assert view["rows"] == [
        ["0450050K", "sw-b", "failed", "-", "-"],
        [
            "0450050K",
            "sw-core",
            "2",
            "console idle-timeout 600; password manager; a (+1)",
            "0123456789ab",
        ],
    ]
    assert view["sites"]["0450050K"]["sw-core.s"]["unmanaged"] == unmanaged


def test_nothing_to_say_without_switch_tasks(tmp_path):
    run = types.SimpleNamespace(
        sites=[types.SimpleNamespace(site="0450050K", run_dir=str(tmp_path))]
    )
    assert switches(run) is None
