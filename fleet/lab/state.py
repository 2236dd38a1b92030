"""Lab state under `<project>/.fleet/lab/`: the SSH key, known_hosts, ports, connection overlay.

Files (all written atomically):
- `id_ed25519`, `id_ed25519.pub`: the lab's SSH key (root on every lab host accepts it);
- `known_hosts`: each lab host's own host key, keyed `[127.0.0.1]:PORT` (checking stays on);
- `ssh_config`: `ssh -F .fleet/lab/ssh_config <inventory hostname>` works (testinfra uses it);
- `state.json`: what `up` made (containers, ports, network) so `status`/`down` can find it;
- `overlay/<part>.json` and the merged `hosts.json`: inventory hostname → connection vars,
  merged over the lab registry's generated inventory (see `load_overlay`);
- `inventory.yml`: the lab registry's inventory with that overlay (fleet.lab.inventory).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from fleet.errors import FleetError
from fleet.fsutil import atomic_write
from fleet.inventory import load_overlay as read_overlay
from fleet.paths import Paths

STATE_VERSION = 2  # 2: "components" became "parts"


def lab_dir(project_root: Path) -> Path:
    return Paths.at(project_root).lab


def key_path(project_root: Path) -> Path:
    return lab_dir(project_root) / "id_ed25519"


def known_hosts_path(project_root: Path) -> Path:
    return lab_dir(project_root) / "known_hosts"


def ssh_config_path(project_root: Path) -> Path:
    return lab_dir(project_root) / "ssh_config"


def hosts_path(project_root: Path) -> Path:
    return Paths.at(project_root).host_overlay


def state_path(project_root: Path) -> Path:
    return lab_dir(project_root) / "state.json"


def ensure_key(project_root: Path) -> Path:
    """The lab's ed25519 key pair; generated once, kept until `down`."""
    key = key_path(project_root)
    if key.exists() and key.with_suffix(".pub").exists():
        return key
    key.parent.mkdir(parents=True, exist_ok=True)
    key.unlink(missing_ok=True)
    key.with_suffix(".pub").unlink(missing_ok=True)
    proc = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleet-lab", "-f", str(key)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise FleetError(f"ssh-keygen failed for {key}: {proc.stderr.strip()}")
    return key


def public_key(project_root: Path) -> str:
    return key_path(project_root).with_suffix(".pub").read_text().strip()


def connection_vars(project_root: Path, port: int) -> dict[str, Any]:
    """What Ansible needs to reach a lab host over its published port (contract with inventory)."""
    return {
        "ansible_host": "127.0.0.1",
        "ansible_port": port,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key_path(project_root)),
        "ansible_ssh_common_args": (
            f"-o UserKnownHostsFile={known_hosts_path(project_root)} -o StrictHostKeyChecking=yes"
        ),
        "ansible_python_interpreter": "/usr/bin/python3",
    }


def known_hosts_line(port: int, host_public_key: str) -> str:
    # Only the key type and base64 body; the comment (root@container) carries nothing.
    kind, body = host_public_key.split()[:2]
    return f"[127.0.0.1]:{port} {kind} {body}"


def write_ssh_files(project_root: Path, hosts: dict[str, dict[str, Any]]) -> None:
    """known_hosts and ssh_config for `hosts` = {inventory hostname: {"port", "host_key"}}."""
    lines = [known_hosts_line(h["port"], h["host_key"]) for _, h in sorted(hosts.items())]
    atomic_write(known_hosts_path(project_root), "".join(line + "\n" for line in lines), mode=0o600)
    blocks = ["# Written by `fleet lab up`: ssh -F .fleet/lab/ssh_config <lab host>\n"]
    for name, h in sorted(hosts.items()):
        blocks.append(
            f"Host {name}\n"
            f"  HostName 127.0.0.1\n"
            f"  Port {h['port']}\n"
            f"  User root\n"
            f"  IdentityFile {key_path(project_root)}\n"
            f"  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {known_hosts_path(project_root)}\n"
            f"  StrictHostKeyChecking yes\n"
            f"  BatchMode yes\n"
        )
    atomic_write(ssh_config_path(project_root), "\n".join(blocks), mode=0o600)


def load_state(project_root: Path) -> dict[str, Any]:
    path = state_path(project_root)
    if not path.exists():
        return {"version": STATE_VERSION, "parts": {}}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise FleetError(
            f"{path}: unreadable lab state ({exc}); run `fleet lab down` then `fleet lab up`"
        ) from exc
    data.setdefault("parts", data.pop("components", {}))
    return data


def save_part_state(project_root: Path, part: str, data: dict[str, Any] | None) -> None:
    """Record (or, with None, forget) one part's share of the lab state."""
    state = load_state(project_root)
    if data is None:
        state["parts"].pop(part, None)
        if not state["parts"]:
            state_path(project_root).unlink(missing_ok=True)
            return
    else:
        state["parts"][part] = data
    state["version"] = STATE_VERSION
    atomic_write(state_path(project_root), json.dumps(state, indent=2, sort_keys=True) + "\n")


def part_state(project_root: Path, part: str) -> dict[str, Any]:
    return load_state(project_root)["parts"].get(part, {})


def write_overlay(project_root: Path, part: str, entries: dict[str, dict[str, Any]] | None) -> None:
    """Set (or, with None, drop) one part's overlay entries and rewrite `hosts.json`."""
    part_dir = lab_dir(project_root) / "overlay"
    part_file = part_dir / f"{part}.json"
    if entries is None:
        part_file.unlink(missing_ok=True)
    else:
        atomic_write(part_file, json.dumps(entries, indent=2, sort_keys=True) + "\n")
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(part_dir.glob("*.json")) if part_dir.is_dir() else []:
        for host, hostvars in json.loads(path.read_text()).items():
            merged.setdefault(host, {}).update(hostvars)
    if merged:
        atomic_write(hosts_path(project_root), json.dumps(merged, indent=2, sort_keys=True) + "\n")
    else:
        hosts_path(project_root).unlink(missing_ok=True)


def load_overlay(project_root: Path) -> dict[str, dict[str, Any]] | None:
    """The lab's connection overlay (inventory hostname → host vars), or None when the lab is down."""
    return read_overlay(Paths.at(project_root).host_overlay)


def clear(project_root: Path) -> list[str]:
    """Remove the files `up` wrote (not other parts' directories, e.g. simulator state)."""
    removed = []
    base = lab_dir(project_root)
    key = key_path(project_root)
    for path in (
        base / "inventory.yml",
        hosts_path(project_root),
        known_hosts_path(project_root),
        ssh_config_path(project_root),
        state_path(project_root),
        key,
        key.with_suffix(".pub"),
    ):
        if path.exists():
            path.unlink()
            removed.append(str(path.relative_to(base)))
    overlay = base / "overlay"
    for directory in (overlay, base):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    return removed
