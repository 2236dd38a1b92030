"""`fleet backups log`: the history of device configurations (firewalls, switches)."""

from __future__ import annotations

from dataclasses import asdict

import click

from fleet.cli.context import emit, settings


@click.group(
    epilog="""\b
Examples:
  fleet backups log 0450050K                 # every device of a site, newest first
  fleet backups log 0450050K sw-core.cfg -p  # one switch, with the diff of each change
  fleet -o json backups log | jq '.[0]'
"""
)
def backups() -> None:
    """Device configurations kept in git after every deploy and drift (.fleet/backups)."""


@backups.command(
    "log",
    epilog="""\b
Examples:
  fleet backups log
  fleet backups log 0450050K fw1.xml --patch
""",
)
@click.argument("site", required=False)
@click.argument("device", required=False)
@click.option("-p", "--patch", is_flag=True, help="Show each change's diff.")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=50, show_default=True)
def log(site: str | None, device: str | None, patch: bool, limit: int) -> None:
    """Changes of one device, of a site's devices, or of every device, newest first."""
    from fleet.backups import history

    repo = settings().paths.backups
    changes = history(repo, site.upper() if site else None, device)[:limit]

    def text() -> None:
        if not changes:
            click.echo(f"no backup recorded yet in {repo}")
        for change in changes:
            click.echo(f"{change.commit[:10]}  {change.when}  {', '.join(change.paths)}")
            click.echo(f"    {change.message.splitlines()[0] if change.message else ''}")
            if patch and change.diff:
                click.echo("\n".join(f"    {line}" for line in change.diff.splitlines()))

    emit([asdict(c) for c in changes], text)
