"""`fleet lab …`: the embedded lab (container hosts, API simulators)."""

from __future__ import annotations

import click

from fleet.cli.main import LazyGroup

LAB_COMMANDS = {
    "up": "fleet.cli.lab_hosts:up",
    "down": "fleet.cli.lab_hosts:down",
    "status": "fleet.cli.lab_hosts:status",
    "image": "fleet.cli.lab_hosts:image",
    "sim": "fleet.cli.lab_sim:sim",
}


@click.group(
    cls=LazyGroup,
    lazy=LAB_COMMANDS,
    epilog="""\b
Examples:
  fleet lab up
  fleet lab status
  fleet --output json lab status
  fleet lab image base samba
  fleet lab sim pve --state .fleet/lab/sim/pve --devices 2
  fleet lab down
""",
)
def lab() -> None:
    """The embedded lab: Debian hosts in podman and API simulators on 127.0.0.1."""
