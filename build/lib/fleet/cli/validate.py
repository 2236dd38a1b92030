"""`fleet validate`: check the registry; exit 3 with every problem, or 0."""

from __future__ import annotations

from pathlib import Path

import click

from fleet.cli.context import emit, log, settings
from fleet.errors import ValidationFailed


@click.command(
    epilog="""\b
Examples:
  fleet validate
  fleet --registry inventories/lab validate
  fleet --output json validate | jq .problems
"""
)
def validate() -> None:
    """Validate the registry: schema, UAIs, addressing, references, secrets.

    Exit 0 when valid; 3 with every problem (file, field, what would be valid) otherwise.
    """
    from fleet.registry import read_registry

    root = Path(settings().registry)
    registry, problems = read_registry(root)
    if registry is None:
        raise ValidationFailed(problems=problems)
    for warning in registry.warnings:
        log(f"warning: {warning}")
    data = {
        "valid": True,
        "registry": str(root),
        "sites": len(registry.sites),
        "warnings": registry.warnings,
    }
    emit(data, f"{root}: valid ({len(registry.sites)} sites)")
