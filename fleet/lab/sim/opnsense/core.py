"""Core: firmware status/check/info, system status, configuration backups."""

from __future__ import annotations

import difflib
import time
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.base import Response
from fleet.lab.sim.opnsense import configxml
from fleet.lab.sim.opnsense.http import Call
from fleet.lab.sim.opnsense.releases import Release

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

NO_CHECK_MSG = "Firmware status requires to check for update first to provide more information."
UP_TO_DATE_MSG = "There are no updates available on the selected mirror."
OS_VERSION = "FreeBSD 14.3-RELEASE-p2"

PACKAGES = (  # name, version, comment, origin (the opnsense package is the release itself)
    ("kea", "3.0.1", "Alternative DHCP implementation by ISC", "net/kea"),
    ("unbound", "1.23.1", "Validating, recursive, and caching DNS resolver", "dns/unbound"),
    ("php83", "8.3.24", "PHP Scripting Language (8.3.X branch)", "lang/php83"),
    ("lighttpd", "1.4.79", "Secure, fast, compliant, and flexible Web Server", "www/lighttpd"),
    ("openssl", "3.0.17", "TLS/SSL and crypto library", "security/openssl"),
    ("python311", "3.11.13", "Interpreted object-oriented programming language", "lang/python311"),
    ("pkg", "2.2.1", "Package manager", "ports-mgmt/pkg"),
)


def _packages(r: Release) -> list[tuple[str, str, str, str]]:
    return [("opnsense", r.version, "OPNsense release", "opnsense/opnsense"), *PACKAGES]


def product(r: Release) -> dict[str, Any]:
    return {
        "product_abi": r.series,
        "product_arch": "amd64",
        "product_conflicts": "",
        "product_copyright_owner": "Deciso B.V.",
        "product_copyright_url": "https://www.deciso.com/",
        "product_copyright_years": "2014-2026",
        "product_email": "project@opnsense.org",
        "product_hash": r.hash,
        "product_id": "opnsense",
        "product_name": "OPNsense",
        "product_nickname": "",
        "product_series": r.series,
        "product_tier": "1",
        "product_version": r.version,
        "product_website": "https://opnsense.org/",
        "product_latest": r.version,
        "product_mirror": f"https://pkg.opnsense.org/FreeBSD:14:amd64/{r.series}",
        "product_time": "",
        "product_log": 0,
        "product_repos": "OPNsense",
        "product_check": None,
        "product_license": {},
    }


def _package(name: str, version: str, comment: str, origin: str) -> dict[str, Any]:
    return {
        "name": name, "version": version, "comment": comment, "flatsize": "", "locked": "0",
        "automatic": "0", "license": "BSD2CLAUSE", "repository": "OPNsense", "origin": origin,
        "provided": "1", "installed": "1", "path": f"OPNsense/{origin}", "configured": "1",
        "tier": "1",
    }  # fmt: skip


def _check_result(r: Release, last_check: str) -> dict[str, Any]:
    return {
        "api_version": "1",
        "connection": "ok",
        "repository": "ok",
        "downgrade_packages": [],
        "download_size": "",
        "last_check": last_check,
        "needs_reboot": "0",
        "new_packages": [],
        "os_version": OS_VERSION,
        "product_id": "opnsense",
        "product_target": "opnsense",
        "product_version": r.version,
        "product_abi": r.series,
        "reinstall_packages": [],
        "remove_packages": [],
        "upgrade_major_message": "",
        "upgrade_major_version": "",
        "upgrade_needs_reboot": "0",
        "upgrade_packages": [],
        "upgrade_sets": [],
        "all_packages": {p[0]: _package(*p) for p in _packages(r)},
        "all_sets": {},
    }


def _run_check(dev: OPNsenseDevice) -> None:
    stamp = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(dev.store.clock()))
    dev.state["firmware"]["last_check"] = stamp


def firmware_status(dev: OPNsenseDevice, call: Call) -> Any:
    if call.is_post:
        _run_check(dev)  # POST runs a synchronous probe first
    last = dev.state["firmware"]["last_check"]
    prod = product(dev.release)
    if last is None:
        return {"product": prod, "status": "none", "status_msg": NO_CHECK_MSG}
    check = _check_result(dev.release, last)
    prod["product_check"] = check
    return check | {"product": prod, "status": "none", "status_msg": UP_TO_DATE_MSG,
                    "status_reboot": "0"}  # fmt: skip


