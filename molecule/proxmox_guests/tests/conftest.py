"""One check per guest the registry puts on the site's nodes (named `<guest>@<node>`, so a
failing check names the guest), with a proxmoxer client for its node
(fleet/proxmox/checks.py: the same under Molecule and against a live site)."""

from __future__ import annotations

import pytest

from fleet.proxmox.checks import api_for, guests, nodes

NODES = nodes()
GUESTS = guests(NODES)


@pytest.fixture(params=GUESTS, ids=[f"{g['name']}@{n}" for n, g in GUESTS], scope="module")
def guest(request):
    node, want = request.param
    return want, api_for(NODES[node])
