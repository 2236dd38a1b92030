"""Device state files: atomic writes, clear errors for bad files and names."""

from __future__ import annotations

import pytest

from fleet.errors import BadInput
from fleet.lab.sim.store import StateStore, check_name, clone, encode


@pytest.mark.parametrize("fsync", [False, True])
def test_save_then_load_round_trips_and_leaves_no_temporary_file(tmp_path, fsync):
    store = StateStore(tmp_path, fsync=fsync)
    store.prepare()
    assert store.load("pve-001") is None
    store.save("pve-001", encode({"vms": {"100": {"name": "dc1"}}}))
    store.save("pve-001", encode({"vms": {"100": {"name": "dc1"}, "101": {}}}))
    assert store.load("pve-001") == {"vms": {"100": {"name": "dc1"}, "101": {}}}
    assert [p.name for p in (tmp_path / "devices").iterdir()] == ["pve-001.json"]


def test_state_file_is_private(tmp_path):
    store = StateStore(tmp_path)
    store.prepare()
    store.save("opn-001", encode({"secret": "x"}))
    assert (tmp_path / "devices" / "opn-001.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{broken", r"opsi-001\.json: saved device state is not valid JSON \(line 1"),
        ("[1, 2]", r"opsi-001\.json: saved device state must be a JSON object"),
    ],
)
def test_bad_state_file_names_the_file(tmp_path, content, message):
    store = StateStore(tmp_path)
    store.prepare()
    (tmp_path / "devices" / "opsi-001.json").write_text(content)
    with pytest.raises(BadInput, match=message):
        store.load("opsi-001")


@pytest.mark.parametrize("name", ["", "../x", "a b", "-lead", "x" * 64, "a/b", "é"])
def test_unsafe_device_names_are_refused(name):
    with pytest.raises(BadInput, match="device name"):
        check_name(name)


@pytest.mark.parametrize("name", ["pve-001", "0450050K", "site_2.lab"])
def test_plain_device_names_are_accepted(name):
    assert check_name(name) == name


def test_encode_is_canonical_and_clone_is_a_deep_copy():
    state = {"b": [1, {"x": "é"}], "a": {"n": None, "f": 0.5, "t": True}}
    assert encode(state) == encode({"a": {"t": True, "f": 0.5, "n": None}, "b": [1, {"x": "é"}]})
    copied = clone(state)
    assert copied == state
    copied["b"][1]["x"] = "changed"
    assert state["b"][1]["x"] == "é"
    # what orjson refuses still works: integer keys, integers beyond 64 bits
    odd = {1: 2**70}
    assert encode(odd) == b'{"1":1180591620717411303424}'
    assert clone(odd) == odd and clone(odd) is not odd
