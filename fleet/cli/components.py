"""`fleet components`: the component table, and `site.yml` generated from it."""

from __future__ import annotations

import click

from fleet.cli.context import emit, log, print_table, settings
from fleet.errors import EXIT_CHANGES


@click.group(
    invoke_without_command=True,
    epilog="""\b
Examples:
  fleet components
  fleet -o json components | jq '.[] | select(.implemented)'
  fleet components site-yml --check     # exit 2 when playbooks/site.yml is stale (CI)
""",
)
@click.pass_context
def components(ctx: click.Context) -> None:
    """The site components in deploy order: playbook, group, roles, lab simulator, status."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_components)


@components.command(
    "list", epilog="\b\nExamples:\n  fleet components list\n  fleet -o json components list"
)
def list_components() -> None:
    """One row per component, in deploy order."""
    from dataclasses import asdict

    from fleet import components as table

    rows = [
        {
            **asdict(c),
            "playbook": c.playbook,
            "docs": c.docs,
            "verify": list(c.verify),
        }
        for c in table.table()
    ]

    def text() -> None:
        columns = ("component", "status", "group", "roles", "lab", "playbook")
        print_table(
            columns,
            [
                (
                    c.name,
                    "implemented" if c.implemented else "not implemented",
                    c.group,
                    ", ".join(c.roles),
                    c.lab_simulator or "hosts",
                    c.playbook,
                )
                for c in table.table()
            ],
            "components (deploy order)",
        )

    emit(rows, text)


@components.command(
    "site-yml",
    epilog="""\b
Examples:
  fleet components site-yml             # print what playbooks/site.yml should hold
  fleet components site-yml --write
  fleet components site-yml --check     # CI: exit 2 when stale
""",
)
@click.option("--write", is_flag=True, help="Rewrite playbooks/site.yml from the table.")
@click.option("--check", is_flag=True, help="Exit 2 if playbooks/site.yml differs.")
@click.pass_context
def site_yml(ctx: click.Context, write: bool, check: bool) -> None:
    """playbooks/site.yml: every implemented component's playbook, in deploy order."""
    from fleet import components as table

    root = settings().paths.root
    if write:
        changed = table.write_site_yml(root)
        emit({"written": changed}, "playbooks/site.yml " + ("written" if changed else "up to date"))
    elif check:
        current = table.site_yml_current(root)
        emit({"current": current}, "playbooks/site.yml " + ("up to date" if current else "stale"))
        if not current:
            log("run `fleet components site-yml --write` and commit the result")
            ctx.exit(EXIT_CHANGES)
    else:
        click.echo(table.render_site_yml(), nl=False)
