"""A thin wrapper over the podman CLI.

Every call goes through `run()` with an argument list (no shell) and `CONTAINERS_CONF`
pointing at the project's `containers.conf`, so podman uses runc and sets no default ulimits
without anything under /etc being edited.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from fleet.errors import FleetError

CONTAINERS_CONF = Path(__file__).with_name("containers.conf")


class PodmanError(FleetError):
    """podman is missing or a podman command failed."""


def env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every podman (and Molecule) process gets."""
    result = dict(os.environ)
    result["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    if extra:
        result.update(extra)
    return result


def executable() -> str:
    path = shutil.which("podman")
    if path is None:
        raise PodmanError(
            "podman is not installed: run scripts/setup.sh (Debian: apt-get install podman runc)"
        )
    return path


def run(
    args: Sequence[str],
    *,
    input: str | bytes | None = None,
    check: bool = True,
    timeout: float | None = 300,
    text: bool = True,
) -> subprocess.CompletedProcess:
    """Run `podman ARGS…` and return the completed process; raise PodmanError on failure."""
    cmd = [executable(), *args]
    try:
        proc = subprocess.run(
            cmd,
            input=input,
            capture_output=True,
            text=text,
            env=env(),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PodmanError(f"podman {' '.join(args[:2])} timed out after {timeout:.0f}s") from exc
    if check and proc.returncode != 0:
        err = proc.stderr if text else proc.stderr.decode(errors="replace")
        raise PodmanError(
            f"podman {' '.join(args[:3])} failed (exit {proc.returncode}): {err.strip()}"
        )
    return proc


def stream(
    args: Sequence[str], *, stdin: Any = None, cwd: str | Path | None = None
) -> Iterator[str]:
    """Run `podman ARGS…`, yielding its output lines (stdout and stderr merged) as they come."""
    proc = subprocess.Popen(
        [executable(), *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(),
        cwd=cwd,
    )
    assert proc.stdout is not None
    tail: list[str] = []
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail = (tail + [line])[-20:]
            yield line
    finally:
        if proc.poll() is None:
            proc.stdout.close()
        rc = proc.wait()
    if rc != 0:
        raise PodmanError(f"podman {' '.join(args[:2])} failed (exit {rc}):\n" + "\n".join(tail))


def image_exists(ref: str) -> bool:
    return run(["image", "exists", ref], check=False).returncode == 0


def containers(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """All containers (running or not) carrying every given label, as podman's JSON."""
    args = ["ps", "-a", "--format", "json"]
    for key, value in sorted(labels.items()):
        args += ["--filter", f"label={key}={value}"]
    out = run(args).stdout.strip()
    return json.loads(out) if out else []


def inspect_container(name: str) -> dict[str, Any] | None:
    proc = run(["container", "inspect", name], check=False)
    if proc.returncode != 0:
        return None
    data = json.loads(proc.stdout)
    return data[0] if data else None


def remove_containers(names: Sequence[str]) -> None:
    if names:
        # -t 5: a clean halt of systemd in these containers can hang; do not wait longer.
        run(["rm", "-f", "-t", "5", *names], timeout=120)


def networks(labels: Mapping[str, str]) -> list[str]:
    args = ["network", "ls", "--format", "{{.Name}}"]
    for key, value in sorted(labels.items()):
        args += ["--filter", f"label={key}={value}"]
    return [line for line in run(args).stdout.splitlines() if line.strip()]


def network_exists(name: str) -> bool:
    return run(["network", "exists", name], check=False).returncode == 0


def exec_(
    name: str,
    args: Sequence[str],
    *,
    input: str | None = None,
    check: bool = True,
    timeout: float = 60,
):
    flags = ["exec", "-i"] if input is not None else ["exec"]
    return run([*flags, name, *args], input=input, check=check, timeout=timeout)
