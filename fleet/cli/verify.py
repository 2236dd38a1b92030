"""`fleet verify SITE…`: read-only acceptance checks of live sites and their handover reports."""

from __future__ import annotations

from pathlib import Path

import click

from fleet.cli.context import emit, log, print_table, settings


@click.command(
    epilog="""\b
Examples:
  fleet verify 0450062Y
  fleet verify 0450062Y --report handover.html --output json
  fleet verify --all
\b
Read-only. Exit codes: 0 every check passed, 1 a check failed, 3 bad input.
"""
)
@click.argument("sites", nargs=-1, metavar="[SITE]...")
@click.option("--all", "all_sites", is_flag=True, help="Every active site.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Handover report of one site (HTML, JSON beside it) "
    "[default: .fleet/reports/handover-SITE-TIME.html].",
)
@click.option(
    "--vault-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FLEET_VAULT_PASSWORD_FILE",
    help="Vault password file (env FLEET_VAULT_PASSWORD_FILE).",
)
@click.pass_context
def verify(ctx, sites, all_sites, report, vault_password_file) -> None:
    """Run the components' checks against live sites (read-only) and write handover reports."""
    from fleet.deploy import host_overlay, vault_password
    from fleet.errors import BadInput
    from fleet.onboard.secrets import read_vault
    from fleet.registry import load_registry
    from fleet.verify import report as handover
    from fleet.verify.site import verify_site

    cfg = settings()
    registry = load_registry(cfg.registry_path)
    if bool(sites) == all_sites:
        raise BadInput("give sites (UAIs) or --all (one of them)")
    chosen = [s.strip().upper() for s in sites] or [
        u for u, s in registry.sites.items() if s.state.value == "active"
    ]
    for uai in chosen:
        registry.site(uai)
    if report is not None and len(chosen) > 1:
        raise BadInput("--report names one file: give one site")
    overlay = host_overlay(registry, cfg.paths)
    try:
        password = vault_password(registry, chosen, vault_password_file)
    except BadInput:
        # the checks need no secret but a device's API key: without the password the vault is
        # not read, and a check that needs a key fails saying so (the lab needs none)
        if vault_password_file is not None:
            raise
        password = None
    results = []
    for uai in chosen:
        log(f"{uai}: verifying")

        def heard(check, uai=uai):
            log(f"  {check.status:<7} {check.name}")

        vault = read_vault(registry.vault_file(uai), password) if password is not None else {}
        done = verify_site(cfg.paths, registry, uai, overlay, vault, heard)
        handover.write(done, report or handover.default_path(cfg.paths.state, done))
        results.append(done)

    def text() -> None:
        for done in results:
            data = done.to_dict()
            rows = [(c.name[:90], c.status, (c.evidence.splitlines() or [""])[0][:70])
                    for c in done.checks]  # fmt: skip
            print_table(("check", "result", "evidence"), rows, f"fleet verify {done.site}",
                        plain_title=True)  # fmt: skip
            counts = data["counts"]
            click.echo(f"{done.site}: {data['result']} ({counts['passed']} passed, "
                       f"{counts['failed'] + counts['error']} failing, {counts['pending']} pending)"
                       f"; report {done.reports['html']}")  # fmt: skip
            for name in data["failing"]:
                click.echo(f"  failing: {name}")

    code = max((d.exit_code for d in results), default=0)
    emit({"sites": [d.to_dict() for d in results], "exit_code": code}, text)
    ctx.exit(code)
