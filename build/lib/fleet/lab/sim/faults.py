"""Fault injection for the simulators: a small spec language and deterministic decisions.

    SPEC   := RULE (";" RULE)*
    RULE   := TARGET (":" OPTION)*
    TARGET := "all" | "dev=" PATTERN ("," PATTERN)*        (device names or shell globs)

Effects (a rule has at least one):
    error=CODE          answer CODE (500-599) with the API's own error body
    latency=DURATION    wait before answering (several firing rules add up)
    hang[=DURATION]     accept the request and never answer (default 1h: beyond any client timeout)
    drop                close the connection without an answer (client sees a reset)
    down                the device's socket is closed: connection refused
    flap=UP/DOWN        the socket is open for UP, then closed for DOWN, repeating

Selectors for the per-request effects (error, latency, hang, drop):
    rate=P              fire with probability P (0-1], drawn from the seed: same seed, same run
    every=N             fire on every Nth matching request
    after=N             fire only after the first N matching requests
    method=M[,M]        only these HTTP methods
    path=GLOB           only request paths matching GLOB (e.g. /api2/json/nodes/*)

DURATION is a number with `ms` or `s` (a bare number means ms). Example:
    dev=pve-002:error=503:rate=0.5;all:latency=200ms;dev=pve-003:down
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fleet.errors import BadInput

DEFAULT_HANG = 3600.0
REQUEST_EFFECTS = ("error", "latency", "hang", "drop")
DEVICE_EFFECTS = ("down", "flap")
SELECTORS = ("rate", "every", "after", "method", "path")


class FaultSpecError(BadInput):
    """A --faults spec that cannot be parsed; the message names the rule and the option."""


@dataclass(frozen=True)
class Rule:
    text: str  # the rule as written, for messages and the control API
    devices: tuple[str, ...] | None  # None = all devices
    error: int | None = None
    latency: float = 0.0  # seconds
    hang: float | None = None  # seconds
    drop: bool = False
    down: bool = False
    flap: tuple[float, float] | None = None  # (up, down) seconds
    rate: float = 1.0
    every: int = 1
    after: int = 0
    methods: frozenset[str] | None = None
    path: str | None = None

    def targets(self, name: str) -> bool:
        return self.devices is None or any(fnmatch.fnmatchcase(name, p) for p in self.devices)

    @property
    def per_request(self) -> bool:
        return self.error is not None or self.latency > 0 or self.hang is not None or self.drop

    def to_dict(self) -> dict:
        return {
            "rule": self.text,
            "devices": list(self.devices) if self.devices is not None else "all",
            "error": self.error,
            "latency_ms": round(self.latency * 1000),
            "hang_s": self.hang,
            "drop": self.drop,
            "down": self.down,
            "flap_s": list(self.flap) if self.flap else None,
            "rate": self.rate,
            "every": self.every,
            "after": self.after,
            "methods": sorted(self.methods) if self.methods else None,
            "path": self.path,
        }


@dataclass(frozen=True)
class FaultPlan:
    spec: str = ""
    rules: tuple[Rule, ...] = ()

    def check_devices(self, names: Iterable[str]) -> None:
        """Refuse a rule naming no existing device: a typo would silently inject nothing."""
        names = list(names)
        for rule in self.rules:
            if rule.devices is None:
                continue
            for pattern in rule.devices:
                if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
                    shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
                    raise FaultSpecError(
                        f"faults: rule '{rule.text}': dev={pattern} matches no device "
                        f"(devices: {shown})"
                    )

    def to_dict(self) -> dict:
        return {"spec": self.spec, "rules": [r.to_dict() for r in self.rules]}


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")


def parse_duration(text: str, where: str) -> float:
    """'200ms' / '1.5s' / '200' (ms) -> seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise FaultSpecError(f"{where}: '{text}' is not a duration (e.g. 200ms, 1.5s)")
    value = float(match.group(1))
    return value if match.group(2) == "s" else value / 1000.0


def parse(spec: str | None) -> FaultPlan:
    """Parse a --faults spec; an empty spec means no faults."""
    spec = (spec or "").strip()
    rules = tuple(
        _parse_rule(text.strip(), number)
        for number, text in enumerate(spec.split(";"), start=1)
        if text.strip()
    )
    return FaultPlan(spec=spec, rules=rules)


def _parse_rule(text: str, number: int) -> Rule:
    where = f"faults: rule {number} '{text}'"
    target, *options = [part.strip() for part in text.split(":")]
    if target == "all":
        devices = None
    elif target.startswith("dev="):
        devices = tuple(p.strip() for p in target[4:].split(",") if p.strip())
        if not devices:
            raise FaultSpecError(f"{where}: dev= needs at least one device name")
    else:
        raise FaultSpecError(f"{where}: a rule starts with 'all' or 'dev=NAME[,NAME]'")
    values: dict = {}
    for option in options:
        key, has_value, value = option.partition("=")
        key, value = key.strip(), value.strip()
        if key in values:
            raise FaultSpecError(f"{where}: option '{key}' given twice")
        if key in ("drop", "down"):
            if has_value:
                raise FaultSpecError(f"{where}: '{key}' takes no value")
            values[key] = True
        elif key == "hang":
            values[key] = parse_duration(value, f"{where}: hang") if has_value else DEFAULT_HANG
        elif not has_value or not value:
            raise FaultSpecError(f"{where}: option '{key}' needs a value ({key}=…)")
        elif key == "error":
            values[key] = _int_in(value, 500, 599, f"{where}: error")
        elif key == "latency":
            values[key] = parse_duration(value, f"{where}: latency")
        elif key == "flap":
            up, slash, down = value.partition("/")
            if not slash:
                raise FaultSpecError(f"{where}: flap=UP/DOWN, e.g. flap=2s/1s")
            up_s, down_s = parse_duration(up, f"{where}: flap"), parse_duration(down, where)
            if up_s <= 0 or down_s <= 0:
                raise FaultSpecError(f"{where}: flap durations must be positive")
            values[key] = (up_s, down_s)
        elif key == "rate":
            try:
                rate = float(value)
            except ValueError:
                rate = -1.0
            if not 0 < rate <= 1:
                raise FaultSpecError(f"{where}: rate must be a number in (0, 1], got '{value}'")
            values[key] = rate
        elif key == "every":
            values[key] = _int_in(value, 1, 10**9, f"{where}: every")
        elif key == "after":
            values[key] = _int_in(value, 0, 10**9, f"{where}: after")
        elif key == "method":
            values["methods"] = frozenset(m.strip().upper() for m in value.split(",") if m)
        elif key == "path":
            values[key] = value
        else:
            known = ", ".join((*REQUEST_EFFECTS, *DEVICE_EFFECTS, *SELECTORS))
            raise FaultSpecError(f"{where}: unknown option '{key}' (known: {known})")
    rule = Rule(text=text, devices=devices, **values)
    device_level = rule.down or rule.flap is not None
    if not device_level and not rule.per_request:
        raise FaultSpecError(
            f"{where}: no effect; give one of error=, latency=, hang, drop, down, flap="
        )
    if rule.down and rule.flap:
        raise FaultSpecError(f"{where}: down and flap exclude each other")
    if device_level and (rule.per_request or set(values) & {"rate", "every", "after", "methods"}):
        raise FaultSpecError(
            f"{where}: down/flap concern the whole device; put per-request effects "
            "and selectors in a rule of their own"
        )
    if device_level and "path" in values:
        raise FaultSpecError(f"{where}: path= does not apply to down/flap")
    if sum(x is not None and x is not False for x in (rule.error, rule.hang, rule.drop)) > 1:
        raise FaultSpecError(f"{where}: error, hang and drop exclude each other")
    return rule


def _int_in(value: str, low: int, high: int, where: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise FaultSpecError(f"{where} must be an integer from {low} to {high}, got '{value}'")
    return number


@dataclass
class Decision:
    """What to do with one request: wait `latency`, then answer normally or fault."""

    latency: float = 0.0
    error: int | None = None
    hang: float | None = None
    drop: bool = False


@dataclass
class DeviceFaults:
    """The rules that target one device, with their per-rule request counters.

    Counters belong to the device, so its sequence of outcomes depends only on the seed and
    the requests it received, never on traffic to other devices.
    """

    name: str
    seed: int
    rules: tuple[Rule, ...] = ()
    started: float = 0.0  # loop time the plan was applied (origin of the flap schedule)
    counters: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counters = [0] * len(self.rules)

    @classmethod
    def select(cls, plan: FaultPlan, name: str, seed: int, started: float) -> DeviceFaults:
        return cls(name, seed, tuple(r for r in plan.rules if r.targets(name)), started)

    @property
    def flapping(self) -> bool:
        return any(r.flap for r in self.rules)

    def is_up(self, now: float) -> bool:
        for rule in self.rules:
            if rule.down:
                return False
            if rule.flap:
                up, down = rule.flap
                if (now - self.started) % (up + down) >= up:
                    return False
        return True

    def decide(self, method: str, path: str) -> Decision:
        decision = Decision()
        for index, rule in enumerate(self.rules):
            if not rule.per_request:
                continue
            if rule.methods is not None and method.upper() not in rule.methods:
                continue
            if rule.path is not None and not fnmatch.fnmatchcase(path, rule.path):
                continue
            self.counters[index] += 1
            count = self.counters[index]
            if count <= rule.after or count % rule.every:
                continue
            if rule.rate < 1 and self._draw(index, count) >= rule.rate:
                continue
            decision.latency += rule.latency
            if decision.error is None and decision.hang is None and not decision.drop:
                decision.error = rule.error
                decision.hang = rule.hang
                decision.drop = rule.drop
        return decision

    def _draw(self, index: int, count: int) -> float:
        digest = hashlib.blake2b(
            f"{self.seed}/{self.name}/{index}/{count}".encode(), digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") / 2**64
