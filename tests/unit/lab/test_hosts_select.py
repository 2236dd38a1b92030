"""Which lab hosts an inventory asks for, and how their containers are started (no podman)."""

from __future__ import annotations

from pathlib import Path

from fleet.inventory import build_inventory
from fleet.lab.hosts import (
    LabHost,
    container_name,
    network_name,
    project_id,
    run_args,
    select_hosts,
)
from fleet.registry import load_registry

LAB_REGISTRY = Path(__file__).resolve().parents[3] / "inventories" / "lab"


def inventory(**groups):
    hostvars = {
        h: {"fleet_site": h.split(".")[1].upper()}
        for g in groups.values()
        for h in g.get("hosts", [])
    }
    return {"_meta": {"hostvars": hostvars}, **groups}


def test_picks_linux_hosts_with_their_variant():
    inv = inventory(
        proxmox_nodes={"hosts": ["pve1.0450050k.lab"]},
        linux={"hosts": ["pve1.0450050k.lab", "dc1.0450050k.lab", "depot1.0450050k.lab"]},
        samba_dc={"hosts": ["dc1.0450050k.lab"]},
        opsi_depot={"hosts": ["depot1.0450050k.lab"]},
        opnsense={"hosts": ["fw.0450050k.lab"]},
        switches={"hosts": ["sw1.0450050k.lab"]},
    )
    assert select_hosts(inv) == [
        LabHost("dc1.0450050k.lab", "0450050K", "samba_dc", "samba"),
        LabHost("depot1.0450050k.lab", "0450050K", "opsi_depot", "samba"),
        LabHost("pve1.0450050k.lab", "0450050K", "proxmox_nodes", "base"),
    ]


def test_host_in_several_groups_is_started_once_with_the_samba_image():
    inv = inventory(
        samba_dc={"hosts": ["srv.0450050k.lab"]},
        opsi_depot={"hosts": ["srv.0450050k.lab"]},
    )
    assert select_hosts(inv) == [LabHost("srv.0450050k.lab", "0450050K", "samba_dc", "samba")]


def test_hosts_of_child_groups_count():
    inv = inventory(
        linux={"children": ["pve_45"]},
        pve_45={"hosts": ["pve1.0450050k.lab"]},
    )
    assert [h.name for h in select_hosts(inv)] == ["pve1.0450050k.lab"]


def test_a_host_reached_only_through_an_api_gets_no_container():
    # a Proxmox node that base does not configure: the proxmox component speaks to its API
    assert select_hosts(inventory(proxmox_nodes={"hosts": ["pve1.0450050k.lab"]})) == []


def test_no_linux_host_gives_nothing():
    assert select_hosts(inventory(opnsense={"hosts": ["fw.0450050k.lab"]})) == []


def test_the_lab_registry_has_two_sites_with_the_expected_hosts():
    hosts = select_hosts(build_inventory(load_registry(LAB_REGISTRY)))
    by_site: dict[str, set[str]] = {}
    for h in hosts:
        by_site.setdefault(h.site, set()).add(h.group)
    assert len(by_site) >= 2
    lycee = max(by_site.values(), key=len)
    assert lycee == {"proxmox_nodes", "samba_dc", "opsi_depot"}
    assert all(h.variant == ("samba" if h.group in ("samba_dc", "opsi_depot") else "base") for h in hosts)


def test_names_carry_prefix_and_project(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert project_id(a) != project_id(b)
    assert project_id(a) == project_id(a / ".")
    name = container_name(a, "dc1.0450050k.lab")
    assert name.startswith("fleet-lab-") and name.endswith("-dc1.0450050k.lab")
    assert container_name(b, "dc1.0450050k.lab") != name
    assert network_name(a).startswith("fleet-lab-")


def test_run_args_publish_ssh_on_loopback_only_with_labels(tmp_path):
    host = LabHost("dc1.0450050k.lab", "0450050K", "samba_dc", "samba")
    args = run_args(tmp_path, host, "localhost/fleet-lab-samba:abc")
    publish = [args[i + 1] for i, a in enumerate(args) if a in ("--publish", "-p")]
    assert publish == ["127.0.0.1::22"]
    labels = {args[i + 1] for i, a in enumerate(args) if a == "--label"}
    assert "io.fleet.lab=1" in labels
    assert f"io.fleet.lab.project={tmp_path.resolve()}" in labels
    assert "io.fleet.lab.host=dc1.0450050k.lab" in labels
    assert "--systemd=always" in args and "--stop-timeout=5" in args and "--pull=never" in args
    assert args[args.index("--hostname") + 1] == "dc1.0450050k.lab"
    assert args[-2:] == ["localhost/fleet-lab-samba:abc", "/sbin/init"]
