"""Event parsing, on event files recorded from real ansible-runner runs (record.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleet.components import by_role, names
from fleet.runner.events import NO_LOG_MESSAGE, EventParser, component_of, parse_events

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "events"
DC, PVE = "dc1.0450050k.test", "pve1.0450050k.test"


def load(name: str):
    meta = json.loads((EVENTS / f"{name}.meta.json").read_text())
    events = [json.loads(line) for line in (EVENTS / f"{name}.jsonl").read_text().splitlines()]
    return events, meta


def parsed(name: str):
    events, meta = load(name)
    return parse_events(
        events, meta["site"], meta["mode"], rc=meta["rc"], cancelled=meta["cancelled"]
    )


def test_first_converge_reports_every_change_per_host():
    result = parsed("converge_first")
    assert result.status == "changed"
    assert result.hosts[DC].changed == 3  # motd, conf line, realm (dc only)
    assert result.hosts[PVE].changed == 2
    assert result.hosts[DC].ok == 4 and result.hosts[PVE].ok == 3  # ok includes changed
    assert {(c.host, c.task) for c in result.changed} == {
        (DC, "Write the motd file"),
        (PVE, "Write the motd file"),
        (DC, "Ensure the config line"),
        (PVE, "Ensure the config line"),
        (DC, "Write the realm file"),
    }
    assert result.failures == []
    assert result.components == ["base", "samba_ad"]
    realm = next(c for c in result.changed if c.task == "Write the realm file")
    assert realm.component == "samba_ad" and realm.action == "ansible.builtin.copy"


def test_second_converge_is_ok_with_nothing_changed():
    result = parsed("converge_second")
    assert result.status == "ok"
    assert result.changed == []
    assert result.totals().changed == 0
    assert result.totals().ok == 7


def test_check_run_turns_a_tampered_file_into_one_drift_item_with_its_diff():
    result = parsed("converge_drift")
    assert result.status == "drift"
    assert len(result.changed) == 1
    item = result.changed[0]
    assert (item.host, item.task, item.component) == (DC, "Write the motd file", "base")
    assert item.diff[0]["before"] == "tampered\n"
    assert item.diff[0]["after"] == "managed by fleet\n"


def test_failure_keeps_module_message_and_ignores_ignored_errors():
    result = parsed("fail")
    assert result.status == "failed"
    assert [(f.host, f.task) for f in result.failures] == [(DC, "Fail on the dc only")]
    assert result.failures[0].message == f"disk /srv is full on {DC}"
    assert result.hosts[DC].failed == 1 and result.hosts[PVE].failed == 0
    assert result.hosts[DC].ignored == 1 and result.hosts[PVE].ignored == 1
    # the other host carried on after the dc failed
    assert [c.host for c in result.changed] == [PVE]


def test_unreachable_host_is_a_failure_marked_unreachable():
    result = parsed("unreachable")
    assert result.status == "unreachable"
    assert [f.host for f in result.failures] == [DC]
    assert result.failures[0].unreachable
    assert (
        "ssh" in result.failures[0].message.lower()
        or "connect" in result.failures[0].message.lower()
    )
    assert result.hosts[DC].unreachable == 1
    assert result.hosts[PVE].ok == 1


def test_cancelled_run_keeps_what_happened_before_the_cancel():
    result = parsed("cancelled")
    assert result.status == "cancelled"
    assert {c.task for c in result.changed} == {"Quick marker"}
    assert result.hosts[DC].changed == 1  # counted from events: there is no recap


def test_live_parser_tracks_current_task_and_hosts_done():
    events, meta = load("converge_first")
    parser = EventParser(site=meta["site"])
    seen = []
    for event in events:
        parser.feed(event)
        if event["event"] in ("runner_on_ok", "runner_on_failed"):
            seen.append((parser.current_task, len(parser.task_hosts)))
    assert ("Write the motd file", 2) in seen
    assert ("Write the realm file", 1) in seen


def test_failed_playbook_without_task_events_is_an_error_with_its_output():
    events = [{"event": "verbose", "stdout": "ERROR! the playbook: nope.yml could not be found"}]
    result = parse_events(events, "0450050K", rc=1)
    assert result.status == "error"
    assert "could not be found" in result.message


def test_no_log_failure_does_not_leak_output():
    event = {
        "event": "runner_on_failed",
        "event_data": {
            "host": DC,
            "task": "secret",
            "task_action": "command",
            "res": {"censored": "the output has been hidden", "changed": False},
        },
    }
    result = parse_events([event], "0450050K", rc=2)
    assert result.failures[0].message == NO_LOG_MESSAGE


@pytest.mark.parametrize(
    ("role", "play", "expected"),
    [
        ("samba_ad_dc", "anything", "samba_ad"),
        ("fleet.proxmox_guests", "", "proxmox"),
        ("", "opnsense | firewall", "opnsense"),
        ("", "switches: access", "switches"),
        ("", "Something else", "site"),
    ],
)
def test_component_from_role_or_play_name(role, play, expected):
    assert component_of(role, play, "site", by_role(), set(names())) == expected


LAB_PVE = "pve1.0180120h.lab.fleet.test"
LAB_DC = "dc1.0180120h.lab.fleet.test"


def test_lab_drift_lists_the_object_not_the_handler_it_would_notify():
    """Recorded `fleet drift --component base` after a hand edit of journald's drop-in."""
    result = parsed("lab_base_drift")
    assert result.status == "drift"
    # the template task and the "Restart journald" handler both say changed in check mode…
    assert result.hosts[LAB_PVE].changed == 2 and result.hosts[LAB_DC].changed == 0
    # …but only the drifted object is a drift item, with its before/after
    assert [(c.host, c.task, c.component) for c in result.changed] == [
        (LAB_PVE, "Limit the journal's size and age", "base")
    ]
    diff = result.changed[0].diff[0]
    assert "SystemMaxUse=9G" in diff["before"] and "SystemMaxUse=500M" in diff["after"]


def test_a_no_log_change_still_counts_as_a_change():
    """Recorded vault playbook: the no_log copy's result is censored, its line says changed."""
    result = parsed("lab_vault_nolog")
    assert result.status == "changed"
    assert [(c.host, c.task, c.diff) for c in sorted(result.changed, key=lambda c: c.host)] == [
        (LAB_DC, "Write the secret to a root-only file", []),
        (LAB_PVE, "Write the secret to a root-only file", []),
    ]
    assert result.totals().changed == 2


def test_a_censored_ok_result_without_a_changed_line_is_not_a_change():
    events, meta = load("lab_vault_nolog")
    for event in events:
        if event["event"] == "runner_on_ok":
            event["stdout"] = event["stdout"].replace("changed:", "ok:")
        if event["event"] == "playbook_on_stats":
            event["event_data"]["changed"] = {}
    result = parse_events(events, meta["site"], meta["mode"], rc=0)
    assert result.status == "ok" and result.changed == []
