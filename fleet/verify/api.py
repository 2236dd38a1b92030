"""API checks of a site's devices, read-only: the firewall through fleet's own OPNsense client
(fleet/opnsense/api.py); Proxmox and OPSI once their components are implemented (until then
each is listed as pending, never passed).

Credentials come from the host's variables: the lab's credentials file, or the site's vault
(`opnsense_api_key` / `opnsense_api_secret`, decrypted in memory, never shown).
"""

from __future__ import annotations

import time
from typing import Any

from fleet import components
from fleet.verify.checks import FAILED, PASSED, PENDING, Check

API_TIMEOUT = 10.0


def firewall_client(hostvars: dict[str, Any], vault: dict[str, Any], timeout: float = API_TIMEOUT):
    from fleet.opnsense.api import Client, credentials

    url = hostvars.get("fleet_opnsense_api_url") or hostvars["opnsense_api_url"]
    key, secret = credentials(
        vault.get("opnsense_api_key") or hostvars.get("opnsense_api_key"),
        vault.get("opnsense_api_secret") or hostvars.get("opnsense_api_secret"),
        hostvars.get("fleet_opnsense_api_credentials_file"),
    )
    ca = hostvars.get("fleet_opnsense_api_ca") or hostvars.get("opnsense_api_ca_file") or None
    return Client(url, key, secret, ca=ca, timeout=timeout)


def firewall_firmware(hostvars: dict[str, Any], vault: dict[str, Any]) -> str:
    """The firewall's firmware version (one GET core/firmware/status); raises on failure."""
    from fleet.opnsense.firmware import from_status

    client = firewall_client(hostvars, vault)
    try:
        return from_status(client.read("core/firmware/status")).version
    finally:
        client.close()


def firewall_checks(
    host: str, hostvars: dict[str, Any], vault: dict[str, Any]
) -> tuple[list[Check], dict[str, str]]:
    """The API answers with a firmware fleet speaks, and the services fleet configures run."""
    from fleet.opnsense.api import ApiError

    started = time.monotonic()
    checks, versions = [], {}
    try:
        version = firewall_firmware(hostvars, vault)
    except (ApiError, ValueError, KeyError, OSError) as exc:
        checks.append(Check(f"opnsense api: {host} answers", "opnsense", "api", FAILED,
                            str(exc)[:600], host, time.monotonic() - started))  # fmt: skip
        return checks, versions
    versions[f"{host} OPNsense"] = version
    checks.append(Check(f"opnsense api: {host} answers", "opnsense", "api", PASSED,
                        f"core/firmware/status: OPNsense {version}", host,
                        time.monotonic() - started))  # fmt: skip
    client = firewall_client(hostvars, vault)
    try:
        for service, path in (("unbound", "unbound/service/status"),
                              ("kea dhcpv4", "kea/service/status")):  # fmt: skip
            started = time.monotonic()
            try:
                state = str((client.read(path) or {}).get("status", "")).lower()
            except ApiError as exc:
                state = f"error: {exc}"
            ok = state == "running"
            checks.append(Check(f"opnsense api: {host} {service} running", "opnsense", "api",
                                PASSED if ok else FAILED, f"{path}: {state or 'no status'}",
                                host, time.monotonic() - started))  # fmt: skip
    finally:
        client.close()
    return checks, versions


def pending_component_checks(present: set[str]) -> list[Check]:
    """Components with hosts on the site whose checks cannot run: not implemented yet."""
    pending = []
    for component in components.table():
        if component.name in present and not component.implemented:
            pending.append(Check(f"{component.name}: every check", component.name,
                                 ", ".join(component.verify) or "-", PENDING,
                                 f"component {component.name} is not implemented yet "
                                 "(fleet/components.py): its checks are not run"))  # fmt: skip
    return pending
