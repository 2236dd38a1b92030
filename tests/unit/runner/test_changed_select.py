"""`--changed-since REF` end to end on a real git repository holding a real registry: which
sites `select_sites` picks for each kind of change, and the CLI when nothing is affected."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.deploy import Target, select_sites
from fleet.registry import load_registry

REPO = Path(__file__).resolve().parents[3]
FLEET = str(Path(sys.executable).parent / "fleet")
BOTH = ["0180120H", "0450050K"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path):
    """A git repository with the lab registry, a role, docs and a (stand-in) vault file."""
    root = tmp_path / "repo"
    registry = root / "inventories" / "lab"
    shutil.copytree(
        REPO / "inventories" / "lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    (registry / "vault").mkdir(exist_ok=True)
    (registry / "vault" / "0450050K.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n3132\n")
    (root / "roles" / "base" / "tasks").mkdir(parents=True)
    (root / "roles" / "base" / "tasks" / "main.yml").write_text("---\n[]\n")
    (root / "docs").mkdir()
    (root / "docs" / "guide.md").write_text("# guide\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    return root


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


CHANGES = {
    "site file": ("inventories/lab/sites/0180120H.yml", "# a comment\n", ["0180120H"], False),
    "vault file": ("inventories/lab/vault/0450050K.yml", "3334\n", ["0450050K"], False),
    "region.yml": ("inventories/lab/region.yml", "# a comment\n", BOTH, True),
    "a role": ("roles/base/tasks/main.yml", "# a comment\n", BOTH, True),
    "docs only": ("docs/guide.md", "more\n", [], False),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_changed_since_picks_exactly_the_affected_sites(repo, change):
    path, text, expected, everything = CHANGES[change]
    append(repo / path, text)
    git(repo, "commit", "-qam", change)  # committed, as in CI after a merge
    registry = load_registry(repo / "inventories" / "lab")
    selection = select_sites(registry, Target(changed_since="HEAD~1"), repo)
    assert selection.sites == expected
    if not expected:
        assert "no site is affected" in selection.note
    elif everything:
        assert "every site" in selection.note


def test_uncommitted_changes_count_too(repo):
    append(repo / "inventories/lab/sites/0450050K.yml", "# work in progress\n")
    registry = load_registry(repo / "inventories" / "lab")
    selection = select_sites(registry, Target(changed_since="HEAD"), repo)
    assert selection.sites == ["0450050K"]


def test_cli_says_nothing_is_affected_and_exits_0(repo):
    append(repo / "docs/guide.md", "more\n")
    done = subprocess.run(
        [
            FLEET,
            "--output",
            "json",
            "--registry",
            "inventories/lab",
            "deploy",
            "--changed-since",
            "HEAD",
            "--yes",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sites"] == []
    assert "no site is affected by changes since HEAD" in done.stderr


def test_cli_bad_ref_is_bad_input(repo):
    done = subprocess.run(
        [FLEET, "--registry", "inventories/lab", "plan", "--changed-since", "no-such-ref"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3
    assert "no-such-ref" in done.stderr
