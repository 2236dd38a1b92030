"""ApiMutableServiceControllerBase: reconfigure/status/start/stop/restart of a service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleet.lab.sim.opnsense.http import Call

if TYPE_CHECKING:
    from fleet.lab.sim.opnsense.device import OPNsenseDevice

CONFIGD_OK = "OK\n\n"
WIDGET = {"caption_restart": "Restart", "caption_start": "Start", "caption_stop": "Stop"}


@dataclass(frozen=True)
class Service:
    """One service's control actions, as route handlers."""

    name: str  # key of state["services"] and of the subsystem reconfigure applies
    enabled_key: str  # settings section whose `enabled` turns the service on

    def reconfigure(self, dev: OPNsenseDevice, call: Call) -> Any:
        if not call.is_post:
            return {"status": "failed"}
        dev.store.apply(self.name)
        # reconfigure stops a disabled service and (re)starts an enabled one
        dev.state["services"][self.name] = dev.store.config[self.enabled_key]["enabled"] == "1"
        return {"status": "ok"}

    def status(self, dev: OPNsenseDevice, call: Call) -> Any:
        """ "disabled" follows the saved setting; running/stopped is what the process does."""
        if dev.store.config[self.enabled_key]["enabled"] != "1":
            return {"status": "disabled", "widget": WIDGET}
        running = (
            dev.store.running(self.enabled_key).get("enabled") == "1"
            and dev.state["services"][self.name]
        )
        return {"status": "running" if running else "stopped", "widget": WIDGET}

    def start(self, dev: OPNsenseDevice, call: Call) -> Any:
        return self._control(dev, call, running=True)

    def stop(self, dev: OPNsenseDevice, call: Call) -> Any:
        return self._control(dev, call, running=False)

    def restart(self, dev: OPNsenseDevice, call: Call) -> Any:
        return self._control(dev, call, running=True)

    def _control(self, dev: OPNsenseDevice, call: Call, running: bool) -> Any:
        if not call.is_post:
            return {"response": []}
        dev.state["services"][self.name] = running
        return {"response": CONFIGD_OK}
