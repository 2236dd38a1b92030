"""`fleet lab up|down|status` (and `fleet lab image`): the lab's container hosts and friends."""

from __future__ import annotations

from pathlib import Path

import click

from fleet.cli.context import emit, log, print_table, settings, use_color
from fleet.errors import EXIT_FAILED

LAB_REGISTRY_OPTION = click.option(
    "--lab-registry",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FLEET_LAB_REGISTRY",
    default="inventories/lab",
    show_default=True,
    help="The lab registry whose hosts the lab runs (env FLEET_LAB_REGISTRY).",
)

MIRROR_OPTION = click.option(
    "--mirror",
    metavar="URL",
    help="Debian archive to build the base image from, e.g. a local mirror (else env "
    "FLEET_LAB_MIRROR, else this machine's apt sources). Used only when the image is built.",
)


class ProgressRenderer:
    """Shows lab progress on stderr: a live line with rich on a TTY, plain lines otherwise."""

    # debootstrap/apt chatter: on a plain stream, print only every Nth of these lines
    CHATTY = (
        "Retrieving",
        "Validating",
        "Extracting",
        "Unpacking",
        "Configuring",
        "Setting up",
        "Get:",
    )
    EVERY = 40

    def __init__(self) -> None:
        self.live = use_color()
        self.status = None
        self.console = None

    def __enter__(self) -> ProgressRenderer:
        if self.live:
            from rich.console import Console

            self.console = Console(stderr=True)
            self.status = self.console.status("lab: starting…")
            self.status.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.status is not None:
            self.status.stop()

    def __call__(self, event) -> None:
        chatty = event.message.startswith(self.CHATTY)
        if self.live:
            self.status.update(f"[bold]{event.stage}[/] {event.message}")
            if not chatty:
                self.console.log(f"{event.stage}: {event.message}", highlight=False)
        elif not chatty or (event.step or 0) % self.EVERY == 0:
            log(f"{event.stage}: {event.message}")


def _context(inventory=None, progress=None, registry_path=None, options=None):
    import shlex
    import sys

    from fleet.lab.parts import LabContext

    command = "fleet " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return LabContext(
        project_root=settings().paths.root,
        inventory=inventory,
        progress=progress,
        registry_path=registry_path,
        options=options or {},
        command=command,
    )


def _lab_inventory(path: Path) -> dict:
    from fleet.inventory import build_inventory
    from fleet.registry import load_registry

    return build_inventory(load_registry(path))


def _table(statuses, title: str) -> None:
    if not statuses:
        click.echo("the lab is down (nothing running)")
        return
    rows = [
        (
            s.name,
            s.site or "-",
            s.kind or s.part,
            s.endpoint or "-",
            s.state,
            "ok" if s.healthy else s.detail,
        )
        for s in statuses
    ]
    columns = ("host", "site", "role", "endpoint", "state", "health")
    styles = [None if row[5] == "ok" else "red" for row in rows]
    print_table(columns, rows, title, styles=styles)


@click.command(
    epilog="""\b
Examples:
  fleet lab up
  fleet lab up --lab-registry inventories/lab
  fleet lab up --mirror http://<local-mirror>/debian
  fleet --output json lab up | jq '.hosts[].endpoint'
  ssh -F .fleet/lab/ssh_config <host FQDN>      # log in to a lab host
  fleet lab up --sites 180 --ssh-sites 3 --faults 10%   # the lab at fleet scale
  fleet --registry .fleet/scale/registry drift --all --json-report drift.json
""",
)
@LAB_REGISTRY_OPTION
@MIRROR_OPTION
@click.option(
    "--sites",
    type=int,
    help="The lab at fleet scale: a registry of N sample sites (.fleet/scale/registry) instead "
    "of --lab-registry; every site's API devices run, SSH hosts only for --ssh-sites of them.",
)
@click.option(
    "--ssh-sites",
    type=int,
    default=3,
    show_default=True,
    help="With --sites: how many sites get real SSH hosts (containers); the other sites' Linux "
    "hosts are excluded from the SSH components, with the reason in every report.",
)
@click.option(
    "--faults",
    metavar="N%|N|UAI=FAULT,…",
    help="With --sites: seeded faults on the API devices of that share or number of sites "
    "(down, error, hang, flap in turn), or the named sites' faults. Kept in .fleet/lab/scale.json.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --faults.")
