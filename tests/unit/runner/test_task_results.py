"""fleet.task_results: the module results of a site run, read once from ansible-runner's event
files and shared by the component summaries."""

from __future__ import annotations

import json
from pathlib import Path

from fleet import task_results
from fleet.opnsense.summary import task_results as opnsense_results
from fleet.switches.summary import task_results as switch_results


def event(events: Path, counter: int, action: str, host: str, res: dict, kind="runner_on_ok"):
    data = {"task_action": action, "host": host, "res": res}
    body = {"counter": counter, "event": kind, "event_data": data}
    (events / f"{counter}-x.json").write_text(json.dumps(body))


def test_results_in_run_order_filtered_per_component_and_refreshed_when_events_arrive(tmp_path):
    events = tmp_path / "artifacts" / "ident" / "job_events"
    events.mkdir(parents=True)
    event(events, 12, "fleet_switch_config", "sw1", {"commit": "b"})
    event(events, 3, "ansible.legacy.fleet_opnsense_info", "fw", {"firmware": "25.7"})
    event(events, 7, "fleet_opnsense_rules", "fw", {"msg": "down"}, kind="runner_on_failed")
    event(events, 8, "fleet_opnsense_dns", "fw", {}, kind="runner_on_start")  # not a result
    (events / "9-partial.json").write_text('{"counter": 9, "event": "runner_on_ok", "ev')

    assert opnsense_results(str(tmp_path)) == [
        ("info", {"firmware": "25.7"}),
        ("rules", {"msg": "down"}),
    ]
    assert switch_results(str(tmp_path)) == [("fleet_switch_config", "sw1", {"commit": "b"})]
    assert [r.host for r in task_results.of(str(tmp_path), prefix="fleet_")] == ["fw", "fw", "sw1"]

    event(events, 13, "fleet_switch_config", "sw2", {"commit": "c"})  # the run goes on
    assert [host for _, host, _ in switch_results(str(tmp_path))] == ["sw1", "sw2"]


def test_no_artifacts_no_results(tmp_path):
    assert task_results.of(str(tmp_path), prefix="fleet_") == []
    assert task_results.of(None, prefix="fleet_") == []
