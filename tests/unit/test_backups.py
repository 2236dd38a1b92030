"""Device configuration backups: a commit per change, none for an unchanged configuration,
parallel writers serialised, a history with diffs (dulwich, no git binary involved)."""

from __future__ import annotations

import json
import subprocess
import threading

import pytest

from fleet.backups import history, store
from fleet.cli.main import main


def test_a_change_is_a_commit_and_the_same_configuration_is_none(tmp_path):
    repo = tmp_path / "backups"
    first = store(repo, "0450050K", "sw-core.cfg", "vlan 10\n name mgmt\n", "deploy r1")
    assert first and len(first) == 40
    assert store(repo, "0450050K", "sw-core.cfg", "vlan 10\n name mgmt\n", "drift r2") is None
    second = store(repo, "0450050K", "sw-core.cfg", "vlan 10\n name MGMT\n", "drift r3")
    changes = history(repo, "0450050K", "sw-core.cfg")
    assert [c.commit for c in changes] == [second, first]
    assert changes[0].message == "drift r3"
    assert "-vlan 10" not in changes[0].diff and "+ name MGMT" in changes[0].diff
    # real git reads what dulwich wrote
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%s", "--", "0450050K/sw-core.cfg"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert log.stdout.split("\n")[:2] == ["drift r3", "deploy r1"]


def test_history_filters_by_site_and_device(tmp_path):
    repo = tmp_path / "backups"
    store(repo, "0450050K", "fw1.xml", "<opnsense/>", "a")
    store(repo, "0180120H", "fw1.xml", "<opnsense/>", "b")
    store(repo, "0450050K", "sw-core.cfg", "hostname sw", "c")
    assert [c.message for c in history(repo, "0450050K")] == ["c", "a"]
    assert [c.message for c in history(repo)] == ["c", "b", "a"]
    assert history(tmp_path / "none") == []


def test_parallel_site_runs_each_get_their_commit(tmp_path):
    repo = tmp_path / "backups"
    sites = [f"04500{i:02d}X" for i in range(8)]
    threads = [
        threading.Thread(target=store, args=(repo, s, "fw1.xml", f"<x>{s}</x>", f"deploy {s}"))
        for s in sites
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c.paths[0].split("/")[0] for c in history(repo)) == sorted(sites)


@pytest.mark.parametrize("bad", ["../etc", "a/b", ".git", ""])
def test_names_that_escape_the_repository_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        store(tmp_path / "b", "0450050K", bad, "x", "m")


def test_the_cli_shows_the_log_with_patches(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "backups"
    monkeypatch.setenv("FLEET_BACKUP_DIR", str(repo))
    store(repo, "0450050K", "fw1.xml", "<a/>\n", "deploy r1 (fleet)")
    store(repo, "0450050K", "fw1.xml", "<b/>\n", "drift r2 (fleet): changed outside fleet")
    assert main(["backups", "log", "0450050k", "fw1.xml", "--patch"]) == 0
    out = capsys.readouterr().out
    assert "drift r2 (fleet): changed outside fleet" in out and "+<b/>" in out
    assert main(["-o", "json", "backups", "log"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["message"] for c in doc] == [
        "drift r2 (fleet): changed outside fleet",
        "deploy r1 (fleet)",
    ]
