"""Fixtures for registry tests: a small valid registry written by the sample generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.cli.main import main
from fleet.registry.sample import write_sample

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    root = tmp_path / "registry"
    write_sample(
        root,
        12,
        templates=REPO / "templates" / "sites",
        region=REPO / "inventories" / "registry" / "region.yml",
    )
    return root


@pytest.fixture
def fleet(capsys, monkeypatch, tmp_path):
    """Run the real CLI entry point in-process: returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(REPO)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def first_site(root: Path) -> Path:
    return sorted((root / "sites").glob("*.yml"))[0]


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
