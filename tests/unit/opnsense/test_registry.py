"""The firewall sections of the registry: every mistake is refused before any API call, naming
the file and the field (`fleet validate`, exit 3, nothing written); and what a valid registry
gives the opnsense role (the generated host vars)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.registry.read import load_registry, read_registry

PROJECT = Path(__file__).resolve().parents[3]
FLEET = Path(sys.executable).with_name("fleet")
REGION, SITE = "region.yml", "sites/0450050K.yml"


def registry_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    registry = tmp_path / "registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    path = registry / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return registry


RESERVATION = '      - {hostname: printer-cdi, mac: "00:1b:a9:4c:10:01", vlan: pedago, host: 30, description: CDI printer}'
CASES = [
    ("unknown-vlan-in-allow-inter-vlan", REGION, "allow_inter_vlan: [admin>servers,",
     "allow_inter_vlan: [admin>servres,", "firewall.allow_inter_vlan[0]", "unknown VLAN 'servres'"),
    ("unknown-vlan-in-site-allow", SITE, "  host: 1\n", "  host: 1\n  allow_inter_vlan: [wifi>lab]\n",
     "firewall.allow_inter_vlan[0]", "unknown VLAN 'lab'"),
    ("unknown-vlan-in-a-rule", SITE, "      interface: wifi\n", "      interface: wifii\n",
     "firewall.rules[0].interface", "unknown VLAN 'wifii'"),
    ("unknown-destination-in-a-rule", SITE, "      destination: printers\n",
     "      destination: printerz\n", "firewall.rules[0].destination", "'printerz' is not a VLAN"),
    ("port-without-protocol", SITE, "      protocol: TCP\n", "      protocol: any\n",
     "firewall.rules[0].protocol", "a port needs protocol TCP, UDP or TCP/UDP"),
    ("overlapping-pools", REGION, "pools: {admin: [100-200]}", "pools: {admin: [100-200, 150-250]}",
     "firewall.dhcp.pools.admin[1]", "overlaps pool 100-200"),
    ("pool-outside-the-vlan", REGION, "pools: {admin: [100-200]}", "pools: {admin: [100-300]}",
     "firewall.dhcp.pools.admin[0]", "outside VLAN admin"),
    ("pool-over-a-fixed-address", SITE, "  dhcp:\n", "  dhcp:\n    pools: {pedago: [1-50]}\n",
     "firewall.dhcp.pools.pedago[0]", "holds fixed addresses (hosts 1)"),
    ("reservation-outside-its-subnet", SITE, "vlan: pedago, host: 30,", "vlan: admin, host: 300,",
     "firewall.dhcp.reservations[0].host", "outside VLAN admin's subnet"),
    ("reservation-in-a-vlan-without-dhcp", SITE, "vlan: pedago, host: 30,", "vlan: servers, host: 30,",
     "firewall.dhcp.reservations[0].vlan", "VLAN 'servers' has no DHCP subnet"),
    ("duplicate-mac", SITE, '"00:1b:a9:4c:10:02"', '"00:1B:A9:4C:10:01"',
     "firewall.dhcp.reservations[1].mac", "MAC 00:1b:a9:4c:10:01 is already reserved for printer-cdi"),
    ("bad-mac", SITE, '"00:1b:a9:4c:10:01"', '"00-1b-a9-4c-10-01"',
     "firewall.dhcp.reservations[0].mac", "does not match"),
    ("alias-name-opnsense-refuses", SITE, "    printers: {", "    2printers: {",
     "firewall.aliases.2printers", "not an alias name OPNsense accepts"),
    ("alias-name-reserved", SITE, "    printers: {", "    quick: {", "firewall.aliases.quick",
     "reserved or built-in name"),
    ("duplicate-rule-name", SITE, "    - name: wifi-printing\n", "    - name: servers-syslog\n",
     "firewall.rules[0].name", "rule name 'servers-syslog' is already used"),
    ("unknown-port-group-in-egress", REGION, "pedago: [web]", "pedago: [webb]",
     "firewall.egress.pedago[0]", "unknown port group 'webb'"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "old", "new", "field", "message"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_firewall_input_names_file_and_field(tmp_path, file, old, new, field, message):
    registry, problems = read_registry(registry_with(tmp_path, file, old, new))
    assert registry is None
    found = [p for p in problems if p.field == field]
    assert found, [str(p) for p in problems]
    assert found[0].file.endswith(file) and message in found[0].message, str(found[0])


def test_the_cli_exits_3_and_writes_nothing(tmp_path):
    registry = registry_with(tmp_path, REGION, "allow_inter_vlan: [admin>servers,",
                             "allow_inter_vlan: [admin>nowhere,")  # fmt: skip
    out = tmp_path / "generated"
    for args in (["validate"], ["inventory", "build", "--out", str(out)]):
        done = subprocess.run([str(FLEET), "--registry", str(registry), *args],
                              capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 3, done.stdout + done.stderr
        assert "region.yml: firewall.allow_inter_vlan[0]: unknown VLAN 'nowhere'" in done.stderr
    assert not out.exists()


def test_host_vars_of_the_lab_lycee():
    registry = load_registry(PROJECT / "inventories/lab")
    from fleet.registry.opnsense import host_vars

    got = host_vars(registry, registry.site("0450050K"))
    vlans = {v["name"]: v for v in got["opnsense_vlans"]}
    assert vlans["pedago"] == {"name": "pedago", "tag": 40, "parent": "vtnet1", "device": "vlan0.40",
                               "interface": "opt5", "cidr": "127.200.4.0/22",
                               "gateway": "127.200.4.1"}  # fmt: skip
    rules = [r["name"] for r in got["opnsense_rules"]]
    assert rules[0] == "management-from-region"
    assert (
        rules.index("admin-to-servers") < rules.index("wifi-printing") < rules.index("wifi-default")
    )
    assert rules[-7:] == [f"{v}-default" for v in ("mgmt", "servers", "admin", "toip", "pedago",
                                                    "wifi", "dmz")]  # fmt: skip
    printing = next(r for r in got["opnsense_rules"] if r["name"] == "wifi-printing")
    assert printing | {} == printing and printing["interface"] == ["opt6"]
    assert printing["source"] == "net_wifi" and printing["destination"] == "printers"
    aliases = {a["name"]: a for a in got["opnsense_aliases"]}
    assert aliases["net_pedago"]["content"] == ["127.200.4.0/22"]
    assert aliases["ports_web"]["content"] == ["80", "443"]
    assert aliases["opsi_master"]["content"] == ["127.0.0.1"]
    hosts = {h["hostname"]: h["address"] for h in got["opnsense_host_overrides"]}
    assert hosts == {"fw1": "127.200.0.1", "pve1": "127.200.0.11", "dc1": "127.200.1.10",
                     "depot1": "127.200.1.20", "sw-core": "127.200.0.201",
                     "sw-b": "127.200.0.202"}  # fmt: skip
    assert got["opnsense_dns_forwards"] == [{"domain": "0450050k.lab.fleet.test",
        "server": "127.200.1.10", "description": "the site's AD realm, to its domain controller"}]  # fmt: skip
    dhcp = got["opnsense_dhcp"]
    assert dhcp["interfaces"] == ["opt3", "opt4", "opt5", "opt6"]
    admin = next(s for s in dhcp["subnets"] if s["vlan"] == "admin")
    assert admin["pools"] == ["127.200.2.100-127.200.2.200"]
    assert admin["routers"] == admin["dns_servers"] == ["127.200.2.1"]
    assert dhcp["reservations"][0] == {"hostname": "printer-cdi", "mac": "00:1b:a9:4c:10:01",
        "subnet": "127.200.4.0/22", "ip_address": "127.200.4.30", "description": "CDI printer"}  # fmt: skip
