"""The state of one simulated OPNsense: saved configuration, running configuration, backups.

OPNsense writes every change to config.xml at once (a new revision and a backup), but services
only pick changes up on `reconfigure`/`apply`. The simulator keeps both: `config` is what
config.xml holds, `running` is what each subsystem last loaded. Items are treated as immutable
(replaced, never edited in place) so backups can share them instead of copying.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from fleet.lab.sim.opnsense.models import COLLECTIONS, SETTINGS, defaults, model

FORMAT = 1
BACKUP_COUNT = 60  # System > Configuration > Backups: "Backup Count" (OPNsense default)

# subsystem → config keys it loads when applied
SUBSYSTEMS: dict[str, tuple[str, ...]] = {
    "alias": ("alias",),
    "filter": ("rule", "alias"),
    "vlan": ("vlan",),
    "unbound": ("host", "host_alias", "dot", "domain")
    + tuple(k for k in SETTINGS if k.startswith("unbound")),
    "kea": ("subnet4", "reservation", "kea_option", "kea_peer")
    + tuple(k for k in SETTINGS if k.startswith("kea")),
}

# The region's installer template (the config.xml a firewall is installed from): WAN on vtnet0,
# the regional network the management and the API come from; LAN on vtnet1, the parent of the
# site VLANs; one optional interface per VLAN of the addressing plan, assigned to its VLAN device
# `vlan0.<tag>`, which fleet creates through the API (interface assignment has no API in the
# releases the reference covers).
INSTALLER_VLANS = (("opt1", 10, "MGMT"), ("opt2", 20, "SERVERS"), ("opt3", 30, "ADMIN"),
                   ("opt4", 60, "TOIP"), ("opt5", 40, "PEDAGO"), ("opt6", 50, "WIFI"),
                   ("opt7", 70, "DMZ"))  # fmt: skip
API_INTERFACE = "wan"

SEED_ALIASES = (
    ("bogons", "external", "bogon networks (internal)"),
    ("bogonsv6", "external", "bogon networks IPv6 (internal)"),
    ("sshlockout", "external", "abuse lockout table (internal)"),
    ("virusprot", "external", "overload table for rate limiting (internal)"),
)


def _stream(seed: int, name: str, label: str, size: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha512(f"{seed}:{name}:{label}:{counter}".encode()).digest()
        counter += 1
    return out[:size]


def installer_interfaces() -> dict[str, dict[str, str]]:
    interfaces = {
        "wan": {"descr": "WAN", "if": "vtnet0", "ipaddr": "dhcp"},
        "lan": {"descr": "LAN", "if": "vtnet1", "ipaddr": "192.168.1.1", "subnet": "24"},
    }
    for key, tag, descr in INSTALLER_VLANS:
        interfaces[key] = {"descr": descr, "if": f"vlan0.{tag}"}
    return interfaces


def new_state(name: str, index: int, seed: int, version: str) -> dict[str, Any]:
    """A freshly installed lab firewall of release `version`: the installer's interfaces,
    Unbound on, Kea off, no rules."""
    key = base64.b64encode(_stream(seed, name, "key", 60)).decode()
    secret = base64.b64encode(_stream(seed, name, "secret", 60)).decode()
    config: dict[str, Any] = {k: {} for k in COLLECTIONS}
    for s in SETTINGS:
        config[s] = defaults(model(s))
    config["unbound.general"]["enabled"] = "1"
    state: dict[str, Any] = {
        "format": FORMAT,
        "kind": "opnsense",
        "name": name,
        "index": index,
        "seed": seed,
        "key": key,
        "secret": secret,
        "uuid_counter": 0,
        "system": {
            "hostname": "OPNsense",
            "domain": "localdomain",
            "interfaces": installer_interfaces(),
            "api_interface": API_INTERFACE,
            "devices": ["vtnet0", "vtnet1", "vtnet2"],
            "gateways": {"WAN_DHCP": "WAN_DHCP - dhcp"},
            "groups": {"1999": "admins"},
        },
        "config": config,
        "running": {},
        "services": {"unbound": True, "kea": True},
        "revision": None,
        "backups": [],
        "rollbacks": {},
        "firmware": {"last_check": None, "version": version},
    }
    store = Store(state, clock=lambda: 1_700_000_000.0 + index)
    for alias_name, alias_type, descr in SEED_ALIASES:
        item = defaults(model("alias")) | {
            "name": alias_name,
            "type": alias_type,
            "description": descr,
        }
        config["alias"][store.new_uuid()] = item
    store.save("config.xml created by the installer", username="(system)")
    state["running"] = {k: dict(v) for k, v in config.items()}
    return state


def upgrade(state: dict[str, Any], version: str) -> dict[str, Any]:
    """Fill what a state saved by an older simulator lacks (its firewall ran `version`)."""
    for key in COLLECTIONS:
        state["config"].setdefault(key, {})
    state["firmware"].setdefault("version", version)
    state["system"].setdefault("api_interface", API_INTERFACE)
    return state


def _delta(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two configurations: changed/new items, None for deleted ones."""
    out: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if before == value:
            continue
        if key in COLLECTIONS:
            before = before or {}
            change: dict[str, Any] = {u: i for u, i in value.items() if before.get(u) != i}
            change.update({u: None for u in before if u not in value})
            out[key] = change
        else:
            out[key] = value
    return out


