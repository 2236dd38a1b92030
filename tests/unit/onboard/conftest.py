"""A small production-style registry (sample generator) and a project state dir per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.cli.main import main
from fleet.paths import Paths
from fleet.registry.sample import write_sample

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    root = tmp_path / "registry"
    write_sample(root, 3, templates=REPO / "templates" / "sites",
                 region=REPO / "inventories" / "registry" / "region.yml")  # fmt: skip
    return root


@pytest.fixture
def paths(tmp_path: Path, monkeypatch) -> Paths:
    monkeypatch.setenv("FLEET_STATE_DIR", str(tmp_path / "state"))
    return Paths.at(REPO)


@pytest.fixture
def fleet(capsys, monkeypatch, paths):
    monkeypatch.chdir(REPO)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def onboarding_site(root: Path) -> str:
    for path in sorted((root / "sites").glob("*.yml")):
        if "state: onboarding" in path.read_text(encoding="utf-8"):
            return path.stem
    path = sorted((root / "sites").glob("*.yml"))[0]
    text = path.read_text(encoding="utf-8").replace("state: active", "state: onboarding")
    path.write_text(text, encoding="utf-8")
    return path.stem


# These tests exercise pending stages next to live ones, and runs whose stages are played by a
# stand-in runner; they pin the table to a known state (three components not implemented) so
# that they keep their meaning whatever lands in the real table.
PENDING_HERE = ("proxmox", "opsi", "switches")


@pytest.fixture(autouse=True)
def known_table(monkeypatch):
    import dataclasses

    from fleet import components

    table = [
        dataclasses.replace(c, implemented=False) if c.name in PENDING_HERE else c
        for c in components.COMPONENTS
    ]
    monkeypatch.setattr(components, "COMPONENTS", table)
