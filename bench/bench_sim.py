"""Requests per second and memory of ONE simulator process with 1, 20 and 180 devices.

Target (issue 7): >= 300 req/s and <= 300 MB RSS with 180 devices, on this 2-core machine.

Each case starts `fleet lab sim` as a real background process (fleet.lab.sim.service), then a
bounded load generator in this process (aiohttp client, keep-alive, TLS verified against the
lab CA, loopback only) sends requests round-robin over all devices for a fixed time with a fixed
number of requests in flight. The client shares the two cores with the server, so the figures
are what a client on the same machine gets, a lower bound for the server alone.

    .venv/bin/python bench/bench_sim.py                  # echo + every real kind available
    .venv/bin/python bench/bench_sim.py --kinds pve --devices 180 --seconds 5

Figures go to bench/results/sim.json; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import itertools
import json
import os
import platform
import ssl
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from fleet.lab.sim import service
from fleet.lab.sim.base import Request, Response

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "sim.json"


# ---- a transport-only device (what the server core costs without API logic) ----------------


class EchoDevice:
    def __init__(self, name: str, index: int, state: dict | None, seed: int):
        self.name = name
        self.state = state if state is not None else {"writes": 0}

    def handle(self, request: Request) -> Response:
        if request.method == "POST":
            self.state["writes"] += 1  # every write changes the state: one atomic file write each
        body = json.dumps({"device": self.name, "path": request.path, "n": self.state["writes"]})
        return Response(200, body.encode(), {"Content-Type": "application/json"})

    def snapshot(self) -> dict:
        return self.state

    def credentials(self) -> dict[str, str]:
        return {"username": "bench", "password": "bench"}

    def error_response(self, status: int) -> Response:
        return Response(status, b'{"error": true}', {"Content-Type": "application/json"})


def echo_factory(name: str, index: int, state: dict | None, seed: int) -> EchoDevice:
    return EchoDevice(name, index, state, seed)


echo_factory.kind = "echo"


# ---- what a client of each kind sends ------------------------------------------------------

Probe = Callable[[dict], tuple[str, str, dict[str, str], bytes | None]]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def echo_read(dev: dict):
    return "GET", "/status", {}, None


def echo_write(dev: dict):
    return "POST", "/items", {}, b"x"


def pve_read(dev: dict):
    auth = f"PVEAPIToken={dev['token_id']}={dev['token_secret']}"
    return "GET", "/api2/json/cluster/resources", {"Authorization": auth}, None


def opnsense_read(dev: dict):
    auth = _basic(dev["key"], dev["secret"])
    return "GET", "/api/firewall/alias/search_item", {"Authorization": auth}, None


def opsi_read(dev: dict):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "host_getIdents", "params": []})
    headers = {
        "Authorization": _basic(dev["username"], dev["password"]),
        "Content-Type": "application/json",
    }
    return "POST", "/rpc", headers, body.encode()


_writes = itertools.count(1)


def pve_write(dev: dict):
    """A config change that is saved to the device's state file before the answer."""
    auth = f"PVEAPIToken={dev['token_id']}={dev['token_secret']}"
    headers = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}
    body = f"comment=bench-{next(_writes)}".encode()
    return "PUT", "/api2/json/access/users/root@pam", headers, body


def opnsense_write(dev: dict):
    body = json.dumps({"unbound": {"general": {"port": str(5300 + next(_writes) % 600)}}})
    headers = {
        "Authorization": _basic(dev["key"], dev["secret"]),
        "Content-Type": "application/json",
    }
    return "POST", "/api/unbound/settings/set", headers, body.encode()


def opsi_write(dev: dict):
    params = ["bench.lab.opsi.lab", None, f"write {next(_writes)}"]
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "host_createOpsiClient", "params": params}
    )
    headers = {
        "Authorization": _basic(dev["username"], dev["password"]),
        "Content-Type": "application/json",
    }
    return "POST", "/rpc", headers, body.encode()


SCENARIOS: dict[str, list[tuple[str, Probe]]] = {
    "echo": [("read", echo_read), ("write", echo_write)],
    "pve": [("read", pve_read), ("write", pve_write)],
    "opnsense": [("read", opnsense_read), ("write", opnsense_write)],
    "opsi": [("read", opsi_read), ("write", opsi_write)],
}


def available(kind: str) -> bool:
    if kind == "echo":
        return True
    module = importlib.import_module("fleet.cli.lab_sim").KINDS[kind].split(":")[0]
    if importlib.util.find_spec(module) is None:
        return False
    return hasattr(importlib.import_module(module), "factory")


# ---- measuring -----------------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024  # kB -> MB
    ticks = os.sysconf("SC_CLK_TCK")
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    fields["cpu_s"] = (int(stat[11]) + int(stat[12])) / ticks
    return fields


