"""The `fleet` entry point.

Subcommands load lazily so `fleet --help` and `fleet sites list` never import ansible or
ansible_runner (start-up is measured in bench/).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import click

from fleet.cli.context import Settings
from fleet.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, FleetError

# command name -> "module:attribute"; a module is imported only when its command runs.
COMMANDS: dict[str, str] = {
    "validate": "fleet.cli.validate:validate",
    "sites": "fleet.cli.sites:sites",
    "site": "fleet.cli.site:site",
    "inventory": "fleet.cli.inventory:inventory",
    "deploy": "fleet.cli.deploy:deploy",
    "plan": "fleet.cli.deploy:plan",
    "drift": "fleet.cli.deploy:drift",
    "runs": "fleet.cli.runs:runs",
    "components": "fleet.cli.components:components",
    "backups": "fleet.cli.backups:backups",
    "versions": "fleet.cli.versions:versions",
    "nightly": "fleet.cli.nightly:nightly",
    "lab": "fleet.cli.lab:lab",
    "opsi": "fleet.cli.opsi:opsi",
    "switch": "fleet.cli.switch:switch",
    "onboard": "fleet.cli.onboard:onboard",
    "verify": "fleet.cli.verify:verify",
}
# One-line summaries for `fleet --help`, so listing commands imports none of them.
SUMMARIES: dict[str, str] = {
    "validate": "Validate the registry (exit 3 on any problem).",
    "sites": "List and inspect sites.",
    "site": "Create a site (`site new`), its secrets (`site secrets`).",
    "inventory": "Build, check or show generated inventories.",
    "deploy": "Converge sites (ansible-runner).",
    "plan": "Show what deploy would change (exit 2 if anything).",
    "drift": "Read-only drift check with reports (exit 2 on drift).",
    "runs": "Run history.",
    "components": "The site components, in deploy order.",
    "backups": "Device configuration history (git).",
    "versions": "Versions per site, spread, out of range (exit 2).",
    "nightly": "The nightly drift check as systemd units.",
    "lab": "The embedded lab: hosts in podman, API simulators.",
    "opsi": "The OPSI catalogue lock (list, show, validate, update).",
    "switch": "A switch's intended configuration (`switch render`).",
    "onboard": "Onboard a site stage by stage (resumable).",
    "verify": "Read-only acceptance checks and the handover report.",
    "up": "Build the image if needed and start the lab.",
    "down": "Remove everything the lab made.",
    "status": "Lab hosts, ports and health.",
    "image": "Build (or find cached) the lab host images.",
    "sim": "Serve one API simulator in the foreground.",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing names only keeps `fleet --help` from importing every command module.
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  fleet validate
  fleet sites list --dept 45
  fleet inventory build && fleet inventory check
  fleet deploy 0450050K --component samba_ad
  fleet drift --all --report drift.html
""",
)
@click.option(
    "--registry",
    type=click.Path(file_okay=False, path_type=str),
    envvar="FLEET_REGISTRY",
    default="inventories/registry",
    show_default=True,
    help="Registry directory (env FLEET_REGISTRY).",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for one JSON document on stdout.",
)
@click.option("-v", "--verbose", count=True, help="More detail on stderr (repeat for more).")
@click.version_option(package_name="fleet")
@click.pass_context
def cli(ctx: click.Context, registry: str, output: str, verbose: int) -> None:
    """fleet: keep every school site converged from the central registry."""
    settings = Settings(registry=registry, output=output, verbose=verbose)
    default = ctx.get_parameter_source("registry") is click.core.ParameterSource.DEFAULT
    if default and settings.paths.root != Path.cwd().resolve():
        # the default is the project's registry, wherever in the checkout fleet is run from
        settings.registry = str(settings.paths.root / registry)
    ctx.obj = settings


def main(argv: list[str] | None = None) -> int:
    """Run the CLI, mapping errors to DESIGN.md's exit codes."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = cli.main(args=args, prog_name="fleet", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # usage errors included: exit 3 (DESIGN's table)
        from fleet.cli.context import wants_json

        if wants_json(args):
            doc = {"error": type(exc).__name__, "message": exc.format_message(), "exit_code": 3}
            click.echo(json.dumps(doc, indent=2, sort_keys=True))
        exc.show()
        return EXIT_BAD_INPUT
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except FleetError as exc:
        from fleet.cli.context import report_error

        report_error(exc, args)
        return exc.exit_code
    return rv if isinstance(rv, int) else 0


def entrypoint() -> None:  # pragma: no cover - thin wrapper
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