def up(
    lab_registry: Path,
    mirror: str | None,
    sites: int | None,
    ssh_sites: int,
    faults: str | None,
    seed: int,
) -> None:
    """Start the lab: build or reuse the host images, start one container per Linux host of
    the lab registry, publish each sshd on 127.0.0.1, write .fleet/lab/ (key, known_hosts,
    hosts.json). Idempotent: running it again repairs what is missing."""
    from fleet.lab import scale, state
    from fleet.lab.control import lab_up
    from fleet.lab.inventory import inventory_path

    root = settings().paths.root
    options: dict = {"mirror": mirror}
    plan = None
    if sites is not None:
        plan = scale.prepare(root, sites, ssh_sites, faults, seed)
        lab_registry = Path(plan.registry)
        options.update(plan.lab_options())
    elif faults is not None:
        raise click.UsageError("--faults needs --sites (the lab at scale)")
    else:
        scale.plan_path(root).unlink(missing_ok=True)
    inventory = _lab_inventory(lab_registry)
    with ProgressRenderer() as progress:
        statuses = lab_up(_context(inventory, progress, lab_registry, options))
    data = {
        "hosts": [s.to_dict() for s in statuses],
        "healthy": all(s.healthy for s in statuses),
        "inventory": str(inventory_path(root)),
        "overlay": str(state.hosts_path(root)),
        "ssh_config": str(state.ssh_config_path(root)),
        "known_hosts": str(state.known_hosts_path(root)),
        **({"scale": plan.to_dict()} if plan else {}),
    }

    def text() -> None:
        if plan is not None:  # 180 sites × their devices: a summary, not a table
            healthy = sum(s.healthy for s in statuses)
            click.echo(f"{len(statuses)} lab device(s) and host(s), {healthy} healthy")
            click.echo(f"sites: {plan.sites}; SSH hosts for: {', '.join(plan.ssh_sites) or 'none'}")
            click.echo(f"faults: {plan.fault_spec() or 'none'}")
            registry = Path(plan.registry).relative_to(root)
            password = Path(plan.vault_password_file).relative_to(root)
            click.echo(
                f"\nrun: fleet --registry {registry} drift --all --vault-password-file {password}"
            )
            return
        _table(statuses, "fleet lab")
        click.echo(f"\nlog in: ssh -F {state.ssh_config_path(root).relative_to(root)} <host>")
        click.echo(f"ansible: ansible -i {inventory_path(root).relative_to(root)} all -m ping")

    emit(data, text)


@click.command(
    epilog="""\b
Examples:
  fleet lab down
  fleet --output json lab down
""",
)
def down() -> None:
    """Remove everything `fleet lab up` made in this project: its containers, its podman
    network and .fleet/lab/ state. Other containers are never touched."""
    from fleet.lab.control import lab_down

    removed = lab_down(_context())
    emit(
        {"removed": removed},
        lambda: click.echo("\n".join(removed) if removed else "nothing to remove"),
    )


@click.command(
    epilog="""\b
Examples:
  fleet lab status
  fleet --output json lab status | jq '.hosts[] | select(.healthy | not)'

\b
Exit 0 when everything the lab runs is healthy (or the lab is down), 1 otherwise.
""",
)
@click.pass_context
def status(ctx: click.Context) -> None:
    """List the lab's hosts with their ports and health (sshd answering with the lab key)."""
    from fleet.lab.control import lab_status

    statuses = lab_status(_context())
    healthy = all(s.healthy for s in statuses)
    emit(
        {"hosts": [s.to_dict() for s in statuses], "healthy": healthy},
        lambda: _table(statuses, "fleet lab"),
    )
    if not healthy:
        ctx.exit(EXIT_FAILED)


@click.command(
    epilog="""\b
Examples:
  fleet lab image                 # the base image
  fleet lab image base samba      # several variants
  fleet lab image --mirror http://<local-mirror>/debian
  fleet --output json lab image samba
""",
)
@click.argument("variants", nargs=-1)
@MIRROR_OPTION
def image(variants: tuple[str, ...], mirror: str | None) -> None:
    """Build (or find cached) the lab host images and print their references.

    Images are tagged with the hash of their recipe; a recipe change rebuilds. The base image
    is debootstrap'ed from --mirror, FLEET_LAB_MIRROR or the first archive of this machine's
    apt sources serving the image's Debian release."""
    from fleet.lab.image import ensure_image

    with ProgressRenderer() as progress:
        refs = {v: ensure_image(v, progress, mirror) for v in (variants or ("base",))}
    emit({"images": refs}, "\n".join(refs.values()))


if __name__ == "__main__":  # `python -m fleet.cli.lab_hosts image base` (Molecule's dependency)
    import sys

    from fleet.cli.main import main

    # through fleet's own entry point, so errors get their message and exit code
    sys.exit(main(["lab", *sys.argv[1:]]))
