"""ApiMutableServiceControllerBase: reconfigure/status/start/stop/restart of a service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense.http import Call

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

CONFIGD_OK = "OK\n\n"
WIDGET = {"caption_restart": "Restart", "caption_start": "Start", "caption_stop": "Stop"}


def reconfigure(dev: OPNsenseDevice, call: Call, name: str, enabled_key: str) -> Any:
    if not call.is_post:
        return {"status": "failed"}
    dev.store.apply(name)
    # reconfigure stops a disabled service and (re)starts an enabled one
    dev.state["services"][name] = dev.store.config[enabled_key]["enabled"] == "1"
    return {"status": "ok"}


def status(dev: OPNsenseDevice, call: Call, name: str, enabled_key: str) -> Any:
    """ "disabled" follows the saved setting; running/stopped is what the process does."""
    if dev.store.config[enabled_key]["enabled"] != "1":
        return {"status": "disabled", "widget": WIDGET}
    running = dev.store.running(enabled_key).get("enabled") == "1" and dev.state["services"][name]
    return {"status": "running" if running else "stopped", "widget": WIDGET}


def control(dev: OPNsenseDevice, call: Call, name: str, action: str) -> Any:
    if not call.is_post:
        return {"response": []}
    dev.state["services"][name] = action != "stop"
    return {"response": CONFIGD_OK}
