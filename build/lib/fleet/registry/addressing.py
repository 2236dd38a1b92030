"""Addressing: a site's networks derive from its allocated index in the regional supernet.

Pure functions. `allocate` takes the lowest free index and never touches an existing
allocation, so adding or removing sites never renumbers another site.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from fleet.errors import BadInput

IPv4Net = ipaddress.IPv4Network


def site_capacity(supernet: IPv4Net, site_prefix: int) -> int:
    """How many site blocks fit in the supernet."""
    return 2 ** (site_prefix - supernet.prefixlen)


def site_block(supernet: IPv4Net, site_prefix: int, index: int) -> IPv4Net:
    """The address block of the site with this index."""
    if not 0 <= index < site_capacity(supernet, site_prefix):
        raise BadInput(
            f"site index {index} is outside the supernet {supernet} "
            f"(0..{site_capacity(supernet, site_prefix) - 1} with /{site_prefix} per site)"
        )
    size = 2 ** (32 - site_prefix)
    base = int(supernet.network_address) + index * size
    return ipaddress.IPv4Network((base, site_prefix))


def vlan_network(block: IPv4Net, offset: int, prefix: int) -> IPv4Net:
    """The VLAN's network: `offset` addresses into the site block, with its own prefix."""
    return ipaddress.IPv4Network((int(block.network_address) + offset, prefix))


def host_address(network: IPv4Net, host: int) -> ipaddress.IPv4Address:
    """The host-th address of a network (1 = first usable)."""
    if not 0 < host < network.num_addresses - 1:
        raise BadInput(
            f"host number {host} is outside {network} (valid: 1..{network.num_addresses - 2})"
        )
    return network.network_address + host


def lowest_free(allocations: Mapping[str, int], capacity: int) -> int:
    used = set(allocations.values())
    for index in range(capacity):
        if index not in used:
            return index
    raise BadInput(f"the supernet is full: all {capacity} site indexes are allocated")


def allocate(allocations: Mapping[str, int], uai: str, capacity: int) -> dict[str, int]:
    """A new allocation map with `uai` at the lowest free index (existing ones unchanged)."""
    if uai in allocations:
        raise BadInput(f"{uai} already has site index {allocations[uai]} in allocations.yml")
    result = dict(allocations)
    result[uai] = lowest_free(allocations, capacity)
    return result


def release(allocations: Mapping[str, int], uai: str) -> dict[str, int]:
    """A new allocation map without `uai`; its index becomes free for a later site."""
    result = dict(allocations)
    result.pop(uai, None)
    return result
