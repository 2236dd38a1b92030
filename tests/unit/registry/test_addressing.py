"""Property test: add/remove sequences never renumber a site and never overlap networks."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.errors import BadInput
from fleet.registry import addressing

SUPERNET = ipaddress.IPv4Network("10.64.0.0/14")  # 64 blocks of /20: small enough to fill
PREFIX = 20
CAPACITY = addressing.site_capacity(SUPERNET, PREFIX)
VLANS = [(0, 24), (256, 24), (512, 24), (768, 24), (1024, 22), (2048, 22), (3072, 26)]

ops = st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 80)), max_size=120)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_add_remove_never_renumbers_nor_overlaps(sequence):
    allocations: dict[str, int] = {}
    for op, n in sequence:
        uai = f"site{n}"
        before = dict(allocations)
        if op == "add":
            if uai in allocations or len(allocations) == CAPACITY:
                continue
            allocations = addressing.allocate(allocations, uai, CAPACITY)
            assert allocations[uai] == min(set(range(CAPACITY)) - set(before.values()))
        else:
            allocations = addressing.release(allocations, uai)
        for other, index in before.items():
            if other in allocations:
                assert allocations[other] == index, "an existing site was renumbered"
        nets = []
        for index in allocations.values():
            block = addressing.site_block(SUPERNET, PREFIX, index)
            assert block.subnet_of(SUPERNET)
            for offset, prefix in VLANS:
                net = addressing.vlan_network(block, offset, prefix)
                assert net.subnet_of(block)
                nets.append(net)
        ordered = sorted(nets, key=lambda n: int(n.network_address))
        for a, b in zip(ordered, ordered[1:], strict=False):
            assert not a.overlaps(b), f"{a} overlaps {b}"


def test_allocate_twice_is_refused():
    with pytest.raises(BadInput, match="already has site index 0"):
        addressing.allocate({"A": 0}, "A", CAPACITY)


def test_full_supernet_is_refused():
    full = {f"s{i}": i for i in range(CAPACITY)}
    with pytest.raises(BadInput, match="supernet is full"):
        addressing.allocate(full, "new", CAPACITY)


def test_index_outside_supernet():
    with pytest.raises(BadInput, match="outside the supernet"):
        addressing.site_block(SUPERNET, PREFIX, CAPACITY)
