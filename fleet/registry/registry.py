"""The loaded registry: region defaults, sites, allocations, and what derives from them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from fleet.errors import BadInput
from fleet.registry import addressing
from fleet.registry.models import Region, Site, Vlan

REGION_FILE = "region.yml"
ALLOCATIONS_FILE = "allocations.yml"
SITES_DIR = "sites"
VAULT_DIR = "vault"


@dataclass
class Registry:
    root: Path
    region: Region
    sites: dict[str, Site]
    allocations: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    vmids: dict[str, dict[str, int]] = field(default_factory=dict)  # pinned guest VMIDs

    # -------------------------------------------------------------- files
    def site_file(self, uai: str) -> Path:
        return self.root / SITES_DIR / f"{uai}.yml"

    def vault_file(self, uai: str) -> Path:
        return self.root / VAULT_DIR / f"{uai}.yml"

    def site(self, uai: str) -> Site:
        try:
            return self.sites[uai]
        except KeyError:
            raise BadInput(
                f"unknown site {uai!r}: no {SITES_DIR}/{uai}.yml in {self.root} "
                "(see `fleet sites list`)"
            ) from None

    # -------------------------------------------------------------- addressing
    @cached_property
    def vlans(self) -> dict[str, Vlan]:
        return {vlan.name: vlan for vlan in self.region.addressing.vlans}

    @property
    def capacity(self) -> int:
        plan = self.region.addressing
        return addressing.site_capacity(plan.supernet, plan.site_prefix)

    def site_block(self, uai: str) -> ipaddress.IPv4Network:
        plan = self.region.addressing
        return addressing.site_block(plan.supernet, plan.site_prefix, self.allocations[uai])

    def networks(self, uai: str) -> dict[str, ipaddress.IPv4Network]:
        block = self.site_block(uai)
        return {
            vlan.name: addressing.vlan_network(block, vlan.offset, vlan.prefix)
            for vlan in self.region.addressing.vlans
        }

    def domain(self, uai: str) -> str:
        """The site's DNS domain, e.g. 0450050k.<region dns_suffix>."""
        return f"{uai.lower()}.{self.region.dns_suffix}"

    def fqdn(self, uai: str, name: str) -> str:
        return f"{name}.{self.domain(uai)}"
