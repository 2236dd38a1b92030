"""`fleet versions`: what each site runs, the fleet-wide spread, the sites out of range."""

from __future__ import annotations

from pathlib import Path

import click

from fleet.cli.context import emit, log, print_table, settings
from fleet.errors import EXIT_CHANGES


@click.command(
    epilog="""\b
Examples:
  fleet versions
  fleet versions 0450050K 0180120H
  fleet -o json versions | jq '.outside'
\b
The versions come from the run history (deploys and drift checks record what they see).
Exit codes: 0 every version inside the ranges region.yml supports (supported_versions),
2 some are outside, 3 bad input.
""",
)
@click.argument("sites", nargs=-1, metavar="[SITE]...")
@click.option(
    "--state-db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FLEET_STATE_DB",
    help="Run history database (env FLEET_STATE_DB) [default: .fleet/state.db].",
)
@click.pass_context
def versions(ctx: click.Context, sites: tuple[str, ...], state_db: Path | None) -> None:
    """The versions matrix (sites × products) with the spread and the sites out of range."""
    from fleet.history import History
    from fleet.registry import load_registry
    from fleet.versions import build

    cfg = settings()
    registry = load_registry(cfg.registry_path)
    wanted = [registry.site(s.strip().upper()).uai for s in sites] or None
    history = History(state_db or cfg.paths.state_db, cfg.paths.runs)
    supported = {k: (v.min, v.below) for k, v in registry.region.supported_versions.items()}
    matrix = build(history.versions(wanted), supported)

    def text() -> None:
        if not matrix.sites:
            click.echo("no version recorded yet: run `fleet drift --all` (or a deploy) first")
            return
        rows = [
            (site, *(", ".join(found.get(name, [])) or "-" for name in matrix.names))
            for site, found in matrix.sites.items()
        ]
        print_table(("site", *matrix.names), rows, "versions", plain_title=True)
        click.echo("")
        for name, spread in matrix.spread.items():
            counts = ", ".join(f"{version} ×{n}" for version, n in spread.items())
            click.echo(f"{name}: {counts}")
        for out in matrix.outside:
            click.echo(
                f"outside: {out.site} {out.host}: {out.name} {out.version} (supported {out.supported})"
            )

    exit_code = EXIT_CHANGES if matrix.outside else 0
    emit({**matrix.to_dict(), "exit_code": exit_code}, text)
    if matrix.outside:
        log(f"{len(matrix.outside)} version(s) outside the supported ranges (region.yml)")
    ctx.exit(exit_code)
