"""The `preflight` stage: is the site ready to be onboarded? Read-only.

- the registry is complete for the site: it validates (loading it did), and every live
  component with hosts here has its registry sections;
- the vault has every secret the live components need (fleet/onboard/secrets.py);
- the devices fleet drives by API or SSH from here answer: the firewall API (a real call with
  the site's credentials), the Proxmox API and the switches (TCP connect) once their components
  are implemented — until then each is listed as pending.
"""

from __future__ import annotations

import socket
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from fleet import components
from fleet.errors import BadInput
from fleet.inventory import site_inventory
from fleet.onboard import secrets
from fleet.registry import Registry
from fleet.verify import api

CONNECT_TIMEOUT = 5.0
PASSED, FAILED, PENDING = "passed", "failed", "pending"


@dataclass
class Item:
    name: str
    status: str
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def tcp_reachable(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """None when a TCP connection opens, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or exc}"


def run(
    registry: Registry,
    uai: str,
    password: bytes | None,
    overlay: dict | None = None,
    secrets_command: str = "",
) -> list[Item]:
    site = registry.site(uai)
    items: list[Item] = [Item("registry validates", PASSED, f"{registry.site_file(uai)}")]
    present = set(site.components())
    for component in components.table():
        if component.name not in present or not component.implemented:
            continue
        empty = [s for s in component.registry if not getattr(site, s, None)
                 and s not in ("overrides",)]  # fmt: skip
        items.append(
            Item(
                f"registry: {component.name} sections",
                FAILED if empty else PASSED,
                f"{registry.site_file(uai)}: missing {', '.join(empty)}"
                if empty
                else ", ".join(component.registry),
            )  # fmt: skip
        )

    vault: dict = {}
    try:
        lacking = secrets.missing(registry, uai, password, overlay)
        vault = secrets.read_vault(registry.vault_file(uai), password)
    except BadInput as exc:
        items.append(Item("vault secrets present", FAILED, exc.message))
        lacking = None
    if lacking is not None:
        if lacking:
            fixable = [s.name for s in lacking if s.generate]
            manual = [f"{s.name} ({s.hint})" for s in lacking if not s.generate]
            detail = f"{registry.vault_file(uai)} lacks: " + ", ".join([*fixable, *manual])
            if fixable:
                detail += f"; generate them with `{secrets_command or 'fleet site secrets'}`"
            items.append(Item("vault secrets present", FAILED, detail))
        else:
            items.append(Item("vault secrets present", PASSED,
                              f"{len(secrets.required(registry, uai, overlay))} secret(s)"))  # fmt: skip

    inventory = site_inventory(registry, uai, overlay)
    hostvars = inventory.get("_meta", {}).get("hostvars", {})

    def hosts_of(name: str) -> list[str]:
        return (inventory.get(components.get(name).group) or {}).get("hosts", [])

    for name, label in (("opnsense", "firewall API"), ("proxmox", "Proxmox API"),
                        ("switches", "switches SSH")):  # fmt: skip
        try:
            component = components.get(name)
        except KeyError:
            continue
        if name not in present:
            continue
        if not component.implemented:
            items.append(Item(f"{label} reachable", PENDING,
                              f"component {name} is not implemented yet: not checked"))  # fmt: skip
            continue
        for host in hosts_of(name):
            items.append(_reach(name, label, host, hostvars.get(host, {}), vault))
    return items


def _reach(name: str, label: str, host: str, hv: dict, vault: dict) -> Item:
    if name == "opnsense":
        try:
            version = api.firewall_firmware(hv, vault)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            return Item(f"{label} reachable: {host}", FAILED, str(exc)[:400])
        return Item(f"{label} reachable: {host}", PASSED, f"OPNsense {version}")
    if name == "proxmox":
        url = hv.get("fleet_pve_api_url") or hv.get("proxmox_api_url") or ""
        parts = urlsplit(url) if url else None
        target = (
            (parts.hostname, parts.port or 8006) if parts else (hv.get("ansible_host", host), 8006)
        )
    else:
        target = (hv.get("ansible_host", host), int(hv.get("ansible_port", 22)))
    why = tcp_reachable(*target)
    return Item(f"{label} reachable: {host}", FAILED if why else PASSED,
                why or f"{target[0]}:{target[1]} accepts connections")  # fmt: skip


def failing(items: list[Item]) -> list[Item]:
    return [i for i in items if i.status == FAILED]
