"""The nightly drift check as systemd units (`fleet nightly install`): a oneshot service that
runs `fleet drift --all` with every report, and a timer with a randomised delay that catches
up on missed nights. Rendering is pure; installing writes the two files atomically."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fleet import __version__
from fleet.errors import BadInput, FleetError
from fleet.fsutil import atomic_write
from fleet.paths import Paths

UNITS = ("fleet-drift.service", "fleet-drift.timer")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
SPAN = re.compile(r"^\d+(s|min|h)$")


@dataclass(frozen=True)
class Settings:
    paths: Paths
    fleet: Path  # the fleet executable the service runs
    user: str = "root"
    reports: Path = Path("/var/lib/fleet/reports")
    at: str = "02:00"  # HH:MM, local time of the machine
    spread: str = "15min"  # RandomizedDelaySec
    timeout: str = "3h"  # TimeoutStartSec
    drift_args: str = ""  # e.g. "--parallel 4"

    def check(self) -> None:
        if not TIME.match(self.at):
            raise BadInput(f"--at {self.at!r}: give a time as HH:MM, e.g. 02:00")
        for option, value in (("--spread", self.spread), ("--timeout", self.timeout)):
            if not SPAN.match(value):
                raise BadInput(f"{option} {value!r}: give a systemd span such as 15min, 2h, 90s")
        if not re.fullmatch(r"[a-z_][a-z0-9_-]*\$?", self.user):
            raise BadInput(f"--user {self.user!r} is not a user name")
        for word in shlex.split(self.drift_args):
            if word.startswith("--report") or word in ("--junit", "--metrics", "--json-report"):
                raise BadInput(f"--drift-args: {word} is set by the unit itself (--reports DIR)")


def render(settings: Settings) -> dict[str, str]:
    """Unit file name → content."""
    import jinja2

    settings.check()
    args = " ".join(shlex.quote(a) for a in shlex.split(settings.drift_args))
    values = {
        "version": __version__,
        "project": settings.paths.root,
        "user": settings.user,
        "fleet": settings.fleet,
        "reports": settings.reports,
        "lock": settings.paths.locks / "nightly-drift.lock",
        "args": f"{args} " if args else "",
        "at": settings.at,
        "spread": settings.spread,
        "timeout": settings.timeout,
    }
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    found = {}
    for unit in UNITS:
        source = resources.files("fleet").joinpath("nightly_units", f"{unit}.j2").read_text()
        found[unit] = env.from_string(source).render(**values)
    return found


def install(settings: Settings, unit_dir: Path, enable: bool = True) -> list[Path]:
    """Write the units, create the reports directory, and (with `enable`) reload systemd and
    enable the timer. Returns the files written."""
    units = render(settings)
    written = []
    for name, text in units.items():
        path = Path(unit_dir) / name
        atomic_write(path, text)
        written.append(path)
    for directory in (settings.reports, settings.paths.locks):
        directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and settings.user != "root":
            shutil.chown(directory, settings.user)  # the service writes there as that user
    if enable:
        for args in (["daemon-reload"], ["enable", "--now", "fleet-drift.timer"]):
            done = subprocess.run(["systemctl", *args], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise FleetError(f"systemctl {' '.join(args)} failed: {done.stderr.strip()}")
    return written
