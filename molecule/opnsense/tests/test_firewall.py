"""Read-only checks of a converged firewall, through the API with a plain HTTP client: every
object the registry asks for is there, with the [fleet] marker, its values and its order, and
what was saved is what the services run (applied)."""

from __future__ import annotations


def marked(text: str) -> str:
    return f"[fleet] {text}"


def selected(value) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items() if k and v.get("selected") in (1, "1")]
    return [v for v in str(value).split(",") if v]


def by_marker(items: dict, field: str = "description") -> dict[str, dict]:
    """Managed items keyed by the name after the marker (up to a colon)."""
    found = {}
    for uuid, item in items.items():
        text = str(item.get(field) or "")
        if text.startswith("[fleet] "):
            name = text[len("[fleet] ") :].split(":", 1)[0]
            assert name not in found, f"{name} is managed twice"
            found[name] = item | {"uuid": uuid}
    return found


def test_the_firmware_is_one_fleet_speaks(firewall):
    _, api = firewall
    version = api.get("core/firmware/status")["product"]["product_version"]
    major, minor = (int(x) for x in version.split(".")[:2])
    assert (24, 7) <= (major, minor) <= (26, 7)


def test_vlan_devices(firewall):
    hostvars, api = firewall
    vlans = api.get("interfaces/vlan_settings/get")["vlan"]["vlan"]
    have = by_marker(vlans, "descr")
    for vlan in hostvars["opnsense_vlans"]:
        item = have[vlan["name"]]
        assert item["tag"] == str(vlan["tag"]) and item["vlanif"] == vlan["device"]
        assert selected(item["if"]) == [vlan["parent"]]
    assert len(have) == len(hostvars["opnsense_vlans"])


def test_aliases_saved_and_loaded(firewall):
    hostvars, api = firewall
    aliases = {
        a["name"]: a for a in api.get("firewall/alias/get")["alias"]["aliases"]["alias"].values()
    }
    for want in hostvars["opnsense_aliases"]:
        item = aliases[want["name"]]
        assert str(item["description"]).startswith("[fleet] ")
        assert selected(item["type"]) == [want["type"]]
        assert sorted(selected(item["content"])) == sorted(str(c) for c in want["content"])
        if want["type"] == "network":  # the pf table holds what the alias says: reconfigured
            rows = api.get(f"firewall/alias_util/list/{want['name']}")["rows"]
            assert sorted(r["ip"] for r in rows) == sorted(want["content"])


def test_rules_in_registry_order(firewall):
    hostvars, api = firewall
    rules = api.get("firewall/filter/get")["filter"]["rules"]["rule"]
    have = by_marker(rules)
    wanted = hostvars["opnsense_rules"]
    assert set(have) == {r["name"] for r in wanted}
    for want in wanted:
        item = have[want["name"]]
        assert selected(item["action"]) == [want.get("action", "pass")]
        assert sorted(selected(item["interface"])) == sorted(want["interface"])
        assert item["source_net"] == want.get("source", "any")
        assert item["enabled"] == ("1" if want.get("enabled", True) else "0")

    # pf evaluates by (interface group, sequence): fleet's rules come in the registry's order
    def key(item):
        count = len(selected(item["interface"]))
        prio = 200000 if count == 0 else 300000 if count > 1 else 400000
        return prio, int(item["sequence"])

    order = sorted(have, key=lambda n: key(have[n]))
    expected = sorted((r["name"] for r in wanted), key=lambda n: key(have[n])[0])
    assert order == expected


def test_dns_host_overrides_and_forwards(firewall):
    hostvars, api = firewall
    unbound = api.get("unbound/settings/get")["unbound"]
    hosts = {(h["hostname"], h["domain"]): h for h in (unbound["hosts"]["host"] or {}).values()}
    for want in hostvars["opnsense_host_overrides"]:
        item = hosts[(want["hostname"], want["domain"])]
        assert item["server"] == want["address"] and item["description"].startswith("[fleet] ")
    forwards = {f["domain"]: f for f in (unbound["dots"]["dot"] or {}).values()}
    forwards |= {
        f["domain"]: f for f in ((unbound.get("domains") or {}).get("domain") or {}).values()
    }
    for want in hostvars["opnsense_dns_forwards"]:
        assert forwards[want["domain"]]["server"] == want["server"]


def test_dhcp_subnets_reservations_and_service(firewall):
    hostvars, api = firewall
    dhcp = hostvars["opnsense_dhcp"]
    general = api.get("kea/dhcpv4/get")["dhcpv4"]["general"]
    assert general["enabled"] == ("1" if dhcp["enabled"] else "0")
    assert sorted(selected(general["interfaces"])) == sorted(dhcp["interfaces"])
    subnets = {
        s["subnet"]: s for s in api.post("kea/dhcpv4/searchSubnet", {"rowCount": -1})["rows"]
    }
    for want in dhcp["subnets"]:
        item = subnets[want["subnet"]]
        assert sorted(item["pools"].split("\n")) == sorted(want["pools"])
        assert item["option_data.routers"] == ",".join(want["routers"])
        assert item["option_data_autocollect"] == "0"
    res = {
        r["hostname"]: r for r in api.post("kea/dhcpv4/searchReservation", {"rowCount": -1})["rows"]
    }
    for want in dhcp["reservations"]:
        item = res[want["hostname"]]
        assert (
            item["hw_address"].lower() == want["mac"] and item["ip_address"] == want["ip_address"]
        )
        assert item["subnet"] == subnets[want["subnet"]]["uuid"]
    if dhcp["enabled"]:
        assert api.get("kea/service/status")["status"] == "running"