def _replay(config: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    out = dict(config)
    for key, change in delta.items():
        if key in COLLECTIONS:
            items = dict(out.get(key, {}))
            for u, item in change.items():
                if item is None:
                    items.pop(u, None)
                else:
                    items[u] = item
            out[key] = items
        else:
            out[key] = change
    return out


class Store:
    """Operations on a device state dict (the dict itself is what gets persisted)."""

    def __init__(self, state: dict[str, Any], clock: Callable[[], float] = time.time):
        self.state = state
        self.clock = clock
        self._cache: dict[str, Any] | None = None  # configuration of the newest backup

    # --- items ---------------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        return self.state["config"]

    def items(self, key: str) -> dict[str, dict[str, str]]:
        return self.config[key]

    def new_uuid(self) -> str:
        """RFC 4122 v4 UUIDs, deterministic per device and seed, stable across restarts."""
        self.state["uuid_counter"] += 1
        raw = _stream(
            self.state["seed"], self.state["name"], f"uuid{self.state['uuid_counter']}", 16
        )
        return str(uuidlib.UUID(bytes=raw, version=4))

    # --- revisions and backups ---------------------------------------------------------

    def _next_time(self) -> str:
        now = round(self.clock(), 4)
        last = self.state["revision"]
        if last is not None and now <= float(last["time"]):
            now = round(float(last["time"]) + 0.0001, 4)
        return f"{now:.4f}"

    def save(self, description: str, username: str = "root@127.0.0.1") -> str:
        """Write config.xml: a new revision, kept as a backup. Returns the revision time."""
        rev = {"time": self._next_time(), "description": description, "username": username}
        self.state["revision"] = rev
        current = {k: dict(v) for k, v in self.config.items()}
        backups = self.state["backups"]
        if backups:
            backups.append({**rev, "delta": _delta(self._newest(), current)})
        else:
            backups.append({**rev, "config": current})
        self._cache = current
        while len(backups) > BACKUP_COUNT:  # the oldest full copy folds into the next one
            first = backups.pop(0)
            backups[0]["config"] = _replay(first["config"], backups[0].pop("delta"))
        return rev["time"]

    def _newest(self) -> dict[str, Any]:
        cache = self._cache
        if cache is None:
            cache = self.config_at(len(self.state["backups"]) - 1)
            self._cache = cache
        return cache

    def config_at(self, index: int) -> dict[str, Any]:
        """The configuration of backup `index` (0 = oldest kept)."""
        backups = self.state["backups"]
        config = backups[0]["config"]
        for entry in backups[1 : index + 1]:
            config = _replay(config, entry["delta"])
        return config

    def backups(self) -> list[dict[str, str]]:
        """Backup metadata, oldest first."""
        return [
            {k: b[k] for k in ("time", "description", "username")} for b in self.state["backups"]
        ]

    def backup(self, revision: str) -> dict[str, Any] | None:
        """Metadata and configuration of the backup of a revision (None when rotated out)."""
        for i, b in enumerate(self.state["backups"]):
            if b["time"] == revision:
                meta = {k: b[k] for k in ("time", "description", "username")}
                return meta | {"config": self.config_at(i)}
        return None

    def delete_backup(self, revision: str) -> None:
        """Drop one backup, keeping the others' contents (deltas fold into the next one)."""
        backups = self.state["backups"]
        i = next(i for i, b in enumerate(backups) if b["time"] == revision)
        if i + 1 < len(backups):
            nxt = backups[i + 1]
            full = self.config_at(i + 1)
            nxt.pop("delta")
            if i == 0:
                nxt["config"] = full
            else:
                nxt["delta"] = _delta(self.config_at(i - 1), full)
        else:
            self._cache = None
        del backups[i]

    def checkpoint(self) -> tuple[Any, ...]:
        """What a failed call puts back: config.xml is only written on success."""
        state = self.state
        return (
            {k: dict(v) for k, v in self.config.items()},
            state["revision"],
            list(state["backups"]),
            dict(state["running"]),
            state["uuid_counter"],
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        state = self.state
        (
            state["config"],
            state["revision"],
            state["backups"],
            state["running"],
            state["uuid_counter"],
        ) = saved
        self._cache = None

    # --- running configuration ----------------------------------------------------------

    def apply(self, subsystem: str) -> None:
        running = self.state["running"]
        for key in SUBSYSTEMS[subsystem]:
            value = self.config[key]
            running[key] = dict(value)

    def pending(self) -> list[str]:
        """Subsystems whose saved configuration differs from what they run."""
        running = self.state["running"]
        return sorted(
            name
            for name, keys in SUBSYSTEMS.items()
            if any(running.get(k) != self.config[k] for k in keys)
        )

    def running(self, key: str) -> Any:
        return self.state["running"].get(key, {})
