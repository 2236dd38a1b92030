"""`fleet inventory build|check|show`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fleet.cli.context import emit, log, settings
from fleet.errors import EXIT_CHANGES


def default_out() -> Path:
    """inventories/registry → inventories/generated; any other registry → <registry>/generated."""
    root = Path(settings().registry)
    return root.parent / "generated" if root.name == "registry" else root / "generated"


def _registry():
    from fleet.registry import load_registry

    return load_registry(settings().registry_path)


@click.group(
    epilog="""\b
Examples:
  fleet inventory build
  fleet inventory check        # exit 2 when inventories/generated is stale (CI)
  fleet inventory show 0450050K | jq '._meta.hostvars | keys'
"""
)
def inventory() -> None:
    """Generate Ansible inventories from the registry."""


@inventory.command(
    epilog="\b\nExamples:\n  fleet inventory build\n  fleet --registry inventories/lab inventory build"
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Output directory [default: inventories/generated for inventories/registry, "
    "else <registry>/generated].",
)
def build(out: str | None) -> None:
    """Write the generated inventory files (atomically; unchanged files are left alone)."""
    from fleet.inventory import write_generated

    out = out or str(default_out())
    registry = _registry()
    written, removed = write_generated(registry, Path(out))
    data = {"out": out, "sites": len(registry.sites), "written": written, "removed": removed}
    emit(data, f"{out}: {len(registry.sites)} sites, {written} file(s) written, {removed} removed")


@inventory.command(
    epilog="\b\nExample (CI):\n  fleet inventory check || echo 'run fleet inventory build'"
)
@click.option(
    "--out", type=click.Path(file_okay=False), help="Directory to check [default: as for build]."
)
@click.pass_context
def check(ctx: click.Context, out: str | None) -> None:
    """Exit 2 if the generated files differ from what the registry gives (run `build`)."""
    from fleet.inventory import check_generated

    out = out or str(default_out())
    result = check_generated(_registry(), Path(out))
    data = {
        "out": out,
        "clean": result.clean,
        "missing": result.missing,
        "stale": result.stale,
        "extra": result.extra,
    }

    def text() -> None:
        if result.clean:
            click.echo(f"{out}: up to date")
            return
        for label, names in (
            ("missing", result.missing),
            ("stale", result.stale),
            ("extra", result.extra),
        ):
            for name in names:
                click.echo(f"{label}: {Path(out) / name}")
        log("generated inventory is stale: run `fleet inventory build` and commit the result")

    emit(data, text)
    if not result.clean:
        ctx.exit(EXIT_CHANGES)


@inventory.command(epilog="\b\nExample:\n  fleet inventory show 0450050K | jq '.samba_dc'")
@click.argument("uai")
def show(uai: str) -> None:
    """Print one site's inventory as JSON (`ansible-inventory --list --export` format)."""
    from fleet.inventory import site_inventory

    registry = _registry()
    site = registry.site(uai.upper())
    click.echo(json.dumps(site_inventory(registry, site.uai), indent=2, sort_keys=True))
