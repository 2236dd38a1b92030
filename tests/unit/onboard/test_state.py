"""The state line of a site file changes alone, atomically, and the change is shown."""

from __future__ import annotations

from fleet.onboard.state import set_state
from fleet.registry.enums import State


def test_one_line_changes_and_the_rest_is_kept(tmp_path):
    path = tmp_path / "0450062Y.yml"
    text = (
        "---\n# a comment\nuai: 0450062Y\nowner: region\nstate: onboarding  # new\npilot: false\n"
    )
    path.write_text(text)
    change = set_state(path, State.active)
    assert change.line == 5
    assert change.before == "state: onboarding  # new"
    assert change.after == "state: active # new"
    assert path.read_text() == text.replace("state: onboarding  # new", "state: active # new")
    assert set_state(path, State.active) is None  # already active: nothing written
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_file_without_state_gets_one_after_owner(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text("uai: 0450062Y\nowner: region\npilot: false\n")
    change = set_state(path, State.active)
    assert path.read_text() == "uai: 0450062Y\nowner: region\nstate: active\npilot: false\n"
    assert change.line == 3
