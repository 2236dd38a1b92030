"""The OPNsense releases the simulator can play, and what changes between them.

Facts from the reference (`data/opnsense-api.json`, the tags it compared: 24.7, 25.1, 25.7, 26.1
and 26.7.2): savepoints and the rollback timer exist up to 26.1; domain overrides up to 24.7,
query forwarding from 25.1; `moveRuleBefore` from 25.7; search rows carry raw values and
`%field` labels from 25.7 (display labels of the fields before); `get` has `%field` siblings
from 26.7; 24.7 rules have 18 fields.

Which release a new device runs: `FLEET_SIM_OPNSENSE_FIRMWARE` (`NAME=VERSION,…`, names may be
shell globs, `*` for the rest), else the default plan: device index 0, 2, 4… run the newest
release and 1, 3, 5… the last one with savepoints (26.1), so every lab of two sites or more has
both. A device keeps its release in its state across restarts.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

ENV = "FLEET_SIM_OPNSENSE_FIRMWARE"


def series_key(series: str) -> tuple[int, int]:
    major, _, minor = series.partition(".")
    return int(major), int(minor.split(".")[0] or 0)


@dataclass(frozen=True)
class Release:
    version: str  # product_version, e.g. "26.7.2"
    commit: str  # the opnsense/core commit of the tag the reference read
    date: str

    @property
    def series(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def at_least(self, series: str) -> bool:
        return series_key(self.series) >= series_key(series)

    @property
    def savepoints(self) -> bool:
        """savepoint / apply with rollback revision / cancelRollback / revert (24.1 – 26.1)."""
        return not self.at_least("26.7")

    @property
    def domain_overrides(self) -> bool:
        """Unbound *DomainOverride actions (22.7 – 24.7); from 25.1 Query Forwarding."""
        return not self.at_least("25.1")

    @property
    def raw_search_rows(self) -> bool:
        """search rows: raw values + '%field' labels (25.7+), else display labels."""
        return self.at_least("25.7")

    @property
    def percent_in_get(self) -> bool:
        """get/getItem carry '%field' display siblings (26.7+)."""
        return self.at_least("26.7")

    @property
    def hash(self) -> str:
        return self.commit[:9]


RELEASES: dict[str, Release] = {
    r.version: r
    for r in (
        Release("24.7", "f29196d0174026ffd31cfdc91fed3fc054639048", "July 23, 2024"),
        Release("25.1", "da994c0434f628d9c73e6013b8f8493b6208aaf0", "January 29, 2025"),
        Release("25.7", "17d0a22a053233296c5c80d4f8f2e2f349f2ba7d", "July 23, 2025"),
        Release("26.1", "659e22be72c20439123559a08c629ae11f961baa", "January 28, 2026"),
        Release("26.7.2", "3fa8a4cfb5e591c0248a6a393194707bbd67af91", "August 12, 2026"),
    )
}
NEWEST = "26.7.2"
LAST_WITH_SAVEPOINTS = "26.1"
DEFAULT_PLAN = (NEWEST, LAST_WITH_SAVEPOINTS)

# Actions a release serves only from (since) or up to (until) a series, by documented path.
SINCE = {
    "/api/firewall/filter/moveRuleBefore": "25.7",
    **{
        f"/api/unbound/settings/{a}Forward": "25.1"
        for a in ("search", "get", "add", "set", "del", "toggle")
    },
}
UNTIL = {
    "/api/firewall/filter/savepoint": "26.1",
    "/api/firewall/filter/cancelRollback": "26.1",
    "/api/firewall/filter/revert": "26.1",
    **{
        f"/api/unbound/settings/{a}DomainOverride": "24.7"
        for a in ("search", "get", "add", "set", "del", "toggle")
    },
}

# Filter rule fields of 24.7 (fields_by_version); later releases have the reference's full list.
RULE_FIELDS_24_7 = (
    "enabled", "sequence", "action", "quick", "interface", "direction", "ipprotocol", "protocol",
    "source_net", "source_not", "source_port", "destination_net", "destination_not",
    "destination_port", "gateway", "log", "categories", "description",
)  # fmt: skip


def release(version: str) -> Release:
    if version not in RELEASES:
        raise ValueError(f"unknown OPNsense release {version!r} (simulated: {', '.join(RELEASES)})")
    return RELEASES[version]


def parse_plan(spec: str) -> list[tuple[str, str]]:
    """`NAME=VERSION,…` → [(glob, version)]; ValueError naming the bad entry."""
    plan = []
    for entry in (e.strip() for e in spec.split(",")):
        if not entry:
            continue
        pattern, sep, version = entry.partition("=")
        if not sep or not pattern.strip():
            raise ValueError(f"{ENV}: {entry!r} is not NAME=VERSION")
        try:
            release(version.strip())
        except ValueError as exc:
            raise ValueError(f"{ENV}: {exc}") from None
        plan.append((pattern.strip(), version.strip()))
    return plan


def planned(name: str, index: int, spec: str | None = None) -> str:
    """The release a new device gets (see the module docstring)."""
    spec = os.environ.get(ENV, "") if spec is None else spec
    for pattern, version in parse_plan(spec):
        if fnmatch.fnmatchcase(name, pattern):
            return version
    return DEFAULT_PLAN[index % len(DEFAULT_PLAN)]
