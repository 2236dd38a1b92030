"""The versions matrix: what each site runs (Debian, Samba, Proxmox VE, OPNsense, opsi, switch
firmware), the fleet-wide spread, and the sites outside the ranges `region.yml` supports — the
skew an operator needs to see before an upgrade campaign.

Versions come from the run history (`site_versions`, filled by the `fleet_version` module in
the roles during deploys and drift checks).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

PART = re.compile(r"\d+|[a-z]+", re.I)


def version_key(text: str) -> tuple:
    """A sort key for the versions products show ("12.8", "4.17.12-Debian", "26.1.2_4",
    "9.1-3", "WC.16.11.0012"): the runs of digits compare as numbers, the letters as text,
    a number above a word; separators do not count. Products do not share one scheme (PEP 440,
    Debian's epochs…), so a loose, total order is what a range check can rely on."""
    return tuple((1, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in PART.findall(text))


def in_range(version: str, minimum: str | None, below: str | None) -> bool:
    key = version_key(version)
    if minimum is not None and key < version_key(minimum):
        return False
    return below is None or key < version_key(below)


@dataclass
class Outside:
    site: str
    host: str
    name: str
    version: str
    supported: str  # the range, for people


@dataclass
class Matrix:
    names: list[str]  # products, columns
    sites: dict[str, dict[str, list[str]]]  # site → product → distinct versions on its hosts
    spread: dict[str, dict[str, int]]  # product → version → how many hosts
    outside: list[Outside] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "names": self.names,
            "sites": self.sites,
            "spread": self.spread,
            "outside": [o.__dict__ for o in self.outside],
        }


def describe(minimum: str | None, below: str | None) -> str:
    parts = ([f">= {minimum}"] if minimum else []) + ([f"< {below}"] if below else [])
    return ", ".join(parts) or "any"


def build(rows: list[dict], supported: dict[str, tuple[str | None, str | None]]) -> Matrix:
    """`rows`: History.versions(); `supported`: product → (min, below) from region.yml."""
    names = sorted({r["name"] for r in rows})
    sites: dict[str, dict[str, list[str]]] = {}
    spread: dict[str, Counter] = {name: Counter() for name in names}
    outside = []
    for row in rows:
        versions = sites.setdefault(row["site"], {}).setdefault(row["name"], [])
        if row["version"] not in versions:
            versions.append(row["version"])
            versions.sort(key=version_key)
        spread[row["name"]][row["version"]] += 1
        if row["name"] in supported:
            low, below = supported[row["name"]]
            if not in_range(row["version"], low, below):
                outside.append(
                    Outside(
                        row["site"], row["host"], row["name"], row["version"], describe(low, below)
                    )
                )
    return Matrix(
        names=names,
        sites=dict(sorted(sites.items())),
        spread={
            name: dict(sorted(counts.items(), key=lambda kv: version_key(kv[0])))
            for name, counts in spread.items()
        },
        outside=outside,
    )
