"""`fleet lab sim switches`: serve the switches in the foreground until SIGTERM/SIGINT.

The ready document is one JSON line, as for the other kinds: kind, pid, known_hosts and
devices [{name, host, port, platform, username, password, ports, host_key}].
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import paramiko

from fleet.errors import BadInput
from fleet.fsutil import atomic_write
from fleet.lab.sim.switches import effects, factory, parse_faults, parse_name
from fleet.lab.sim.switches.device import Switch
from fleet.lab.sim.switches.ssh import Faults, SwitchSshServer

log = logging.getLogger(__name__)
USERNAME = "fleet"


def host_key(state_dir: Path) -> paramiko.RSAKey:
    """The simulator's own host key (made once, kept in the state directory)."""
    path = state_dir / "host_key"
    if path.exists():
        return paramiko.RSAKey.from_private_key_file(str(path))
    key = paramiko.RSAKey.generate(2048)
    tmp = path.with_suffix(".tmp")
    key.write_private_key_file(str(tmp))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return key


def passwords(state_dir: Path, names: list[str]) -> dict[str, str]:
    """One password per device, kept across restarts (mode 0600)."""
    path = state_dir / "credentials.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    wanted = {n: known.get(n) or secrets.token_urlsafe(12) for n in names}
    if wanted != known:
        atomic_write(path, json.dumps({**known, **wanted}, sort_keys=True) + "\n", mode=0o600)
    return wanted


class FaultFile:
    """--faults plus the `faults` file of the state directory, re-read when it changes."""

    def __init__(self, spec: str | None, path: Path):
        self.base = parse_faults(spec)
        self.path = path
        self.mtime: float | None = None
        self.rules = list(self.base)

    def __call__(self, name: str) -> set[str]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self.mtime:
            text = self.path.read_text() if mtime is not None else ""
            self.rules = self.base + parse_faults(text)
            self.mtime = mtime
        return effects(self.rules, name)


def write_faults(state_dir: Path, spec: str) -> None:
    """Set the faults of a running simulator (checked first; '' clears them)."""
    parse_faults(spec)
    atomic_write(Path(state_dir) / "faults", spec + "\n")


def start_devices(config: Any) -> tuple[list[SwitchSshServer], dict[str, Any]]:
    from fleet.lab.sim.server import plan_addresses

    state_dir = Path(config.state_dir)
    (state_dir / "devices").mkdir(parents=True, exist_ok=True)
    specs = [parse_name(n) for n in config.names]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise BadInput("--names: a device name is listed twice")
    key = host_key(state_dir)
    logins = passwords(state_dir, names)
    faults = Faults(FaultFile(config.faults if isinstance(config.faults, str) else None,
                              state_dir / "faults"))  # fmt: skip
    addresses = plan_addresses(names, config.listen, config.port or 0, config.layout)
    servers: list[SwitchSshServer] = []
    for index, (text, spec, (host, port)) in enumerate(
        zip(config.names, specs, addresses, strict=True)
    ):
        path = state_dir / "devices" / f"{spec.name}.json"
        saved = json.loads(path.read_text()) if path.exists() else None
        device = factory(text, index, saved, 0)

        def save(device: Switch = device, path: Path = path) -> None:
            atomic_write(path, json.dumps(device.snapshot(), sort_keys=True) + "\n")

        server = SwitchSshServer(device, host, port, USERNAME, logins[spec.name], key, faults, save)
        try:
            server.start()
        except OSError as exc:
            for started in servers:
                started.stop()
            raise BadInput(f"switch {spec.name}: cannot listen on {host}:{port}: {exc}") from exc
        servers.append(server)
    public = f"{key.get_name()} {key.get_base64()}"
    known_hosts = state_dir / "known_hosts"
    lines = [f"[{s.address}]:{s.port} {public}" for s in servers]
    atomic_write(known_hosts, "\n".join(lines) + "\n")
    doc = {
        "kind": "switches",
        "pid": os.getpid(),
        "known_hosts": str(known_hosts),
        "devices": [
            {
                "name": s.device.name,
                "url": f"ssh://{s.address}:{s.port}",
                "host": s.address,
                "port": s.port,
                "platform": s.device.platform,
                "username": USERNAME,
                "password": logins[s.device.name],
                "ports": s.device.port_count,
                "host_key": public,
            }  # fmt: skip
            for s in servers
        ],
    }
    return servers, doc


def stop_devices(servers: list[SwitchSshServer]) -> None:
    if not servers:
        return
    with ThreadPoolExecutor(max_workers=min(32, len(servers))) as pool:
        list(pool.map(lambda s: s.stop(), servers))


def serve(config: Any, on_ready: Callable[[dict[str, Any]], None]) -> int:
    """Serve until SIGTERM (0) or SIGINT (130); saved configurations stay on disk."""
    stopped = threading.Event()
    received: list[int] = []

    def handler(signum: int, _frame: Any) -> None:
        received.append(signum)
        stopped.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    servers: list[SwitchSshServer] = []
    try:
        servers, doc = start_devices(config)
        on_ready(doc)
        while not stopped.wait(0.5):
            pass
    finally:
        stop_devices(servers)
        for signum, old in previous.items():
            signal.signal(signum, old)
    return 130 if received and received[0] == signal.SIGINT else 0
