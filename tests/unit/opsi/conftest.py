"""A simulated opsi master and a site's fresh depot (one simulator, in this process), and
clients for them (TLS verified against the simulator's CA)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fleet.lab.sim import faults
from fleet.lab.sim.opsi import factory
from fleet.lab.sim.server import BackgroundSim, SimConfig
from fleet.opsi import lock as lockmod
from fleet.opsi.rpc import Client

PROJECT = Path(__file__).resolve().parents[3]
LAB = PROJECT / "inventories" / "lab"


@dataclass
class Opsi:
    sim: BackgroundSim
    master_doc: dict[str, Any]
    depot_doc: dict[str, Any]

    def client(self, doc: dict[str, Any], timeout: float = 10) -> Client:
        return Client(doc["url"], doc["username"], doc["password"], doc["ca"], timeout)

    @property
    def master(self) -> Client:
        return self.client(self.master_doc)

    @property
    def depot(self) -> Client:
        return self.client(self.depot_doc)

    @property
    def depot_id(self) -> str:
        return self.depot_doc["depot_id"]

    def faults(self, spec: str) -> None:
        self.sim.set_faults(spec)


@pytest.fixture
def opsi(tmp_path) -> Opsi:
    config = SimConfig(kind="opsi", factory=factory, state_dir=tmp_path / "state",
                       names=["master", "0450050K"], port=0, ca_dir=tmp_path / "ca",
                       faults=faults.parse(""))  # fmt: skip
    sim = BackgroundSim(config)
    sim.start()
    try:
        master, depot = sim.doc["devices"]
        yield Opsi(sim, master, depot)
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def lab_catalogue() -> lockmod.Catalogue:
    catalogue, problems = lockmod.read(LAB)
    assert catalogue is not None and not problems
    return catalogue


def site_products(catalogue: lockmod.Catalogue, *profiles: str) -> list[dict]:
    import yaml

    region = yaml.safe_load((LAB / "region.yml").read_text())
    wanted = {p: region["opsi"]["profiles"][p]["products"] for p in profiles}
    return lockmod.site_products(catalogue, "0450050K", wanted)
