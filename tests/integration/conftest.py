"""Shared helpers for the integration tests that need the lab (real podman containers).

A lab belongs to a checkout: container names, the podman network and `.fleet/lab/` derive from
the project directory. So that tests never touch the developer's own lab (`fleet lab up` in the
checkout), each test lab lives in a *test project*: a temporary directory whose entries are
symlinks to this checkout (playbooks, roles, inventories, ansible.cfg…) with its own `.fleet/`.

Fixtures:
- `lab_up` (session): a running lab others may reuse read-mostly (deploy to it, run checks).
  Do not take it down or kill its hosts: make your own `LabProject` for destructive tests.
  With pytest-xdist the workers share one lab (the first one starts it under a file lock);
  it is taken down once, at the end of the session, by the controller.
- `lab_project` (factory): `lab_project(path)` makes a `LabProject`, a test project with
  `fleet(...)`, `fleet_json(...)`, `up()`, `down()`, `podman(...)`, `ansible(...)` helpers.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CONTAINERS_CONF = REPO / "fleet" / "lab" / "containers.conf"
SKIP_ENTRIES = {".fleet", ".git", ".venv", ".pytest_cache", ".ruff_cache", "__pycache__"}
SHARED_DIR_NAME = "fleet-shared-lab"


def lab_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    env["NO_COLOR"] = "1"
    env.pop("FLEET_LAB_REGISTRY", None)
    env.update(extra)
    return env


def podman(*args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["podman", *args],
        capture_output=True,
        text=True,
        env=lab_env(),
        check=check,
        timeout=timeout,
    )


class LabProject:
    """A throw-away fleet project (symlinks to this checkout) with its own lab."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        for entry in REPO.iterdir():
            link = self.root / entry.name
            if entry.name not in SKIP_ENTRIES and not link.exists():
                link.symlink_to(entry)

    # ---- running fleet in the project
    def fleet(self, *args: str, timeout: float = 900, **kw: Any) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "fleet.cli.main", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=lab_env(),
            timeout=timeout,
            check=False,
            **kw,
        )

    def popen_fleet(self, *args: str, **kw: Any) -> subprocess.Popen:
        """Start `fleet ARGS…` in the project without waiting (stdout/stderr as given)."""
        return subprocess.Popen(
            [sys.executable, "-m", "fleet.cli.main", *args],
            cwd=self.root,
            text=True,
            env=lab_env(),
            **kw,
        )

    @staticmethod
    def podman(*args: str, check: bool = True, timeout: float = 180):
        return podman(*args, check=check, timeout=timeout)

    def fleet_json(self, *args: str, timeout: float = 900) -> tuple[int, dict]:
        proc = self.fleet("--output", "json", *args, timeout=timeout)
        try:
            data = json.loads(proc.stdout) if proc.stdout.strip() else {}
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not JSON: {proc.stdout!r}\nstderr: {proc.stderr}") from exc
        return proc.returncode, data

    def up(self) -> dict:
        rc, data = self.fleet_json("lab", "up")
        assert rc == 0, data
        return data

    def down(self) -> dict:
        rc, data = self.fleet_json("lab", "down")
        assert rc == 0, data
        return data

    # ---- what the lab is made of, seen from podman (not from fleet's own state)
    @property
    def project_id(self) -> str:
        from fleet.lab.hosts import project_id

        return project_id(self.root)

    @property
    def prefix(self) -> str:
        return f"fleet-lab-{self.project_id}-"

    def container(self, host: str) -> str:
        return self.prefix + host

    def containers(self) -> list[dict]:
        """Every container (any state) that carries this project's label or name prefix."""
        out = podman("ps", "-a", "--format", "json").stdout
        found = json.loads(out) if out.strip() else []
        return [
            c
            for c in found
            if c["Names"][0].startswith(self.prefix)
            or (c.get("Labels") or {}).get("io.fleet.lab.project") == str(self.root)
        ]

    def networks(self) -> list[str]:
        names = podman("network", "ls", "--format", "{{.Name}}").stdout.split()
        return [n for n in names if n.startswith(f"fleet-lab-{self.project_id}")]

    @property
    def lab_dir(self) -> Path:
        return self.root / ".fleet" / "lab"

    @property
    def inventory(self) -> Path:
        return self.lab_dir / "inventory.yml"

    def ansible(
        self, pattern: str, *args: str, timeout: float = 300
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(VENV_BIN / "ansible"), "-i", str(self.inventory), pattern, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=lab_env(ANSIBLE_DEPRECATION_WARNINGS="False"),
            timeout=timeout,
            check=False,
        )


def need_podman() -> None:
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed: run ./scripts/setup.sh (the lab tests need it)")


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.fixture(scope="session")
def lab_project():
    """Factory: `lab_project(directory)` → a LabProject there (its lab is not started)."""
    need_podman()
    return LabProject


@pytest.fixture(scope="session")
def lab_up(tmp_path_factory: pytest.TempPathFactory) -> LabProject:
    """The shared running lab (see the module docstring); reuse it, do not break it."""
    need_podman()
    # the parent of the per-worker basetemp is common to every xdist worker of this session
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if base.name.startswith("popen-gw") else base) / SHARED_DIR_NAME
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared.with_suffix(".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        project = LabProject(shared)
        project.up()
    return project


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Take the shared lab down once: in the controller (or the only process) at the end."""
    if _is_xdist_worker(session.config):
        return
    base = session.config._tmp_path_factory.getbasetemp()  # noqa: SLF001
    for shared in (base / SHARED_DIR_NAME, *base.glob(f"*/{SHARED_DIR_NAME}")):
        if (shared / ".fleet" / "lab").exists():
            LabProject(shared).fleet("lab", "down", timeout=300)
