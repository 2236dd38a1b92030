"""Read-only checks of a converged switch, from its running configuration read with netmiko:
the host name, every VLAN of the catalogue, each port's VLANs as its profile says, the
management address, and nothing left for fleet to send."""

from __future__ import annotations

import re
from pathlib import Path

from fleet.switches.remediation import remediate
from fleet.switches.render import expand_ports, render

TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "switches"


def procurve_members(running: str) -> dict[int, tuple[set[int], set[int]]]:
    """VLAN id → (untagged ports, tagged ports) from ProCurve's vlan blocks."""
    found = {}
    for vid, body in re.findall(r"^vlan (\d+)\n(.*?)^   exit", running, flags=re.M | re.S):
        sets = []
        for kind in ("untagged", "tagged"):
            match = re.search(rf"^   {kind} ([0-9,-]+)$", body, flags=re.M)
            ports = set()
            for part in match.group(1).split(",") if match else []:
                first, _, last = part.partition("-")
                ports |= set(range(int(first), int(last or first) + 1))
            sets.append(ports)
        found[int(vid)] = (sets[0], sets[1])
    return found


def test_hostname(switch):
    hostvars, running = switch
    name = hostvars["switch_intent"]["hostname"]
    assert re.search(rf'^hostname "?{re.escape(name)}"?$', running, flags=re.M)


def test_every_vlan_of_the_catalogue(switch):
    hostvars, running = switch
    for vlan in hostvars["switch_intent"]["vlans"]:
        assert re.search(
            rf"^vlan {vlan['id']}\n\s+name \"?{vlan['name']}\"?$", running, flags=re.M
        ), vlan


def test_each_port_carries_its_profile(switch):
    hostvars, running = switch
    intent = hostvars["switch_intent"]
    ports = expand_ports(intent)
    if intent["platform"] == "hp_procurve":
        members = procurve_members(running)
        for port in ports:
            untagged = {vid for vid, (u, _) in members.items() if port["port"] in u}
            tagged = {vid for vid, (_, t) in members.items() if port["port"] in t}
            want = {port["untagged"]} if port["untagged"] else (set() if port["profile"] else {1})
            assert (untagged, tagged) == (want, set(port["tagged"])), port
        return
    for port in ports:
        block = re.search(
            rf"^interface {re.escape(port['interface'])}\n((?: .*\n)*)", running, flags=re.M
        )
        assert block, port["interface"]
        body = block.group(1)
        if port["mode"] == "access":
            assert f" switchport access vlan {port['untagged']}\n" in body, (port, body)
        elif port["mode"] == "trunk":
            assert f" switchport trunk allowed vlan {','.join(map(str, port['allowed']))}\n" in body


def test_management_address(switch):
    hostvars, running = switch
    mgmt = hostvars["switch_intent"]["mgmt"]
    assert f"ip address {mgmt['address']} {mgmt['netmask']}" in running
    assert f"ip default-gateway {mgmt['gateway']}" in running


def test_nothing_left_to_send(switch):
    from conftest import login

    hostvars, running = switch
    intent = hostvars["switch_intent"]
    secrets = {"snmp_community": login(hostvars).get("snmp_community", "")}
    plan = remediate(intent["platform"], running, render(intent, TEMPLATES, secrets))
    assert plan.lines == []
