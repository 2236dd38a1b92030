"""Shared fixtures for simulator tests: a tiny real device and ways to run a simulator.

- `EchoDevice` / `echo_factory`: a complete `Device` (base.py) that echoes requests and keeps
  a list of items, so the server core is tested without any API logic.
- `clock`: a settable clock for devices that take one (`clock.now += 5` moves time on).
- `start_sim(kind="echo", **options) -> BackgroundSim`: a simulator in this process (its own
  event loop in a thread); `sim.doc` is the ready document, `sim.set_faults(spec)` changes
  faults. Stopped at teardown. Any kind works: "pve", "opnsense", "opsi" load the real devices.
- `start_sim_process(kind="echo", **options) -> dict`: `fleet lab sim` as a real background
  process (fleet.lab.sim.service), returns the ready document; stopped at teardown.

Every device listens on 127.100.0.x with a free port (port 0), so parallel test runs never
collide. Clients must verify TLS against `doc["ca"]`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from fleet.lab.sim.base import Request, Response

HERE = Path(__file__).parent


class Clock:
    """Device time under the test's control: starts at a fixed instant, moves when told."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


class EchoDevice:
    """Echoes each request as JSON; POST /items appends the body; /boom raises."""

    def __init__(self, name: str, index: int, state: dict[str, Any] | None, seed: int):
        self.name = name
        self.index = index
        self.seed = seed
        self.state = state if state is not None else {"items": []}

    def handle(self, request: Request) -> Response:
        if request.path == "/boom":
            raise RuntimeError("device bug: secret internals")
        if request.path == "/items" and request.method == "POST":
            self.state["items"].append(request.body.decode())
            return _json(201, {"items": self.state["items"]})
        if request.path == "/items":
            return _json(200, {"items": self.state["items"]})
        if request.path == "/bad-response":
            return Response(status=200, body="text, not bytes")  # a device bug
        if request.path == "/reason":
            return Response(status=400, body=b"{}", reason="bad\nparameter: é ✓")
        return _json(
            200,
            {
                "device": self.name,
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "headers": dict(request.headers),
                "body": request.body.decode(errors="replace"),
                "body_length": len(request.body),
                "remote": request.remote,
            },
            {"X-Echo-Device": self.name},
        )

    def snapshot(self) -> dict[str, Any]:
        return self.state

    def credentials(self) -> dict[str, str]:
        return {"username": f"user-{self.index}", "password": f"pw-{self.seed}-{self.index}"}

    def error_response(self, status: int) -> Response:
        return _json(status, {"error": {"code": status, "device": self.name}})


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def echo_factory(name: str, index: int, state: dict[str, Any] | None, seed: int) -> EchoDevice:
    return EchoDevice(name, index, state, seed)


echo_factory.kind = "echo"


def sim_config(kind: str, state_dir: Path, **options: Any):
    from fleet.cli.lab_sim import device_names
    from fleet.lab.sim import faults
    from fleet.lab.sim.kinds import load_factory
    from fleet.lab.sim.server import SimConfig

    factory = echo_factory if kind == "echo" else load_factory(kind)
    names = options.pop("names", None) or device_names(kind, options.pop("devices", 1), None)
    options.setdefault("port", 0)
    spec = options.pop("faults", None)
    return SimConfig(
        kind=kind,
        factory=factory,
        state_dir=state_dir,
        names=names,
        faults=faults.parse(spec),
        **options,
    )


@pytest.fixture
def make_sim_config():
    """make_sim_config(kind, state_dir, **SimConfig options) -> SimConfig (not started)."""
    return sim_config


@pytest.fixture
def start_sim(tmp_path: Path):
    """start_sim(kind="echo", state_dir=None, **SimConfig options) -> a running BackgroundSim."""
    from fleet.lab.sim.server import BackgroundSim

    running: list[BackgroundSim] = []

    def start(kind: str = "echo", state_dir: Path | None = None, **options: Any) -> BackgroundSim:
        sim = BackgroundSim(sim_config(kind, state_dir or tmp_path / f"state-{kind}", **options))
        sim.start()
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.stop()


@pytest.fixture
def start_sim_process(tmp_path: Path):
    """start_sim_process(kind="echo", state_dir=None, **service options) -> ready document."""
    from fleet.lab.sim import service

    started: list[tuple[Path, str]] = []

    def start(kind: str = "echo", state_dir: Path | None = None, **options: Any) -> dict:
        run_dir = tmp_path / "run"
        options.setdefault("port", 0)
        env = None
        if kind == "echo":
            # The echo device lives in this conftest: the child imports it from here.
            options["factory"] = "conftest:echo_factory"
            env = {
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(HERE), os.environ.get("PYTHONPATH")])
                )
            }
            kind_arg = "pve"  # any known kind name; --factory decides the devices
        else:
            kind_arg = kind
        doc = service.start(
            run_dir, kind_arg, state_dir or tmp_path / f"state-{kind}", env=env, **options
        )
        started.append((run_dir, kind_arg))
        return doc

    yield start
    for run_dir, kind in started:
        service.stop(run_dir, kind)
