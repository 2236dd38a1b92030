"""`fleet switch render`: a switch's intended configuration, for review."""

from __future__ import annotations

import click

from fleet.cli.context import emit, settings


@click.group(
    epilog="""\b
Examples:
  fleet switch render 0450050K sw-core
  fleet --registry inventories/lab switch render 0180120H sw-a
"""
)
def switch() -> None:
    """Managed switches (docs/switches.md)."""


@switch.command(
    "render",
    epilog="""\b
Examples:
  fleet switch render 0180051H sw-core
  fleet -o json switch render 0180051H sw-core | jq -r .config
""",
)
@click.argument("site")
@click.argument("name")
def render(site: str, name: str) -> None:
    """The managed part of SWITCH's configuration as the registry implies it (the SNMP
    community, a vault secret, shows as ********)."""
    from fleet.switches.review import rendered

    s = settings()
    text = rendered(s.paths.root, s.registry_path, site, name)
    emit({"site": site.upper(), "switch": name, "config": text}, lambda: click.echo(text, nl=False))
