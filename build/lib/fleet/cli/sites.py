"""`fleet sites list|show` and `fleet site new`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fleet.cli.context import emit, print_table, settings
from fleet.registry.enums import Kind, Owner, State

KINDS = [k.value for k in Kind]
OWNERS = [o.value for o in Owner]
STATES = [s.value for s in State]


def _registry():
    from fleet.registry import load_registry

    return load_registry(settings().registry_path)


@click.group(
    epilog="""\b
Examples:
  fleet sites list --dept 45 --kind lycee
  fleet sites show 0450050K
  fleet -o json sites list --state active
"""
)
def sites() -> None:
    """List and inspect the sites of the registry."""


@sites.command(
    "list",
    epilog="\b\nExamples:\n  fleet sites list --dept 45 --state active\n  fleet -o json sites list --kind college",
)
@click.option("--kind", type=click.Choice(KINDS), help="Only this kind of establishment.")
@click.option("--dept", type=int, help="Only this department (e.g. 45).")
@click.option("--state", type=click.Choice(STATES), help="Only sites in this state.")
def list_sites(kind: str | None, dept: int | None, state: str | None) -> None:
    """A table of sites (JSON: a list of objects)."""
    from fleet.registry.summary import site_rows

    rows = [
        r
        for r in site_rows(Path(settings().registry))
        if (kind is None or r["kind"] == kind)
        and (dept is None or r["department"] == dept)
        and (state is None or r["state"] == state)
    ]

    def text() -> None:
        if not rows:
            click.echo("no site matches", err=True)
            return
        columns = ("UAI", "kind", "dept", "state", "city", "name")
        table = [
            (r["uai"], r["kind"], f"{r['department']:02d}", r["state"], r["city"], r["name"])
            for r in rows
        ]
        print_table(columns, table, "sites")
        click.echo(f"{len(rows)} site(s)", err=True)

    emit(rows, text)


@sites.command("show", epilog="\b\nExample:\n  fleet sites show 0450050K")
@click.argument("uai")
def show_site(uai: str) -> None:
    """One site: identity, networks, hosts and components."""
    registry = _registry()
    site = registry.site(uai.upper())
    from fleet.registry.summary import site_summary

    data = site_summary(site)
    data["index"] = registry.allocations[site.uai]
    data["block"] = str(registry.site_block(site.uai))
    data["domain"] = registry.domain(site.uai)
    data["networks"] = {name: str(net) for name, net in registry.networks(site.uai).items()}
    data["site"] = site.model_dump(mode="json", exclude_defaults=True)

    def text() -> None:
        click.echo(f"{site.uai}  {site.name}")
        click.echo(
            f"  kind {site.kind.value}, department {site.department:02d}, {site.city}, "
            f"owner {site.owner.value}, state {site.state.value}{', pilot' if site.pilot else ''}"
        )
        click.echo(f"  domain {data['domain']}, block {data['block']} (index {data['index']})")
        for name, net in data["networks"].items():
            click.echo(f"  vlan {registry.vlans[name].id:>4} {name:<8} {net}")
        click.echo(f"  components: {', '.join(data['components']) or 'none'}")

    emit(data, text)


@click.group(
    epilog="""\b
Examples:
  fleet site new --uai 0450062Y --name "Lycée Voltaire" --kind lycee --dept 45 --city Orléans
"""
)
def site() -> None:
    """Create sites in the registry."""


@site.command(
    "new",
    epilog='\b\nExample:\n  fleet site new --uai 0450062Y --name "Lycée Voltaire" --kind lycee --dept 45 --city Orléans',
)
@click.option("--uai", help="The establishment's UAI, e.g. 0450050K.")
@click.option("--name", help="Full name of the establishment.")
@click.option("--kind", type=click.Choice(KINDS), help="Kind of establishment.")
@click.option("--dept", type=int, help="Department number (18, 28, 36, 37, 41, 45).")
@click.option("--city", help="City.")
@click.option("--owner", type=click.Choice(OWNERS), default="region", show_default=True)
def new(uai, name, kind, dept, city, owner) -> None:
    """Create a site from its kind's template and allocate its address block.

    Non-interactive when every option is given; on a TTY, missing values are prompted for.
    Nothing is written unless the registry validates with the new site.
    """
    from fleet.registry.write import new_site

    values = {"uai": uai, "name": name, "kind": kind, "dept": dept, "city": city}
    missing = [k for k, v in values.items() if v is None]
    if missing:
        if not sys.stdin.isatty():
            raise click.UsageError(f"missing option(s): {', '.join('--' + m for m in missing)}")
        prompts = {"kind": click.Choice(KINDS), "dept": int}
        for key in missing:
            values[key] = click.prompt(key, type=prompts.get(key, str))
    result = new_site(
        Path(settings().registry),
        uai=values["uai"].upper(),
        name=values["name"],
        kind=values["kind"],
        department=int(values["dept"]),
        city=values["city"],
        owner=owner,
    )
    data = {
        "uai": result.uai,
        "index": result.index,
        "site_file": str(result.site_file),
        "network": result.network,
    }
    emit(
        data,
        "\n".join(
            [
                f"created {result.site_file} (site index {result.index}, {result.network})",
                f"next: review it, put its secrets in {Path(settings().registry) / 'vault' / (result.uai + '.yml')}"
                " (ansible-vault), then `fleet inventory build`",
            ]
        ),
    )
