"""`fleet opsi catalogue list|show|validate|update`: the OPSI catalogue lock."""

from __future__ import annotations

import os
from pathlib import Path

import click

from fleet.cli.context import emit, log, print_table, settings


@click.group(
    epilog="""\b
Examples:
  fleet opsi catalogue validate
  fleet opsi catalogue update firefox --from-url https://opsi-master:4447
"""
)
def opsi() -> None:
    """OPSI: the software catalogue the depots get."""


@opsi.group(
    epilog="""\b
Examples:
  fleet opsi catalogue list
  fleet opsi catalogue show firefox
  fleet opsi catalogue validate
  fleet opsi catalogue update --from-dir ./packages --dry-run
"""
)
def catalogue() -> None:
    """The catalogue lock (registry opsi/catalogue.lock.yml) and its pins (opsi/pins.yml)."""


@catalogue.command(
    "list",
    epilog="\b\nExamples:\n  fleet opsi catalogue list\n  fleet -o json opsi catalogue list | jq length\n",
)
def list_() -> None:
    """Every locked product: version, type, dependencies, the profiles naming it."""
    from fleet import catalogue as core

    rows = core.rows(settings().registry_path)

    def text() -> None:
        print_table(
            ("product", "version", "type", "deps", "profiles"),
            [
                (
                    r["product"],
                    r["version"],
                    r["type"],
                    str(r["dependencies"]),
                    ", ".join(r["profiles"]) or "-",
                )
                for r in rows
            ],
            f"{len(rows)} locked products",
        )

    emit(rows, text)


@catalogue.command(epilog="\b\nExamples:\n  fleet opsi catalogue show firefox\n")
@click.argument("product")
def show(product: str) -> None:
    """One locked product: version, package and sha256, dependencies, properties, pins."""
    from fleet import catalogue as core

    data = core.show(settings().registry_path, product)

    def text() -> None:
        for key in ("product", "version", "type", "file", "sha256"):
            click.echo(f"{key}: {data[key]}")
        click.echo(f"profiles: {', '.join(data['profiles']) or '-'}")
        click.echo(f"required by: {', '.join(data['required_by']) or '-'}")
        for dep in data["dependencies"]:
            extra = " ".join(f"{k}={v}" for k, v in dep.items() if k != "product")
            click.echo(f"depends on: {dep['product']} ({extra})")
        for prop, values in data["properties"].items():
            click.echo(f"property {prop}: {values}")
        for scope, pin in data["pins"].items():
            click.echo(f"{scope}: {pin}")
        for held in data.get("held", []):
            click.echo(f"held: {held['version']} ({held['file']})")

    emit(data, text)


@catalogue.command(
    epilog="\b\nExamples:\n  fleet opsi catalogue validate\n  fleet --registry inventories/lab opsi catalogue validate\n"
)
def validate() -> None:
    """Check the lock: every required product locked, version conditions met (opsi's version
    ordering), no cycle among `before` dependencies, the profiles' product ids, the pins.
    Exit 3 naming file, product and reason."""
    from fleet import catalogue as core

    data = core.validate(settings().registry_path)
    emit(
        data,
        f"{data['lock']}: valid ({data['products']} products, {data['dependencies']} dependencies)",
    )


@catalogue.command(
    epilog="""\b
Examples:
  fleet opsi catalogue update --from-dir ./packages            # every product
  fleet opsi catalogue update firefox --from-url https://opsi-master:4447 \\
      --credentials-file master.json --ca master-ca.pem
  fleet opsi catalogue update firefox --from-dir ./packages --dry-run
"""
)
@click.argument("products", nargs=-1)
@click.option(
    "--from-dir",
    "from_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A directory of .opsi files.",
)
@click.option(
    "--from-url",
    "from_url",
    help="The master's JSON-RPC URL (default: the region's opsi.master_url).",
)
@click.option(
    "--credentials-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON {username, password} for the master (else FLEET_OPSI_MASTER_USER/_PASSWORD).",
)
@click.option(
    "--ca",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CA bundle the master's TLS certificate is checked against.",
)
@click.option("--dry-run", is_flag=True, help="Show the changes, write nothing.")
def update(
    products: tuple[str, ...],
    from_dir: Path | None,
    from_url: str | None,
    credentials_file: Path | None,
    ca: Path | None,
    dry_run: bool,
) -> None:
    """Rewrite the lock from the master (JSON-RPC) or a directory of .opsi files: one or more
    PRODUCTS, or all. Shows the change table first; writes nothing if the new lock would not
    validate (exit 3)."""
    from fleet import catalogue as core
    from fleet.errors import BadInput
    from fleet.opsi import update as updatemod

    root = settings().registry_path
    if from_dir is not None and from_url is not None:
        raise BadInput("give --from-dir or --from-url, not both")
    if from_dir is not None:
        source = updatemod.DirectorySource(from_dir)
    else:
        source = _master(root, from_url, credentials_file, ca)
    result = core.plan_update(root, source, list(products) or None)
    changes = [c.to_dict() for c in result.changes]
    if not settings().json:
        if changes:
            print_table(
                ("product", "change", "from", "to"),
                [(c["product"], c["change"], c["from"] or "-", c["to"] or "-") for c in changes],
                f"catalogue changes from {source.name}",
                plain_title=True,
            )
        else:
            click.echo(f"the lock is up to date with {source.name}")
    written = False if dry_run else core.write_update(root, result)
    if dry_run and result.problems:
        from fleet.errors import ValidationFailed

        raise ValidationFailed(problems=result.problems)
    if written:
        log(f"wrote {root / 'opsi' / 'catalogue.lock.yml'} ({len(changes)} change(s))")
    emit({"changes": changes, "written": written, "source": source.name}, None)


def _master(root: Path, url: str | None, credentials_file: Path | None, ca: Path | None):
    from fleet.errors import BadInput
    from fleet.opsi import rpc
    from fleet.opsi import update as updatemod

    if url is None:
        from fleet.catalogue import master_url

        url = master_url(Path(root))
    try:
        user, password = rpc.credentials(
            os.environ.get("FLEET_OPSI_MASTER_USER"),
            os.environ.get("FLEET_OPSI_MASTER_PASSWORD"),
            str(credentials_file) if credentials_file else None,
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return updatemod.MasterSource(rpc.Client(url, user, password, str(ca) if ca else None))
