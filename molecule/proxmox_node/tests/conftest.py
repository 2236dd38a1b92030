"""The Proxmox nodes to check and a proxmoxer client for each (fleet/proxmox/checks.py: the
same under Molecule and against a live site)."""

from __future__ import annotations

import pytest

from fleet.proxmox.checks import api_for, nodes

NODES = nodes()


@pytest.fixture(params=sorted(NODES), scope="module")
def node(request):
    hostvars = NODES[request.param]
    return hostvars, api_for(hostvars)
