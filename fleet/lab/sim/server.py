"""One simulator process: many devices, each on its own loopback address (or port), over HTTPS.

The server owns everything around the devices (see base.py): one aiohttp low-level server and
one listening socket per device, so the device answering a request is simply the one whose
socket accepted the connection; TLS with the lab CA; fault injection; and an atomic state file
per device written after every mutating request, before the client gets its answer.

A small control API on its own loopback port (HTTPS, bearer token from the ready document)
lets tests and the lab change faults while the simulator runs.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import itertools
import json
import logging
import os
import secrets
import signal
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web_request import BaseRequest

from fleet.errors import BadInput, FleetError
from fleet.lab.sim import faults as faults_mod
from fleet.lab.sim import store as store_mod
from fleet.lab.sim import tls
from fleet.lab.sim.base import Device, DeviceFactory, Request, Response
from fleet.lab.sim.kinds import KINDS

log = logging.getLogger("fleet.lab.sim")

DEFAULT_LISTEN = {"address": "127.100.0.1", "port": "127.0.0.1"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY = 512 * 1024 * 1024  # .opsi packages are uploaded whole
INLINE_WRITE = 256 * 1024  # state files up to this size are written on the event loop
MAX_CONNECTIONS = 1024  # connection numbers remembered per device before closed ones go
FLAP_TICK = 0.05  # seconds between checks of flapping devices
# Headers aiohttp computes itself; a device copying them would corrupt the framing.
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


@dataclass
class SimConfig:
    kind: str
    factory: DeviceFactory
    state_dir: Path
    names: Sequence[str]
    listen: str | None = None  # first device address; default per layout
    port: int | None = None  # None = the product's port; 0 = an ephemeral port per device
    layout: str = "address"  # "address": device i on listen+i; "port": all on listen, port+i
    faults: faults_mod.FaultPlan = field(default_factory=faults_mod.FaultPlan)
    seed: int = 0
    ca_dir: Path | None = None  # default <state_dir>/ca
    dns_suffix: str | None = None  # adds "<name>.<suffix>" to each certificate
    control_port: int = 0
    shutdown_timeout: float = 1.0
    fsync: bool = False  # state writes also durable across a host crash (see store.py)
    access_log: bool = False


def plan_addresses(
    names: Sequence[str], listen: str | None, port: int, layout: str
) -> list[tuple[str, int]]:
    """(host, port) per device. Only 127.0.0.0/8: the lab never listens beyond loopback."""
    if layout not in DEFAULT_LISTEN:
        raise BadInput(f"--layout: '{layout}' is not one of address, port")
    listen = listen or DEFAULT_LISTEN[layout]
    try:
        first = ipaddress.IPv4Address(listen)
    except ValueError as exc:
        raise BadInput(f"--listen: '{listen}' is not an IPv4 address") from exc
    loopback = ipaddress.IPv4Network("127.0.0.0/8")
    count = len(names)
    if layout == "address":
        last = first + (count - 1) if int(first) + count - 1 <= 0xFFFFFFFF else None
        hosts = [str(first + i) for i in range(count)]
        ports = [port] * count
    else:
        last = first
        hosts = [str(first)] * count
        if port and port + count - 1 > 65535:
            raise BadInput(f"--port: {port} + {count} devices goes beyond port 65535")
        ports = [port + i if port else 0 for i in range(count)]
    if first not in loopback or last is None or last not in loopback:
        raise BadInput(f"--listen: {listen} (+{count - 1}) must stay inside 127.0.0.0/8 (loopback)")
    if first == loopback.network_address or last == loopback.broadcast_address:
        raise BadInput(f"--listen: {listen} (+{count - 1}) touches 127.0.0.0 or 127.255.255.255")
    return list(zip(hosts, ports, strict=True))


class Slot:
    """One device and everything the server keeps for it."""

    def __init__(self, index: int, name: str, device: Device, host: str, port: int):
        self.index = index
        self.name = name
        self.device = device
        self.host = host
        self.port = port
        self.ssl: ssl.SSLContext | None = None
        self.web: web.Server | None = None
        self.listener: asyncio.Server | None = None
        self.faults = faults_mod.DeviceFaults(name, 0)
        self.saved: bytes | None = None  # the bytes last written to disk
        self.changes = 0  # mutating requests handled
        self.written = 0  # mutating requests whose effect is on disk
        self.lock = asyncio.Lock()
        self.requests = 0
        self.failures = 0  # handle() raised
        # id(client connection's protocol) -> (protocol, its number), for Request.connection;
        # the protocol is held so its id is not reused while the entry lives
        self.connections: dict[int, tuple[Any, int]] = {}
        self.connection_ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def up(self) -> bool:
        return self.listener is not None


class SimServer:
    def __init__(self, config: SimConfig):
        self.config = config
        self.store = store_mod.StateStore(config.state_dir, fsync=config.fsync)
        self.slots: list[Slot] = []
        self.plan = config.faults
        self.token = secrets.token_urlsafe(24)
        self.ca: tls.CertAuthority | None = None
        self._control: asyncio.Server | None = None
        self._control_web: web.Server | None = None
        self._control_port = 0
        self._ticker: asyncio.Task | None = None

    # ---- life cycle -------------------------------------------------------------------

    async def start(self) -> dict[str, Any]:
        """Build the devices, bind every socket, and return the ready document."""
        config = self.config
        if not config.names:
            raise BadInput("a simulator needs at least one device")
        names = [store_mod.check_name(n) for n in config.names]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise BadInput(f"--names: device names must be unique; repeated: {', '.join(dupes)}")
        port = config.port
        if port is None:
            port = KINDS[config.kind].default_port if config.kind in KINDS else 0
        addresses = plan_addresses(names, config.listen, port, config.layout)
        self.plan.check_devices(names)
        self.store.lock()
        self.store.prepare()
        self.ca = tls.CertAuthority.ensure(config.ca_dir or config.state_dir / "ca")
        cert_dir = self.store.root / "tls"
        loop = asyncio.get_running_loop()
        for index, (name, (host, dev_port)) in enumerate(zip(names, addresses, strict=True)):
            slot = Slot(index, name, self._build(name, index), host, dev_port)
            dns = [name]
            if config.dns_suffix:
                dns.append(f"{name}.{config.dns_suffix}")
            slot.ssl = tls.server_context(self.ca.issue(cert_dir, name, host, dns))
            slot.web = web.Server(
                self._handler(slot),
                request_factory=self._request_factory(slot),
                handler_cancellation=True,  # a client that gives up cancels its hung request
                access_log=logging.getLogger("aiohttp.access") if config.access_log else None,
            )
            slot.faults = faults_mod.DeviceFaults.select(self.plan, name, config.seed, loop.time())
            self.slots.append(slot)
        # The first start writes every initial state; a restart rewrites only what differs.
        await asyncio.gather(*(self._persist(slot, initial=True) for slot in self.slots))
        try:
            for slot in self.slots:
                if slot.faults.is_up(loop.time()):
                    await self._open(slot)
                else:
                    slot.port = slot.port or await self._reserve_port(slot.host)
            await self._open_control()
        except BaseException:
            await self._close_all()
            raise
        self._ticker = asyncio.create_task(self._flap_loop())
        return self.ready_document()

    async def stop(self) -> None:
        """Close every socket, let in-flight requests finish (hung ones are cancelled), save."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self._close_all()
        for slot in self.slots:
            await self._persist(slot, force=True)
        self.store.unlock()

    async def _close_all(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        for slot in self.slots:
            if slot.listener is not None:
                slot.listener.close()
                slot.listener = None
        servers = [s.web for s in self.slots if s.web is not None]
        if self._control_web is not None:
            servers.append(self._control_web)
        await asyncio.gather(*(srv.shutdown(self.config.shutdown_timeout) for srv in servers))

    def _build(self, name: str, index: int) -> Device:
        state = self.store.load(name)
        try:
            return self.config.factory(name, index, state, self.config.seed)
        except Exception as exc:
            if state is not None:
                raise BadInput(
                    f"{self.store.path(name)}: device '{name}' cannot be rebuilt from its saved "
                    f"state ({type(exc).__name__}: {exc}); fix or remove the file"
                ) from exc
            raise FleetError(f"{self.config.kind} device '{name}' failed to start: {exc}") from exc

    def ready_document(self) -> dict[str, Any]:
        assert self.ca is not None
        ca = str(self.ca.cert_path)
        devices = []
        for slot in self.slots:
            entry: dict[str, Any] = dict(slot.device.credentials())
            entry.update(
                name=slot.name,
                index=slot.index,
                url=slot.url,
                host=slot.host,
                port=slot.port,
                ca=ca,
            )
            devices.append(entry)
        return {
            "kind": self.config.kind,
            "pid": os.getpid(),
            "state": str(self.store.root),
            "ca": ca,
            "seed": self.config.seed,
            "faults": self.plan.spec,
            "control": {"url": f"https://127.0.0.1:{self._control_port}", "token": self.token},
            "devices": devices,
        }

    # ---- sockets ------------------------------------------------------------------------

    async def _open(self, slot: Slot) -> None:
        loop = asyncio.get_running_loop()
        try:
            slot.listener = await loop.create_server(
                slot.web, slot.host, slot.port, ssl=slot.ssl, reuse_address=True, backlog=256
            )
        except OSError as exc:
            hint = (
                "; ports below 1024 need root, use --port" if slot.port and slot.port < 1024 else ""
            )
            raise BadInput(
                f"device '{slot.name}': cannot listen on {slot.host}:{slot.port} "
                f"({exc.strerror or exc}){hint}; choose another --listen or --port"
            ) from exc
        slot.port = slot.listener.sockets[0].getsockname()[1]

    async def _reserve_port(self, host: str) -> int:
        """A device that starts down still needs a stable port for its URL."""
        loop = asyncio.get_running_loop()
        probe = await loop.create_server(asyncio.Protocol, host, 0)
        port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        return port

    def _take_down(self, slot: Slot) -> None:
        """Close the socket (new connections are refused) and cut the open ones."""
        if slot.listener is not None:
            slot.listener.close()
            slot.listener = None
        if slot.web is not None:
            for conn in slot.web.connections:
                if conn.transport is not None:
                    conn.transport.abort()

    async def _sync_up_down(self) -> None:
        now = asyncio.get_running_loop().time()
        for slot in self.slots:
            want_up = slot.faults.is_up(now)
            if want_up and not slot.up:
                try:
                    await self._open(slot)
                except BadInput as exc:  # the port was taken while the device was down
                    log.error("%s", exc.message)
            elif not want_up and slot.up:
                self._take_down(slot)

    async def _flap_loop(self) -> None:
        while True:
            await asyncio.sleep(FLAP_TICK)
            if any(rule.flap for rule in self.plan.rules):  # no per-device scan otherwise
                await self._sync_up_down()

    async def set_faults(self, plan: faults_mod.FaultPlan) -> None:
        """Replace the fault plan; counters and flap schedules restart from now."""
        plan.check_devices(slot.name for slot in self.slots)
        self.plan = plan
        now = asyncio.get_running_loop().time()
        for slot in self.slots:
            slot.faults = faults_mod.DeviceFaults.select(plan, slot.name, self.config.seed, now)
        await self._sync_up_down()

    # ---- requests -----------------------------------------------------------------------

    def _request_factory(self, slot: Slot) -> Callable[..., BaseRequest]:
        def make(message, payload, protocol, writer, task) -> BaseRequest:
            return BaseRequest(
                message,
                payload,
                protocol,
                writer,
                task,
                asyncio.get_running_loop(),
                client_max_size=MAX_BODY,
            )

        return make

    def _handler(self, slot: Slot) -> Callable[[BaseRequest], Any]:
        async def handle(request: BaseRequest) -> web.StreamResponse:
            return await self._handle(slot, request)

        return handle

    async def _handle(self, slot: Slot, request: BaseRequest) -> web.StreamResponse:
        slot.requests += 1
        if not slot.up:  # a request on a connection that outlived its device going down
            return _cut(request)
        decision = slot.faults.decide(request.method, request.path)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.drop:
            return _cut(request)
        if decision.hang is not None:
            await asyncio.sleep(decision.hang)
            return _cut(request)
        if decision.error is not None:
            return self._error(slot, decision.error)
        body = await request.read()
        req = Request(
            method=request.method,
            path=request.path,
            query=urllib.parse.parse_qs(request.query_string, keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            remote=request.remote or "127.0.0.1",
            connection=self._connection(slot, request),
        )
        try:
            response: Response | None = slot.device.handle(req)
        except Exception:
            slot.failures += 1
            log.exception(
                "%s device %s failed on %s %s", self.config.kind, slot.name, req.method, req.path
            )
            response = None
        if request.method not in SAFE_METHODS:
            slot.changes += 1
            # shielded: a client hanging up must not leave a change unwritten
            await asyncio.shield(self._persist(slot))
        if response is None:
            return self._error(slot, 500)
        if response.cut:
            return _cut(request)
        try:
            return _to_web(response)
        except (TypeError, ValueError, AttributeError):
            slot.failures += 1
            log.exception("%s device %s: unusable response", self.config.kind, slot.name)
            return self._error(slot, 500)

    @staticmethod
    def _connection(slot: Slot, request: BaseRequest) -> int:
        """The number of the client connection that carried `request` (stable per connection)."""
        protocol = request.protocol
        if protocol is None:
            return 0
        known = slot.connections.get(id(protocol))
        if known is not None and known[0] is protocol:
            return known[1]
        if len(slot.connections) >= MAX_CONNECTIONS:  # forget the closed ones
            slot.connections = {
                k: v for k, v in slot.connections.items() if v[0].transport is not None
            }
        number = next(slot.connection_ids)
        slot.connections[id(protocol)] = (protocol, number)
        return number

    def _error(self, slot: Slot, status: int) -> web.Response:
        """The device's own error answer; a bare one if the device cannot give it."""
        try:
            return _to_web(slot.device.error_response(status))
        except Exception:
            log.exception(
                "%s device %s: error_response(%s) failed", self.config.kind, slot.name, status
            )
            return web.Response(status=status, text="", content_type="text/plain")

    async def _persist(self, slot: Slot, initial: bool = False, force: bool = False) -> None:
        """Write the device's state if it changed since the last write (atomically, in a thread).

        Group commit: the writes of concurrent requests to one device queue on its lock, and a
        write that snapshots the state after a request's change covers that request too, so a
        burst of N changes costs far fewer than N fsyncs. `force` (restart, stop, /save) always
        takes a fresh snapshot: PVE tasks finish, and change the state, between requests.
        """
        wanted = slot.changes
        async with slot.lock:
            if not (initial or force) and slot.written >= wanted:
                return  # a write that started after this request's change has covered it
            covered = slot.changes
            try:
                # snapshot and encode with no await in between: the bytes are one moment's state
                data = store_mod.encode(slot.device.snapshot())
            except Exception:
                log.exception(
                    "%s device %s: snapshot failed; state not saved", self.config.kind, slot.name
                )
                return
            if data == slot.saved or (initial and self.store.read_bytes(slot.name) == data):
                slot.saved = data
                slot.written = covered
                return
            if self.config.fsync or len(data) > INLINE_WRITE:
                await asyncio.to_thread(self.store.save, slot.name, data)
            else:  # a page-cache write of a few kB: cheaper than a trip through a thread
                self.store.save(slot.name, data)
            slot.saved = data
            slot.written = covered

    # ---- control API ----------------------------------------------------------------------

    async def _open_control(self) -> None:
        assert self.ca is not None
        files = self.ca.issue(self.store.root / "tls", "control", "127.0.0.1", ["localhost"])
        self._control_web = web.Server(self._control_handle, access_log=None)
        loop = asyncio.get_running_loop()
        try:
            self._control = await loop.create_server(
                self._control_web,
                "127.0.0.1",
                self.config.control_port,
                ssl=tls.server_context(files),
                reuse_address=True,
            )
        except OSError as exc:
            raise BadInput(
                f"control API: cannot listen on 127.0.0.1:{self.config.control_port} ({exc.strerror})"
            ) from exc
        self._control_port = self._control.sockets[0].getsockname()[1]

    async def _control_handle(self, request: BaseRequest) -> web.Response:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            return _json({"error": "missing or wrong bearer token"}, 401)
        route = (request.method, request.path)
        if route == ("GET", "/faults"):
            return _json(self.plan.to_dict())
        if route in (("PUT", "/faults"), ("DELETE", "/faults")):
            spec = ""
            if request.method == "PUT":
                raw = (await request.read()).decode("utf-8", "replace")
                spec = raw
                if request.content_type == "application/json":
                    try:
                        spec = json.loads(raw).get("spec", "")
                    except (ValueError, AttributeError):
                        return _json(
                            {"error": 'body must be {"spec": "..."} or the spec as text'}, 400
                        )
            try:
                await self.set_faults(faults_mod.parse(spec))
            except faults_mod.FaultSpecError as exc:
                return _json({"error": exc.message}, 400)
            return _json(self.plan.to_dict())
        if route == ("GET", "/devices"):
            return _json(
                [
                    {
                        "name": s.name,
                        "url": s.url,
                        "up": s.up,
                        "requests": s.requests,
                        "failures": s.failures,
                    }
                    for s in self.slots
                ]
            )
        if route == ("POST", "/save"):
            for slot in self.slots:
                await self._persist(slot, force=True)
            return _json({"saved": len(self.slots)})
        return _json({"error": f"no route {request.method} {request.path}"}, 404)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def _cut(request: BaseRequest) -> web.StreamResponse:
    """Close the connection without an answer: the client sees a reset, not an HTTP status."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)  # never reaches the client: the transport is gone


def _to_web(response: Response) -> web.Response:
    """base.Response -> aiohttp; ValueError when a device broke the contract (checked here so
    the client gets the device's 500 rather than a half-written answer)."""
    status, body = response.status, response.body
    if not (isinstance(status, int) and 100 <= status <= 599):
        raise ValueError(f"status must be an int from 100 to 599, got {status!r}")
    if not isinstance(body, bytes | bytearray):
        raise ValueError(f"body must be bytes, got {type(body).__name__}")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in response.headers.items()):
        raise ValueError(f"header names and values must be str: {response.headers!r}")
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _FRAMING}
    reason = response.reason
    if reason is not None:  # one line of latin-1: what an HTTP status line can carry
        reason = " ".join(reason.split()).encode("latin-1", "replace").decode("latin-1")
    return web.Response(status=status, reason=reason, body=bytes(body), headers=headers)


# ---- running one -----------------------------------------------------------------------------


def serve(config: SimConfig, on_ready: Callable[[dict[str, Any]], None]) -> int:
    """Serve in the foreground until SIGTERM (returns 0) or SIGINT (returns 130); state is saved."""
    return asyncio.run(_serve(config, on_ready))


async def _serve(config: SimConfig, on_ready: Callable[[dict[str, Any]], None]) -> int:
    server = SimServer(config)
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    received: list[int] = []

    def request_stop(signum: int) -> None:
        received.append(signum)
        stopped.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, request_stop, signum)
    try:
        on_ready(await server.start())
        await stopped.wait()
    finally:
        await server.stop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    return 130 if received and received[0] == signal.SIGINT else 0


class BackgroundSim:
    """A simulator on its own event loop in a thread of this process (tests, benchmarks).

    with BackgroundSim(config) as sim:
        sim.doc["devices"][0]["url"] ...
        sim.set_faults("dev=x:error=503")
    """

    def __init__(self, config: SimConfig):
        self.config = config
        self.server = SimServer(config)
        self.doc: dict[str, Any] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sim", daemon=True)

    def start(self) -> dict[str, Any]:
        self._thread.start()
        try:
            self.doc = self._call(self.server.start())
        except BaseException:
            self._call(self.server.stop())
            self._halt()
            raise
        return self.doc

    def set_faults(self, spec: str) -> None:
        self._call(self.server.set_faults(faults_mod.parse(spec)))

    def stop(self) -> None:
        if self._thread.is_alive():
            self._call(self.server.stop())
            self._halt()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _halt(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> BackgroundSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
