"""fleet writes a site run's event files itself (run_site's event handler), where and as
ansible-runner would: a real ansible-runner run of a local playbook, read back from the files
as `fleet runs` and the component summaries read them."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import ansible_runner

from fleet.runner.artifacts import load_events, result_from_artifacts
from fleet.runner.execute import run_site
from fleet.runner.prepare import SiteDir

PLAYBOOK = """\
- name: Two hosts, three tasks
  hosts: all
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: "hello {{ inventory_hostname }} é"
    - name: Change something
      ansible.builtin.command: "true"
      changed_when: true
    - name: Fail on one host
      ansible.builtin.fail:
        msg: broken on purpose
      when: inventory_hostname == 'b'
"""
INVENTORY = """\
[all:vars]
ansible_connection=local
ansible_python_interpreter={{ ansible_playbook_python }}
[all]
a
b
"""


def private_data_dir(root: Path) -> Path:
    (root / "project").mkdir(parents=True)
    (root / "project" / "play.yml").write_text(PLAYBOOK)
    (root / "inventory").mkdir()
    (root / "inventory" / "hosts").write_text(INVENTORY)
    return root


def test_event_files_are_those_ansible_runner_would_write(tmp_path):
    fleet_dir = private_data_dir(tmp_path / "fleet")
    seen: list[dict] = []
    result = run_site(
        SiteDir(path=fleet_dir, playbook="play.yml", hosts=["a", "b"]),
        "0450050K",
        "apply",
        "run1",
        threading.Event(),
        on_event=lambda site, parser, event: seen.append(dict(event)),
    )
    assert result.rc == 2  # one host failed
    events_dir = fleet_dir / "artifacts" / "run1" / "job_events"
    files = sorted(events_dir.iterdir())
    # every event the handler saw is a file named <counter>-<uuid>.json, owner-only, no
    # temporary left, and its content is the event as ansible-runner handed it over
    assert [p.name for p in files] == sorted(f"{e['counter']}-{e['uuid']}.json" for e in seen)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    by_counter = {e["counter"]: e for e in seen}
    for path in files:
        event = json.loads(path.read_text(encoding="utf-8"))
        assert event == by_counter[event["counter"]]
        assert event["runner_ident"] == "run1" and "created" in event

    # ansible-runner writing them itself (no handler): the same files, event for event
    runner_dir = private_data_dir(tmp_path / "runner")
    ansible_runner.run(
        private_data_dir=str(runner_dir), playbook="play.yml", ident="run1", quiet=True
    )
    theirs = load_events(runner_dir / "artifacts" / "run1")
    ours = load_events(fleet_dir / "artifacts" / "run1")
    varying = {"uuid", "parent_uuid", "created", "pid", "event_data", "stdout"}
    assert [{k: v for k, v in e.items() if k not in varying} for e in ours] == [
        {k: v for k, v in e.items() if k not in varying} for e in theirs
    ]
    assert [sorted(e) for e in ours] == [sorted(e) for e in theirs]

    # read back from the files, the run is the one the live parser saw
    again = result_from_artifacts(fleet_dir / "artifacts" / "run1", "0450050K")
    assert again.to_dict()["totals"] == result.to_dict()["totals"]
    assert [f.task for f in again.failures] == ["Fail on one host"]
    assert [c.task for c in again.changed] == [c.task for c in result.changed]