async def load(doc: dict, probe: Probe, seconds: float, concurrency: int) -> dict[str, Any]:
    devices = doc["devices"]
    ctx = ssl.create_default_context(cafile=doc["ca"])
    connector = aiohttp.TCPConnector(ssl=ctx, limit=0, force_close=False)
    counts = {"ok": 0, "errors": 0, "statuses": {}}
    stop_at = 0.0

    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:

        async def worker(offset: int, measure: bool) -> None:
            i = offset
            while time.monotonic() < stop_at:
                dev = devices[i % len(devices)]
                i += concurrency
                method, path, headers, body = probe(dev)
                try:
                    async with session.request(
                        method, dev["url"] + path, headers=headers, data=body
                    ) as response:
                        body = await response.read()
                        status = response.status
                        if status == 200 and b'"error":{' in body.replace(b" ", b""):
                            status = -1  # a JSON-RPC error inside a 200
                except aiohttp.ClientError:
                    status = 0
                if not measure:
                    continue
                counts["statuses"][status] = counts["statuses"].get(status, 0) + 1
                counts["ok" if 200 <= status < 300 else "errors"] += 1

        # warm-up: one request per device (every TLS handshake done), then a second of load
        gate = asyncio.Semaphore(concurrency)

        async def touch(dev: dict) -> None:
            method, path, headers, body = probe(dev)
            async with (
                gate,
                session.request(method, dev["url"] + path, headers=headers, data=body) as r,
            ):
                await r.read()

        await asyncio.gather(*(touch(dev) for dev in devices))
        stop_at = time.monotonic() + min(1.0, seconds)
        await asyncio.gather(*(worker(k, False) for k in range(concurrency)))
        started = time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(worker(k, True) for k in range(concurrency)))
        elapsed = time.monotonic() - started
    counts["seconds"] = round(elapsed, 3)
    counts["req_per_s"] = round(counts["ok"] / elapsed, 1)
    counts["statuses"] = {str(k): v for k, v in sorted(counts["statuses"].items())}
    return counts


def run_case(
    kind: str,
    devices: int,
    seconds: float,
    concurrency: int,
    work: Path,
    scenarios: tuple[str, ...] = ("read", "write"),
) -> list[dict]:
    run_dir, state = work / f"run-{kind}-{devices}", work / f"state-{kind}-{devices}"
    options: dict[str, Any] = {"devices": devices, "port": 0, "listen": "127.100.0.1"}
    env = None
    kind_arg = kind
    if kind == "echo":
        options["factory"] = "bench_sim:echo_factory"
        env = {"PYTHONPATH": str(HERE)}
        kind_arg = "pve"
    started = time.monotonic()
    doc = service.start(run_dir, kind_arg, state, env=env, timeout=600, **options)
    startup = time.monotonic() - started
    pid = doc["pid"]
    try:
        at_start = proc_status(pid)
        rows = []
        for scenario, probe in SCENARIOS[kind]:
            if scenario not in scenarios:
                continue
            before = proc_status(pid)
            client_before = time.process_time()
            load_avg = os.getloadavg()[0]
            result = asyncio.run(load(doc, probe, seconds, concurrency))
            after = proc_status(pid)
            server_cpu = after["cpu_s"] - before["cpu_s"]
            rows.append(
                {
                    "kind": kind,
                    "devices": devices,
                    "scenario": scenario,
                    "concurrency": concurrency,
                    **result,
                    "server_cpu_s": round(server_cpu, 2),
                    # requests per CPU-second of the server: its capacity, whatever the client
                    "server_req_per_cpu_s": round(result["ok"] / server_cpu)
                    if server_cpu
                    else None,
                    "client_cpu_s": round(time.process_time() - client_before, 2),
                    "load_avg_1m_before": round(load_avg, 2),
                    "startup_s": round(startup, 2),
                    "rss_mb_start": round(at_start["VmRSS"], 1),
                    "rss_mb_end": round(after["VmRSS"], 1),
                    "rss_mb_peak": round(after["VmHWM"], 1),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr)
        return rows
    finally:
        service.stop(run_dir, kind_arg)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="echo,pve,opnsense,opsi")
    parser.add_argument("--devices", default="1,20,180")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--scenarios", default="read,write")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    kinds = [k for k in args.kinds.split(",") if k]
    skipped = [k for k in kinds if not available(k)]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        for kind in kinds:
            if kind in skipped:
                continue
            for count in (int(n) for n in args.devices.split(",")):
                rows.extend(
                    run_case(
                        kind,
                        count,
                        args.seconds,
                        args.concurrency,
                        Path(tmp),
                        tuple(args.scenarios.split(",")),
                    )
                )
    report = {
        "benchmark": "simulator throughput and memory per process",
        "target": {"req_per_s_min": 300, "rss_mb_max": 300, "devices": 180},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "aiohttp": aiohttp.__version__,
            "platform": platform.platform(),
        },
        "note": "req_per_s is what one client process on the same 2 cores got; other work on "
        "the machine (see load_avg_1m_before) competes for those cores. server_req_per_cpu_s "
        "is the server's own cost per request.",
        "client": f"aiohttp in the benchmark process, keep-alive, TLS verified, "
        f"{args.concurrency} requests in flight, round-robin over devices, same machine",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "skipped_kinds": skipped,
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
