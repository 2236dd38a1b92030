"""`fleet nightly install|show`: the nightly drift check as a systemd service and timer."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fleet.cli.context import emit, settings

UNIT_OPTIONS = [
    click.option("--user", default="root", show_default=True, help="The user the check runs as."),
    click.option(
        "--reports",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("/var/lib/fleet/reports"),
        show_default=True,
        help="Where drift.html, drift.xml, drift.json and fleet.prom are written "
        "(point node_exporter's textfile collector at fleet.prom).",
    ),
    click.option("--at", default="02:00", show_default=True, help="Time of the run, HH:MM."),
    click.option("--spread", default="15min", show_default=True, help="Randomised delay."),
    click.option("--timeout", default="3h", show_default=True, help="Longest a run may take."),
    click.option(
        "--drift-args", default="", help="More `fleet drift` options, e.g. '--parallel 4'."
    ),
]


def unit_options(func):
    for option in reversed(UNIT_OPTIONS):
        func = option(func)
    return func


def _settings(user, reports, at, spread, timeout, drift_args):
    from fleet.nightly import Settings

    fleet = Path(sys.executable).with_name("fleet")
    return Settings(
        paths=settings().paths,
        fleet=fleet,
        user=user,
        reports=reports.absolute(),
        at=at,
        spread=spread,
        timeout=timeout,
        drift_args=drift_args,
    )


@click.group(
    epilog="""\b
Examples:
  sudo fleet nightly install --user fleet --reports /var/lib/node_exporter/fleet
  fleet nightly show --at 03:30
  systemctl list-timers fleet-drift.timer
"""
)
def nightly() -> None:
    """The nightly drift check of every site as systemd units (service + timer)."""


@nightly.command(epilog="\b\nExample:\n  fleet nightly show --drift-args '--parallel 4'")
@unit_options
def show(**options) -> None:
    """Print the units `install` would write."""
    from fleet.nightly import render

    units = render(_settings(**options))
    emit(units, "\n".join(f"# --- {name}\n{text}" for name, text in units.items()))


@nightly.command(
    epilog="""\b
Examples:
  sudo fleet nightly install
  sudo fleet nightly install --user fleet --at 01:30 --drift-args '--parallel 4'
  fleet nightly install --unit-dir ~/.config/systemd/user --no-enable
"""
)
@unit_options
@click.option(
    "--unit-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/etc/systemd/system"),
    show_default=True,
)
@click.option("--enable/--no-enable", default=True, help="daemon-reload and enable the timer.")
def install(unit_dir: Path, enable: bool, **options) -> None:
    """Write fleet-drift.service and fleet-drift.timer, then enable the timer."""
    from fleet.nightly import install as write_units

    written = write_units(_settings(**options), unit_dir, enable)
    emit(
        {"units": [str(p) for p in written], "enabled": enable},
        "\n".join(f"wrote {p}" for p in written)
        + (
            "\nenabled fleet-drift.timer (systemctl list-timers fleet-drift.timer)"
            if enable
            else ""
        ),
    )