def firmware_check(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failure"}
    _run_check(dev)
    return {"msg_uuid": dev.store.new_uuid(), "status": "ok"}


def firmware_running(dev: OPNsenseDevice, call: Call) -> Any:
    return {"status": "ready"}


def firmware_info(dev: OPNsenseDevice, call: Call) -> Any:
    r = dev.release
    return {
        "product_id": "opnsense",
        "product_version": r.version,
        "package": [_package(*p) for p in _packages(r)],
        "plugin": [],
        "changelog": [{"series": r.series, "version": r.version, "date": r.date}],
    }


def system_status(dev: OPNsenseDevice, call: Call) -> Any:
    return {
        "metadata": {
            "system": {"status": "OK", "message": "No pending messages", "title": "System"},
            "translations": {"dialogTitle": "System Status", "dialogCloseButton": "Close"},
            "subsystems": [],
        }
    }


def system_dismiss(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    return {"status": "ok"}


def system_reboot(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    return {"status": "ok"}


def system_halt(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    return {"status": "ok"}


# --- backups ----------------------------------------------------------------------------------


def _backup_id(b: dict[str, Any]) -> str:
    return f"config-{b['time']}.xml"


def _find(dev: OPNsenseDevice, backup_id: str | None) -> dict[str, Any] | None:
    """A backup with its configuration: the newest without an id."""
    backups = dev.store.backups()
    if backup_id is None:
        return dev.store.backup(backups[-1]["time"]) if backups else None
    meta = next((b for b in backups if _backup_id(b) == backup_id), None)
    return dev.store.backup(meta["time"]) if meta else None


def _xml(dev: OPNsenseDevice, b: dict[str, Any]) -> bytes:
    rev = {k: b[k] for k in ("time", "description", "username")}
    return configxml.render(dev.state, b["config"], rev)


def backup_download(dev: OPNsenseDevice, call: Call) -> Any:
    b = _find(dev, call.param(1)) if call.param(0) == "this" else None
    if b is None:
        return Response(body=b"", headers={"Content-Type": "application/octet-stream"})
    sysinfo = dev.state["system"]
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(float(b["time"])))
    name = f"config-{sysinfo['hostname']}.{sysinfo['domain']}-{stamp}.xml"
    return Response(
        body=_xml(dev, b),
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename={name}",
        },
    )


def backup_providers(dev: OPNsenseDevice, call: Call) -> Any:
    return {"items": {"this": {"description": "This Firewall", "dirname": "/conf/backup"}}}


def backup_list(dev: OPNsenseDevice, call: Call) -> Any:
    if call.param(0) != "this":
        return {"items": []}
    items = []
    for meta in reversed(dev.store.backups()):
        b = dev.store.backup(meta["time"])
        t = float(b["time"])
        items.append(
            {
                "time": b["time"],
                "time_iso": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t)),
                "description": b["description"],
                "username": b["username"],
                "filesize": len(_xml(dev, b)),
                "id": _backup_id(b),
            }
        )
    return {"items": items}


def backup_diff(dev: OPNsenseDevice, call: Call) -> Any:
    a, b = _find(dev, call.param(1)), _find(dev, call.param(2))
    if call.param(0) != "this" or a is None or b is None:
        return {"items": []}
    lines = difflib.unified_diff(
        _xml(dev, a).decode().splitlines(), _xml(dev, b).decode().splitlines(), lineterm=""
    )
    return {"items": list(lines)}


def backup_revert(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    b = _find(dev, call.param(0))
    if b is None:
        return {"status": "not_found"}
    dev.state["config"] = {k: dict(v) for k, v in b["config"].items()}
    dev.save(call, "reverted")
    return {"status": "reverted"}


def backup_delete(dev: OPNsenseDevice, call: Call) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    b = _find(dev, call.param(0))
    if b is None:
        return {"status": "not_found"}
    dev.store.delete_backup(b["time"])
    return {"status": "deleted"}
