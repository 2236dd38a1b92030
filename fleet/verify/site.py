"""Verify one live site: every check of its live components, read-only, and the handover
report. Exit 0 when every check passes, 1 when one fails (pending checks are listed, they
neither pass nor fail the site)."""

from __future__ import annotations

import getpass
import shutil
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fleet import components
from fleet.errors import EXIT_FAILED, EXIT_OK
from fleet.inventory import site_files, site_inventory
from fleet.paths import Paths
from fleet.registry import Registry
from fleet.runner.execute import now_iso
from fleet.verify import api, testinfra
from fleet.verify.checks import FAILED, PASSED, PENDING, Check


@dataclass
class Verification:
    site: str
    identity: dict
    started: str
    finished: str = ""
    user: str = ""
    machine: str = ""
    checks: list[Check] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def failing(self) -> list[Check]:
        return [c for c in self.checks if c.failing]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failing else EXIT_OK

    def counts(self) -> dict[str, int]:
        found = {PASSED: 0, FAILED: 0, "error": 0, PENDING: 0}
        for check in self.checks:
            found[check.status] = found.get(check.status, 0) + 1
        return found

    def to_dict(self) -> dict:
        return {
            "site": self.site,
            "identity": self.identity,
            "started": self.started,
            "finished": self.finished,
            "by": self.user,
            "machine": self.machine,
            "seconds": round(self.seconds, 2),
            "result": "passed" if not self.failing else "failed",
            "counts": self.counts(),
            "failing": [c.name for c in self.failing],
            "checks": [c.to_dict() for c in self.checks],
            "versions": dict(sorted(self.versions.items())),
            "reports": self.reports,
            "exit_code": self.exit_code,
        }


def identity(registry: Registry, uai: str) -> dict:
    site = registry.site(uai)
    return {
        "uai": site.uai,
        "name": site.name,
        "kind": site.kind.value,
        "department": site.department,
        "city": site.city,
        "owner": site.owner.value,
        "state": site.state.value,
        "domain": registry.domain(uai),
        "network": str(registry.site_block(uai)),
        "components": site.components(),
    }


def write_inventory(registry: Registry, uai: str, overlay: dict | None, out: Path) -> Path:
    """The site's inventory (generated files + overlay, no vault) in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in site_files(registry, uai, overlay).files.items():
        (out / name).write_text(text, encoding="utf-8")
    return out


def verify_site(
    paths: Paths,
    registry: Registry,
    uai: str,
    overlay: dict | None = None,
    vault: dict | None = None,
    on_check=None,
) -> Verification:
    """Run every check of `uai` (read-only). `on_check(check)` hears each result as it comes."""
    started = time.monotonic()
    result = Verification(
        site=uai,
        identity=identity(registry, uai),
        started=now_iso(),
        user=getpass.getuser(),
        machine=socket.gethostname(),
    )
    inventory = site_inventory(registry, uai, overlay)
    hostvars = inventory.get("_meta", {}).get("hostvars", {})
    present = set(registry.site(uai).components())

    def add(checks: list[Check]) -> None:
        for check in checks:
            result.checks.append(check)
            if on_check is not None:
                on_check(check)

    work = Path(tempfile.mkdtemp(prefix=f"verify-{uai}-", dir=_tmp(paths)))
    control = Path(tempfile.mkdtemp(prefix="fv-"))  # short: SSH control sockets live here
    try:
        inv_dir = write_inventory(registry, uai, overlay, work / "inventory")
        cfg = testinfra.write_ansible_cfg(work, control)
        live = [c for c in components.table() if c.name in present and c.implemented]
        # the components' checks run side by side (each a pytest process, mostly waiting on
        # SSH); results are reported in table order
        with ThreadPoolExecutor(max_workers=max(1, len(live))) as pool:
            futures = [
                pool.submit(
                    testinfra.run_component,
                    c,
                    paths.root,
                    inv_dir,
                    work,
                    ssh_hosts=c.connection == "ssh",
                    ansible_cfg=cfg,
                )  # fmt: skip
                for c in live
                if c.molecule
            ]
            for component in live:
                if component.name == "opnsense":
                    for host in (inventory.get(component.group) or {}).get("hosts", []):
                        checks, versions = api.firewall_checks(host, hostvars[host], vault or {})
                        add(checks)
                        result.versions.update(versions)
            for future in futures:
                add(future.result())
        add(api.pending_component_checks(present))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(control, ignore_errors=True)
    result.finished = now_iso()
    result.seconds = time.monotonic() - started
    return result


def _tmp(paths: Paths) -> Path:
    folder = paths.state / "verify"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder
