"""The PVE API schema the simulator serves, read from the shipped reference files.

`data/pve-api.json` is the reference subset (PVE 9.1.3); `data/pve-api-extra.json` adds the few
endpoints its own conventions name (ticket login, task log, storage content). Routing and
parameter validation both come from here, so the simulator cannot drift from the reference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data")
REFERENCE = DATA / "pve-api.json"
EXTRA = DATA / "pve-api-extra.json"

_INDEXED = re.compile(r"^([a-z][a-z0-9_-]*?)\[n\]$")
_CONCRETE_INDEXED = re.compile(r"^([a-z][a-z0-9_-]*?)(\d+)$")

# Index ranges of LXC keys (pct.conf); the reference only lists the QEMU ones.
_LXC_RANGES = {"net": 31, "mp": 255, "dev": 255, "unused": 255}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    name: str
    source: str  # "reference" | "extra"
    allowtoken: bool
    protected: bool
    permissions: dict[str, Any]
    params: dict[str, dict[str, Any]]  # concrete parameter name -> spec
    indexed: dict[str, tuple[dict[str, Any], int]]  # prefix -> (spec, highest index)
    returns: dict[str, Any]
    path_names: tuple[str, ...]
    regex: re.Pattern[str] = field(compare=False)

    def spec(self, name: str) -> dict[str, Any] | None:
        """The schema of parameter `name`, resolving indexed names such as net3 or scsi0."""
        if name in self.params:
            return self.params[name]
        m = _CONCRETE_INDEXED.match(name)
        if m and m.group(1) in self.indexed:
            spec, top = self.indexed[m.group(1)]
            if str(int(m.group(2))) == m.group(2) and int(m.group(2)) <= top:
                return spec
        return None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _ranges(raw: dict[str, str]) -> dict[str, int]:
    tops = {}
    for name, text in raw.items():
        m = _INDEXED.match(name)
        numbers = [int(x) for x in re.findall(r"\d+-(\d+)", text)]
        if m and numbers:
            tops[m.group(1)] = max(numbers)
    return tops


def _split(specs: dict[str, dict[str, Any]], tops: dict[str, int]):
    params: dict[str, dict[str, Any]] = {}
    indexed: dict[str, tuple[dict[str, Any], int]] = {}
    for name, spec in specs.items():
        m = _INDEXED.match(name)
        if m:
            indexed[m.group(1)] = (spec, tops.get(m.group(1), 0))
        else:
            params[name] = spec
    return params, indexed


def _path_regex(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names = tuple(re.findall(r"\{([^}]+)\}", path))
    pattern = re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$"), names


def _endpoint(raw: dict[str, Any], source: str, shared: dict[str, Any], tops: dict[str, int]):
    specs = {p["name"]: p for p in raw.get("parameters", [])}
    is_lxc = raw["path"].startswith("/nodes/{node}/lxc")
    local_tops = dict(tops)
    if is_lxc:
        local_tops.update(_LXC_RANGES)
    cfg = raw.get("config_parameters")
    if cfg:
        ref = cfg["$ref"].rsplit("/", 1)[-1]
        for name, spec in shared[ref].items():
            if name not in cfg.get("names_not_accepted", []):
                specs.setdefault(name, {**spec, "name": name, "required": False})
    params, indexed = _split(specs, local_tops)
    regex, names = _path_regex(raw["path"])
    return Endpoint(
        method=raw["method"],
        path=raw["path"],
        name=raw.get("name", ""),
        source=source,
        allowtoken=bool(raw.get("allowtoken")),
        protected=bool(raw.get("protected")),
        permissions=raw.get("permissions") or {},
        params=params,
        indexed=indexed,
        returns=raw.get("returns") or {},
        path_names=names,
        regex=regex,
    )


class Schema:
    def __init__(self, reference: dict[str, Any], extra: dict[str, Any]):
        self.reference = reference
        shared = reference.get("shared", {})
        tops = _ranges(reference.get("qemu_indexed_key_ranges", {}))
        self.qemu_config: dict[str, dict[str, Any]] = shared.get("qemu_config_properties", {})
        self.qemu_params, self.qemu_indexed = _split(self.qemu_config, tops)
        self.endpoints = [_endpoint(e, "reference", shared, tops) for e in reference["endpoints"]]
        self.endpoints += [_endpoint(e, "extra", shared, tops) for e in extra["endpoints"]]
        self.by_key = {e.key: e for e in self.endpoints}

    def match(self, method: str, path: str) -> tuple[Endpoint | None, dict[str, str], bool]:
        """(endpoint, path values, path known with another method)."""
        path_known = False
        for ep in self.endpoints:
            m = ep.regex.match(path)
            if not m:
                continue
            if ep.method == method:
                return ep, dict(zip(ep.path_names, m.groups(), strict=True)), True
            path_known = True
        return None, {}, path_known

    def qemu_spec(self, key: str) -> dict[str, Any] | None:
        """Schema of a QEMU config key (net0, scsi1, memory …)."""
        if key in self.qemu_params:
            return self.qemu_params[key]
        m = _CONCRETE_INDEXED.match(key)
        if m and m.group(1) in self.qemu_indexed:
            spec, top = self.qemu_indexed[m.group(1)]
            if str(int(m.group(2))) == m.group(2) and int(m.group(2)) <= top:
                return spec
        return None


@lru_cache(maxsize=1)
def load() -> Schema:
    return Schema(json.loads(REFERENCE.read_text()), json.loads(EXTRA.read_text()))
