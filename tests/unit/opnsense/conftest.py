"""Fixtures for the OPNsense reconcile tests: simulated firewalls over real HTTPS.

`firewall(version)` starts an in-process OPNsense simulator (fleet.lab.sim, TLS verified
against its CA) with one device of that release and returns a `Site`: a fleet `Client` for it,
the device object (to look at its saved and running configuration), and a plain `requests`
session standing in for "another client" (the web UI, a colleague's script).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from fleet.lab.sim import faults
from fleet.lab.sim.opnsense import factory, releases
from fleet.lab.sim.server import BackgroundSim, SimConfig
from fleet.opnsense.api import Client
from fleet.opnsense.firmware import Firmware


@dataclass
class Site:
    sim: BackgroundSim
    doc: dict[str, Any]
    client: Client
    firmware: Firmware

    @property
    def device(self):
        return self.sim.server.slots[0].device

    def other(self, method: str, path: str, body: Any = None) -> Any:
        """A call by another client (not fleet): its own session, TLS verified."""
        r = requests.request(method, f"{self.doc['url']}/api/{path}", json=body,
                             auth=(self.doc["key"], self.doc["secret"]), verify=self.doc["ca"],
                             timeout=10)  # fmt: skip
        r.raise_for_status()
        return r.json()

    def running(self, key: str) -> dict:
        return self.device.store.running(key)

    def saved(self, key: str) -> dict:
        return self.device.store.items(key)

    def faults(self, spec: str) -> None:
        self.sim.set_faults(spec)

    def fresh_client(self) -> Client:
        return Client(self.doc["url"], self.doc["key"], self.doc["secret"], self.doc["ca"], 10)


@pytest.fixture(scope="session")
def sim_ca(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("opnsense-ca")


@pytest.fixture
def firewall(tmp_path, sim_ca):
    started: list[BackgroundSim] = []

    def start(version: str = "26.7.2", name: str = "0450050K") -> Site:
        saved = os.environ.get(releases.ENV)
        os.environ[releases.ENV] = f"*={version}"
        try:
            config = SimConfig(kind="opnsense", factory=factory,
                               state_dir=tmp_path / f"state-{name}-{version}", names=[name],
                               port=0, ca_dir=sim_ca, faults=faults.parse(""))  # fmt: skip
            sim = BackgroundSim(config)
            sim.start()
        finally:
            if saved is None:
                os.environ.pop(releases.ENV, None)
            else:
                os.environ[releases.ENV] = saved
        started.append(sim)
        doc = sim.doc["devices"][0]
        client = Client(doc["url"], doc["key"], doc["secret"], doc["ca"], timeout=10)
        return Site(sim, doc, client, Firmware(version))

    yield start
    for sim in started:
        sim.stop()
