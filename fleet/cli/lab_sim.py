"""`fleet lab sim KIND`: serve one kind of simulated device (fleet.lab.sim.kinds) in the foreground."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from fleet.cli.context import log, settings
from fleet.errors import BadInput
from fleet.lab.sim.kinds import KINDS, load_factory, load_server


def device_names(kind: str, devices: int | None, names: str | None) -> list[str]:
    if names is None:
        return [f"{kind}-{i:03d}" for i in range(1, (devices or 1) + 1)]
    listed = [n.strip() for n in names.split(",")]
    if any(not n for n in listed):
        raise BadInput(f"--names: '{names}' has an empty name")
    if devices is not None and devices != len(listed):
        raise BadInput(f"--devices {devices} but --names lists {len(listed)} names")
    return listed


@click.command(
    "sim",
    epilog="""\b
Examples:
  fleet lab sim pve --state .fleet/lab/sim/pve --devices 3
  fleet lab sim opnsense --state /tmp/opn --names 0450050K,0180001A --port 8443
  fleet lab sim opsi --state /tmp/opsi --devices 2 --faults 'dev=opsi-002:error=503:rate=0.5'
  fleet lab sim pve --state /tmp/pve --layout port --port 0 --devices 20

\b
Once every device listens, one JSON line goes to stdout: kind, pid, ca, control
{url, token} and devices [{name, url, host, port, ca, <credentials>}]. SIGTERM or
Ctrl-C stops it; device state is saved. Fault syntax: docs/lab-simulators.md.
""",
)
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option(
    "--state",
    "state_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="State directory (device state, certificates); reused across restarts.",
)
@click.option("--devices", type=click.IntRange(1, 4096), help="Number of devices (default 1).")
@click.option("--names", help="Comma-separated device names (default KIND-001, KIND-002, …).")
@click.option(
    "--listen",
    help="First device address in 127.0.0.0/8; device i gets ADDR+i "
    "(default 127.100.0.1; with --layout port every device shares ADDR, default 127.0.0.1).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port on each address (default: the product's, "
    + ", ".join(f"{k.name} {k.default_port}" for k in KINDS.values())
    + "; 0 = a free port per device).",
)
@click.option(
    "--layout",
    type=click.Choice(["address", "port"]),
    default="address",
    show_default=True,
    help="address: one loopback address per device; port: one address, one port per device.",
)
@click.option("--faults", "fault_spec", help="Faults to inject, e.g. 'dev=pve-002:error=503'.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for data and faults.")
@click.option(
    "--ca",
    "ca_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="CA directory (ca.pem, ca.key), shared by the lab's simulators (default STATE/ca).",
)
@click.option("--dns-suffix", help="Also certify NAME.SUFFIX for each device.")
@click.option(
    "--control-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the control API on 127.0.0.1 (0 = a free port).",
)
@click.option(
    "--fsync/--no-fsync",
    default=False,
    show_default=True,
    help="Also fsync every state write (survives a host crash, not only a simulator restart).",
)
@click.option("--factory", "factory_target", hidden=True, help="module:attr of a device factory.")
@click.pass_context
def sim(
    ctx: click.Context,
    kind: str,
    state_dir: Path,
    devices: int | None,
    names: str | None,
    listen: str | None,
    port: int | None,
    layout: str,
    fault_spec: str | None,
    seed: int,
    ca_dir: Path | None,
    dns_suffix: str | None,
    control_port: int,
    fsync: bool,
    factory_target: str | None,
) -> None:
    """Serve simulated KIND devices over HTTPS on loopback until SIGTERM."""
    from fleet.lab.sim import faults
    from fleet.lab.sim.server import SimConfig

    serve = load_server(kind)

    verbose = settings().verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    config = SimConfig(
        kind=kind,
        factory=load_factory(kind, factory_target),
        state_dir=state_dir.absolute(),
        names=device_names(kind, devices, names),
        listen=listen,
        port=port,
        layout=layout,
        # a kind with its own server parses its own fault language
        faults=fault_spec if KINDS[kind].server else faults.parse(fault_spec),
        seed=seed,
        ca_dir=ca_dir.absolute() if ca_dir else None,
        dns_suffix=dns_suffix,
        control_port=control_port,
        access_log=verbose > 1,
        fsync=fsync,
    )

    def ready(doc: dict) -> None:
        click.echo(json.dumps(doc, separators=(",", ":")))
        first = doc["devices"][0]["url"]
        log(f"{kind}: {len(doc['devices'])} device(s) listening from {first}; SIGTERM stops")

    code = serve(config, ready)
    log(f"{kind}: stopped, state saved in {config.state_dir}")
    ctx.exit(code)
