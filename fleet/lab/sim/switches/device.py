"""A simulated switch: a running configuration that configuration commands change, shown the
way the platform shows it, and the startup configuration `write memory` saves.

Two platforms, as netmiko names them: `hp_procurve` (HP/Aruba AOS-S: VLAN membership listed
under each `vlan`, port names under `interface`, quoted strings) and `cisco_ios` (IOS: VLANs,
switchport settings under each interface, an SVI for management). Commands outside the small
grammar each platform knows are refused with the platform's own message, as a device does.

No I/O here: the SSH side (ssh.py) feeds lines and writes what `execute` returns; state is a
JSON-serialisable dict (`snapshot`), saved by the server.
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

PLATFORMS = ("hp_procurve", "cisco_ios")
PROCURVE_INVALID = "Invalid input: {word}"
IOS_INVALID = "% Invalid input detected at '^' marker."


def ranges(ports: list[int]) -> str:
    """[1, 2, 3, 7] → '1-3,7' (ProCurve's port lists)."""
    out: list[str] = []
    ports = sorted(set(ports))
    i = 0
    while i < len(ports):
        j = i
        while j + 1 < len(ports) and ports[j + 1] == ports[j] + 1:
            j += 1
        out.append(str(ports[i]) if i == j else f"{ports[i]}-{ports[j]}")
        i = j + 1
    return ",".join(out)


def expand(text: str) -> list[int]:
    result: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        result.extend(range(int(first), int(last or first) + 1))
    return result


def unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def factory_config(platform: str, ports: int) -> dict[str, Any]:
    """A switch out of the box (plus the unmanaged lines an operator's base config has)."""
    if platform == "hp_procurve":
        return {
            "hostname": "HP-2930F",
            "globals": ["console idle-timeout 600", "password manager"],
            "vlans": {"1": {"name": "DEFAULT_VLAN", "ip": None}},
            "ports": {
                str(p): {"name": None, "untagged": 1, "tagged": [], "extra": []}
                for p in range(1, ports + 1)
            },  # fmt: skip
        }
    return {
        "hostname": "Switch",
        "globals": ["service timestamps log datetime msec", "no ip domain-lookup"],
        "vlans": {},
        "ports": {
            str(p): {
                "description": None,
                "mode": None,
                "access": None,
                "native": None,
                "allowed": None,
                "extra": [],
            }
            for p in range(1, ports + 1)
        },  # fmt: skip
        "svis": {"1": {"ip": None, "shutdown": True}},
    }


class CommandError(Exception):
    """The device refuses a command: the message is what it prints."""


class Switch:
    """One simulated switch (thread-safe: several SSH sessions may share it)."""

    def __init__(self, name: str, platform: str, ports: int, state: dict[str, Any] | None = None):
        if platform not in PLATFORMS:
            raise ValueError(
                f"unknown switch platform {platform!r} (known: {', '.join(PLATFORMS)})"
            )
        self.name = name
        self.platform = platform
        self.port_count = ports
        self.lock = threading.RLock()
        startup = (state or {}).get("startup") or factory_config(platform, ports)
        self.startup = copy.deepcopy(startup)
        # a restart is a reboot: what was not saved with `write memory` is gone
        self.running = copy.deepcopy(startup)
        self.dirty = False  # the startup configuration changed since the last save to disk

    # ---------------------------------------------------------------- state

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"platform": self.platform, "ports": self.port_count,
                    "startup": copy.deepcopy(self.startup)}  # fmt: skip

    def write_memory(self) -> None:
        with self.lock:
            self.startup = copy.deepcopy(self.running)
            self.dirty = True

    @property
    def hostname(self) -> str:
        return self.running["hostname"]

    # ---------------------------------------------------------------- show

    def show_running(self) -> str:
        with self.lock:
            if self.platform == "hp_procurve":
                return self._procurve_running()
            return self._ios_running()

    def show_vlans(self) -> str:
        with self.lock:
            cfg = self.running
            rows = sorted(cfg["vlans"].items(), key=lambda item: int(item[0]))
            if self.platform == "hp_procurve":
                lines = ["", " Status and Counters - VLAN Information", "",
                         "  VLAN ID Name                             | Status     Voice Jumbo",
                         "  ------- -------------------------------- + ---------- ----- -----"]  # fmt: skip
                for vid, vlan in rows:
                    lines.append(f"  {vid:<7} {vlan['name']:<32} | Port-based No    No")
                return "\n".join(lines) + "\n"
            lines = ["VLAN Name                             Status    Ports",
                     "---- -------------------------------- --------- -------------------------------"]  # fmt: skip
            default = [p for p, s in cfg["ports"].items() if s["mode"] != "trunk"
                       and (s["access"] or 1) == 1]  # fmt: skip
            lines.append(
                f"1    {'default':<32} active    {', '.join('Gi1/0/' + p for p in default[:4])}"
            )
            for vid, vlan in rows:
                members = [p for p, s in cfg["ports"].items()
                           if s["mode"] != "trunk" and str(s["access"]) == vid]  # fmt: skip
                lines.append(
                    f"{vid:<4} {vlan['name']:<32} active    {', '.join('Gi1/0/' + p for p in members[:4])}"
                )
            return "\n".join(lines) + "\n"

    def _procurve_running(self) -> str:
        cfg = self.running
        out = [
            "; J9729A Configuration Editor; Created on release #WC.16.10.0012",
            "; Ver #14:01.4f.f8.1d.9b.3f.bf.bb.ef.7c.59.fc.6b.fb.9f.fc.ff.ff.37.ef:05",
            f'hostname "{cfg["hostname"]}"',
            *cfg["globals"],
        ]
        for port, state in sorted(cfg["ports"].items(), key=lambda item: int(item[0])):
            if state["name"] is None and not state["extra"]:
                continue
            out.append(f"interface {port}")
            if state["name"] is not None:
                out.append(f'   name "{state["name"]}"')
            out += [f"   {line}" for line in state["extra"]]
            out.append("   exit")
        for vid, vlan in sorted(cfg["vlans"].items(), key=lambda item: int(item[0])):
            out.append(f"vlan {vid}")
            out.append(f'   name "{vlan["name"]}"')
            untagged = [int(p) for p, s in cfg["ports"].items() if s["untagged"] == int(vid)]
            tagged = [int(p) for p, s in cfg["ports"].items() if int(vid) in s["tagged"]]
            if untagged:
                out.append(f"   untagged {ranges(untagged)}")
            if tagged:
                out.append(f"   tagged {ranges(tagged)}")
            if vid == "1":
                rest = [int(p) for p in cfg["ports"] if int(p) not in untagged]
                if rest:
                    out.append(f"   no untagged {ranges(rest)}")
            if vlan["ip"]:
                out.append(f"   ip address {vlan['ip']}")
            out.append("   exit")
        return "\n".join(out) + "\n"

    def _ios_running(self) -> str:
        cfg = self.running
        out = ["Building configuration...", "", "Current configuration : 4096 bytes", "!",
               "version 15.2", *[g for g in cfg["globals"] if g.startswith("service ")],
               "!", f"hostname {cfg['hostname']}", "!"]  # fmt: skip
        out += [g for g in cfg["globals"] if g.startswith("no ip ")]
        for vid, vlan in sorted(cfg["vlans"].items(), key=lambda item: int(item[0])):
            out += [f"vlan {vid}", f" name {vlan['name']}", "!"]
        for port, s in sorted(cfg["ports"].items(), key=lambda item: int(item[0])):
            out.append(f"interface GigabitEthernet1/0/{port}")
            if s["description"] is not None:
                out.append(f" description {s['description']}")
            if s["access"] is not None:
                out.append(f" switchport access vlan {s['access']}")
            if s["native"] is not None:
                out.append(f" switchport trunk native vlan {s['native']}")
            if s["allowed"] is not None:
                out.append(f" switchport trunk allowed vlan {s['allowed']}")
            if s["mode"] is not None:
                out.append(f" switchport mode {s['mode']}")
            out += [f" {line}" for line in s["extra"]]
            out.append("!")
        for vid, svi in sorted(cfg["svis"].items(), key=lambda item: int(item[0])):
            out.append(f"interface Vlan{vid}")
            out.append(f" ip address {svi['ip']}" if svi["ip"] else " no ip address")
            if svi["shutdown"]:
                out.append(" shutdown")
            out.append("!")
        out += [g for g in cfg["globals"] if not g.startswith(("service ", "no ip "))]
        out += ["!", "line vty 0 4", " login local", " transport input ssh", "!", "end"]
        return "\n".join(out) + "\n"

    # ---------------------------------------------------------------- configure

    def configure(self, context: tuple[str, str] | None, line: str) -> tuple[str, str] | None:
        """Apply one configuration line in `context` (None: global); the new context. Raises
        CommandError with the device's message when it refuses the line."""
        with self.lock:
            if self.platform == "hp_procurve":
                return self._procurve(context, line)
            return self._ios(context, line)

    def _invalid(self, line: str) -> CommandError:
        if self.platform == "hp_procurve":
            return CommandError(PROCURVE_INVALID.format(word=line.split()[0] if line else ""))
        return CommandError(IOS_INVALID)

    def _port(self, text: str) -> dict[str, Any]:
        port = self.running["ports"].get(text)
        if port is None:
            if self.platform == "hp_procurve":
                raise CommandError(f"Module not present for port or invalid port: {text}")
            raise CommandError(IOS_INVALID)
        return port

    def _vlan_exists(self, vid: int) -> None:
        if str(vid) not in self.running["vlans"]:
            raise CommandError(f"Invalid input: VLAN {vid} is not configured.")

    # globals: (pattern of the line, pattern of the key that makes it single-valued or None)
    PROCURVE_GLOBALS = (
        (r"^ip default-gateway \S+$", "ip default-gateway "),
        (r"^timesync (ntp|sntp)$", "timesync "),
        (r"^ntp (unicast|enable)$", None),
        (r"^ntp server \S+( iburst)?$", None),
        (r"^logging [A-Za-z0-9.:-]+$", None),
        (r'^snmp-server community "[^"]+" (operator|manager)( unrestricted)?$', None),
        (r'^snmp-server contact "[^"]*"$', "snmp-server contact "),
        (r'^snmp-server location "[^"]*"$', "snmp-server location "),
        (r"^console idle-timeout \d+$", "console idle-timeout "),
        (r"^password manager$", None),
        (r"^spanning-tree$", None),
    )
    IOS_GLOBALS = (
        (r"^ip default-gateway \S+$", "ip default-gateway "),
        (r"^ntp server \S+$", None),
        (r"^logging host \S+$", None),
        (r"^snmp-server community \S+ (RO|RW)$", None),
        (r"^snmp-server contact .+$", "snmp-server contact "),
        (r"^snmp-server location .+$", "snmp-server location "),
        (r"^service timestamps (log|debug) datetime msec$", None),
        (r"^no ip domain-lookup$", None),
        (r"^spanning-tree mode (pvst|rapid-pvst|mst)$", "spanning-tree mode "),
    )

    def _global(self, line: str, table) -> bool:
        """A global line (or its `no` form); False if the platform knows no such line."""
        lines: list[str] = self.running["globals"]
        if line.startswith("no ") and line != "no ip domain-lookup":
            text = line[3:]
            known = any(re.match(p, text) or (k and text == k.strip()) for p, k in table)
            kept = [g for g in lines if g != text and not g.startswith(text + " ")]
            if not known and len(kept) == len(lines):
                return False
            lines[:] = kept
            return True
        for pattern, key in table:
            if re.match(pattern, line):
                if key:
                    lines[:] = [g for g in lines if not g.startswith(key)]
                if line not in lines:
                    lines.append(line)
                return True
        return False

    def _procurve(self, context, line: str):
        cfg = self.running
        words = line.split()
        if not words:
            return context
        if line == "exit":
            return None
        if context is not None and context[0] == "vlan":
            vlan = cfg["vlans"][context[1]]
            vid = int(context[1])
            if words[0] == "name" and len(words) > 1:
                vlan["name"] = unquote(line[5:])
                return context
            if line == "no name":
                vlan["name"] = "DEFAULT_VLAN" if vid == 1 else f"VLAN{vid}"
                return context
            if re.match(r"^ip address \d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+$", line):
                vlan["ip"] = " ".join(words[2:])
                return context
            if line.startswith("no ip address"):
                vlan["ip"] = None
                return context
            match = re.match(r"^(no )?(untagged|tagged) ([0-9,-]+)$", line)
            if match:
                for p in expand(match.group(3)):
                    self._membership(self._port(str(p)), vid, match.group(2), bool(match.group(1)))
                return context
        if context is not None and context[0] == "interface":
            port = self._port(context[1])
            if words[0] == "name" and len(words) > 1:
                port["name"] = unquote(line[5:])
                return context
            if line == "no name" or line.startswith("no name "):
                port["name"] = None
                return context
            match = re.match(r"^(no )?(untagged|tagged) vlan (\d+)$", line)
            if match:
                vid = int(match.group(3))
                if not match.group(1):
                    self._vlan_exists(vid)
                self._membership(port, vid, match.group(2), bool(match.group(1)))
                return context
            if re.match(r"^(no )?(speed-duplex \S+|disable|enable|flow-control)$", line):
                text = line[3:] if line.startswith("no ") else line
                port["extra"] = [e for e in port["extra"] if e.split()[0] != text.split()[0]]
                if not line.startswith("no ") and text != "enable":
                    port["extra"].append(text)
                return context
        # global commands (also valid inside a context, as on the device)
        if words[0] == "hostname" and len(words) > 1:
            cfg["hostname"] = unquote(line[9:])
            return None
        match = re.match(r"^(no )?vlan (\d+)$", line)
        if match:
            vid = int(match.group(2))
            if not 1 <= vid <= 4094:
                raise CommandError(f"Invalid input: {vid}")
            if match.group(1):
                if vid == 1:
                    raise CommandError("The default VLAN cannot be deleted.")
                cfg["vlans"].pop(str(vid), None)
                for port in cfg["ports"].values():
                    if port["untagged"] == vid:
                        port["untagged"] = 1
                    port["tagged"] = [v for v in port["tagged"] if v != vid]
                return None
            cfg["vlans"].setdefault(str(vid), {"name": f"VLAN{vid}", "ip": None})
            return ("vlan", str(vid))
        match = re.match(r"^interface (\S+)$", line)
        if match:
            self._port(match.group(1))
            return ("interface", match.group(1))
        if self._global(line, self.PROCURVE_GLOBALS):
            return context
        raise self._invalid(line)

    def _membership(self, port: dict, vid: int, kind: str, negate: bool) -> None:
        if kind == "untagged":
            if negate:
                if port["untagged"] == vid:
                    port["untagged"] = None
            else:
                port["untagged"] = vid
                port["tagged"] = [v for v in port["tagged"] if v != vid]
        elif negate:
            port["tagged"] = [v for v in port["tagged"] if v != vid]
        else:
            if port["untagged"] == vid:
                port["untagged"] = None
            if vid not in port["tagged"]:
                port["tagged"] = sorted([*port["tagged"], vid])

    IF_RE = re.compile(r"^(?:GigabitEthernet|Gi)1/0/(\d+)$")

    def _ios(self, context, line: str):
        cfg = self.running
        words = line.split()
        if not words:
            return context
        if line == "exit":
            return None
        if context is not None and context[0] == "vlan":
            vlan = cfg["vlans"][context[1]]
            if words[0] == "name" and len(words) == 2:
                vlan["name"] = words[1]
                return context
            if words[:2] == ["no", "name"]:
                vlan["name"] = f"VLAN{int(context[1]):04d}"
                return context
        if context is not None and context[0] == "svi":
            svi = cfg["svis"][context[1]]
            if re.match(r"^ip address \d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+$", line):
                svi["ip"] = " ".join(words[2:])
                svi["shutdown"] = False
                return context
            if line.startswith("no ip address"):
                svi["ip"] = None
                return context
            if line in ("shutdown", "no shutdown"):
                svi["shutdown"] = line == "shutdown"
                return context
        if context is not None and context[0] == "interface":
            port = self._port(context[1])
            if words[0] == "description" and len(words) > 1:
                port["description"] = line[12:].strip()
                return context
            if words[:2] == ["no", "description"]:
                port["description"] = None
                return context
            match = re.match(r"^(no )?switchport mode (access|trunk)$", line)
            if match:
                port["mode"] = None if match.group(1) else match.group(2)
                return context
            match = re.match(r"^(no )?switchport (access|trunk native) vlan( \d+)?$", line)
            if match:
                key = "access" if match.group(2) == "access" else "native"
                if match.group(1):
                    port[key] = None
                elif match.group(3):
                    port[key] = int(match.group(3))
                else:
                    raise CommandError("% Incomplete command.")
                return context
            match = re.match(r"^(no )?switchport trunk allowed vlan( [0-9,-]+)?$", line)
            if match:
                if match.group(1):
                    port["allowed"] = None
                elif match.group(2):
                    port["allowed"] = match.group(2).strip()
                else:
                    raise CommandError("% Incomplete command.")
                return context
            if re.match(r"^(no )?(shutdown|spanning-tree portfast|speed \S+|duplex \S+)$", line):
                text = line[3:] if line.startswith("no ") else line
                port["extra"] = [e for e in port["extra"] if e.split()[0] != text.split()[0]]
                if not line.startswith("no "):
                    port["extra"].append(text)
                return context
        if words[0] == "hostname" and len(words) == 2:
            cfg["hostname"] = words[1]
            return None
        match = re.match(r"^(no )?vlan (\d+)$", line)
        if match:
            vid = int(match.group(2))
            if not 2 <= vid <= 4094:
                raise CommandError(
                    IOS_INVALID if vid != 1 else "% Default VLAN 1 may not be deleted."
                )
            if match.group(1):
                cfg["vlans"].pop(str(vid), None)
                return None
            cfg["vlans"].setdefault(str(vid), {"name": f"VLAN{vid:04d}"})
            return ("vlan", str(vid))
        match = re.match(r"^(no )?interface Vlan(\d+)$", line)
        if match:
            vid = match.group(2)
            if match.group(1):
                cfg["svis"].pop(vid, None)
                return None
            cfg["svis"].setdefault(vid, {"ip": None, "shutdown": False})
            return ("svi", vid)
        match = re.match(r"^interface (\S+)$", line)
        if match:
            found = self.IF_RE.match(match.group(1))
            if not found:
                raise CommandError(IOS_INVALID)
            self._port(found.group(1))
            return ("interface", found.group(1))
        if self._global(line, self.IOS_GLOBALS):
            return context
        raise self._invalid(line)
