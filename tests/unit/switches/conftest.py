"""Simulated switches served over SSH from this process (the simulator's own start/stop)."""

from __future__ import annotations

import types

import pytest

from fleet.lab.sim.switches.serve import start_devices, stop_devices


class Sim:
    def __init__(self, state_dir, names):
        self.state_dir = state_dir
        self.names = names
        self.servers = []
        self.doc: dict = {}

    def start(self) -> dict:
        config = types.SimpleNamespace(state_dir=self.state_dir, names=self.names,
                                       listen="127.0.0.1", port=0, layout="port", faults=None)  # fmt: skip
        self.servers, self.doc = start_devices(config)
        return self.doc

    def stop(self) -> None:
        stop_devices(self.servers)
        self.servers = []

    def device(self, name: str) -> dict:
        return next(d for d in self.doc["devices"] if d["name"] == name)


@pytest.fixture
def switches(tmp_path):
    """`switches(names)` → a started Sim (stopped after the test)."""
    started: list[Sim] = []

    def start(names: list[str], state_dir=None) -> Sim:
        sim = Sim(state_dir or tmp_path / "state", names)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
