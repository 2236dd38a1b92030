"""Processes of this machine that still talk to the lab: what `down` ends besides containers.

Ansible keeps an SSH master per host (ControlPersist) for up to a minute after a run. Its
command line is rewritten by ssh (`ssh: ~/.ansible/cp/<hash> [mux]`), so the only sure way to
tell it belongs to the lab is its TCP connection to a lab port on 127.0.0.1. Linux only: read
from /proc (no dependency for two small tables).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
ESTABLISHED = "01"


def _loopback_port(field: str) -> int | None:
    """`0100007F:9C40` (IPv4) or the IPv4-mapped IPv6 form → 40000 when the address is 127.x."""
    address, _, port = field.partition(":")
    if len(address) == 8:  # IPv4, little-endian hex
        first_octet = int(address[6:8], 16)
    elif len(address) == 32 and address[:24].upper() == "0000000000000000FFFF0000":
        first_octet = int(address[30:32], 16)
    else:
        return None
    return int(port, 16) if first_octet == 127 else None


def socket_inodes_to(ports: Iterable[int], proc: Path = PROC) -> set[str]:
    """Inodes of established TCP sockets whose remote end is 127.x:<one of ports>."""
    wanted = set(ports)
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) < 10 or cols[3] != ESTABLISHED:
                continue
            if _loopback_port(cols[2]) in wanted:
                inodes.add(cols[9])
    return inodes


def pids_with_sockets(inodes: set[str], proc: Path = PROC) -> dict[int, str]:
    """pid → command name of the processes holding one of these socket inodes."""
    found: dict[int, str] = {}
    if not inodes:
        return found
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in targets:
                    found[int(entry.name)] = (entry / "comm").read_text().strip()
                    break
            except OSError:
                continue
    return found


def ssh_clients(ports: Iterable[int], proc: Path = PROC) -> dict[int, str]:
    """The ssh processes (e.g. Ansible's ControlPersist masters) connected to those lab ports."""
    holders = pids_with_sockets(socket_inodes_to(ports, proc), proc)
    return {pid: comm for pid, comm in holders.items() if comm == "ssh"}


def end_ssh_clients(ports: Iterable[int]) -> list[int]:
    """SIGTERM the ssh clients of the lab's ports (never any other process); return their pids."""
    ended = []
    for pid in sorted(ssh_clients(ports)):
        try:
            os.kill(pid, signal.SIGTERM)
            ended.append(pid)
        except ProcessLookupError:
            pass
    return ended
