"""`fleet site new` (fleet/cli/sites.py) and `fleet site secrets`: a new site's vault."""

from __future__ import annotations

from pathlib import Path

import click

from fleet.cli.context import emit, settings
from fleet.cli.sites import site


@site.command(
    "secrets",
    epilog="""\b
Examples:
  fleet site secrets 0450062Y
  fleet site secrets 0450062Y --generate --vault-password-file ~/.fleet-vault
\b
Values are never shown: --generate writes them straight into the encrypted vault file.
Exit codes: 0 nothing missing (after --generate: nothing fleet can make), 1 secrets missing.
""",
)
@click.argument("site_uai", metavar="SITE")
@click.option("--generate", is_flag=True, help="Generate the missing passwords into the vault.")
@click.option(
    "--vault-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FLEET_VAULT_PASSWORD_FILE",
    help="Vault password file (env FLEET_VAULT_PASSWORD_FILE).",
)
@click.pass_context
def secrets_command(ctx, site_uai, generate, vault_password_file) -> None:
    """The secrets a site's components need: which are missing (names only); --generate adds
    the passwords fleet can make to the site's encrypted vault file."""
    from fleet.deploy import host_overlay
    from fleet.errors import BadInput
    from fleet.onboard import secrets
    from fleet.registry import load_registry
    from fleet.runner.prepare import read_vault_password

    cfg = settings()
    uai = site_uai.strip().upper()
    registry = load_registry(cfg.registry_path)
    registry.site(uai)
    password = read_vault_password(vault_password_file) if vault_password_file else None
    try:
        overlay = host_overlay(registry, cfg.paths)
    except BadInput:
        overlay = None  # the lab is down: its credentials files are unknown, ask for all
    added: list[str] = []
    if generate:
        if password is None:
            raise BadInput("--generate needs --vault-password-file (or FLEET_VAULT_PASSWORD_FILE)")
        added, _ = secrets.generate(registry, uai, password, overlay)
    lacking = secrets.missing(registry, uai, password, overlay)
    data = {
        "site": uai,
        "vault_file": str(registry.vault_file(uai)),
        "required": [s.name for s in secrets.required(registry, uai, overlay)],
        "generated": added,
        "missing": [{"name": s.name, "generate": s.generate, "hint": s.hint} for s in lacking],
    }

    def text() -> None:
        for name in added:
            click.echo(f"generated {name} into {data['vault_file']} (encrypted)")
        for s in lacking:
            how = "run with --generate" if s.generate else s.hint
            click.echo(f"missing {s.name}: {how}")
        if not lacking:
            click.echo(f"{uai}: every secret its components need is in {data['vault_file']}")

    emit(data, text)
    ctx.exit(1 if lacking else 0)
