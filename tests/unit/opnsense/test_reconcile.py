"""The batched reconcile against simulated firewalls over HTTPS (fleet.lab.sim, TLS verified):
every object type converges and then reads back equal (no perpetual diff), on each firmware
family; calls are batched; check mode writes nothing; unmanaged objects are reported and left
alone; destroying needs allow_destroy; rule order converges with moves only where it differs."""

from __future__ import annotations

import copy

import pytest

from fleet.opnsense import reconcile as R
from fleet.opnsense.api import Calls

VERSIONS = ["24.7", "25.1", "26.1", "26.7.2"]

VLANS = [
    {"name": "mgmt", "tag": 10, "parent": "vtnet1", "device": "vlan0.10"},
    {"name": "pedago", "tag": 40, "parent": "vtnet1", "device": "vlan0.40"},
]
ALIASES = [
    {"name": "net_pedago", "type": "network", "content": ["10.0.4.0/22"], "description": "pedago"},
    {"name": "region_mgmt", "type": "network", "content": ["127.0.0.0/8", "10.32.0.0/16"]},
    {"name": "ports_web", "type": "port", "content": ["80", "443"]},
]
RULES = [
    {"name": "management", "interface": ["wan"], "source": "region_mgmt"},
    {"name": "pedago-web", "interface": ["opt5"], "protocol": "TCP/UDP", "source": "net_pedago",
     "destination": "region_mgmt", "destination_not": True, "port": "ports_web"},
    {"name": "pedago-default", "interface": ["opt5"], "action": "block", "log": True},
]  # fmt: skip
HOSTS = [{"hostname": "dc1", "domain": "0450050k.lab.fleet.test", "address": "10.0.1.10"}]
FORWARDS = [{"domain": "0450050k.lab.fleet.test", "server": "10.0.1.10"}]
SUBNETS = [
    {"subnet": "10.0.4.0/22", "pools": ["10.0.4.100-10.0.5.200", "10.0.6.10-10.0.6.90"],
     "routers": ["10.0.4.1"], "dns_servers": ["10.0.4.1"], "ntp_servers": ["10.0.4.1"],
     "domain_name": "0450050k.lab.fleet.test"},
]  # fmt: skip
RESERVATIONS = [
    {"subnet": "10.0.4.0/22", "ip_address": "10.0.4.30", "mac": "00:1B:A9:4C:10:01",
     "hostname": "printer-cdi", "description": "CDI printer"},
]  # fmt: skip
SETTINGS = {"enabled": True, "interfaces": ["opt5"]}


def converge(site, group: str, check_mode=False, allow_destroy=False, **kw):
    c, fw = site.client, site.firmware
    if group == "vlans":
        return R.vlans(c, R.desired_vlans(kw.get("vlans", VLANS)), allow_destroy, check_mode)
    if group == "aliases":
        return R.aliases(
            c, R.desired_aliases(kw.get("aliases", ALIASES)), allow_destroy, check_mode
        )
    if group == "rules":
        return R.rules(c, fw, R.desired_rules(kw.get("rules", RULES)), allow_destroy, check_mode)
    if group == "dns":
        return R.dns(c, fw, R.desired_hosts(kw.get("hosts", HOSTS)),
                     R.desired_forwards(kw.get("forwards", FORWARDS)), allow_destroy, check_mode)  # fmt: skip
    return R.dhcp(c, kw.get("settings", SETTINGS), R.desired_subnets(kw.get("subnets", SUBNETS)),
                  R.desired_reservations(kw.get("reservations", RESERVATIONS)), allow_destroy,
                  check_mode)  # fmt: skip


GROUPS = ["vlans", "aliases", "rules", "dns", "dhcp"]


def fresh(site) -> None:
    site.client.calls = Calls()


def deploy_all(site) -> None:
    for group in GROUPS:
        converge(site, group)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("group", GROUPS)
def test_apply_then_reread_is_unchanged(firewall, version, group):
    site = firewall(version)
    if group == "rules":
        converge(site, "aliases")  # the rules name aliases
    first = converge(site, group)
    assert first.changed and first.applied
    fresh(site)
    again = converge(site, group)
    assert not again.changed, again.diff()
    assert site.client.calls.writes == 0 and site.client.calls.applies == 0


@pytest.mark.parametrize("version", ["25.1", "26.7.2"])
def test_a_first_deploy_and_a_no_op_are_batched(firewall, version):
    site = firewall(version)
    fresh(site)
    outcomes = [converge(site, g) for g in GROUPS]
    calls = site.client.calls
    changes = sum(len(o.changes) for o in outcomes)
    # reads: one per type (DNS: one for host overrides and forwards; DHCP: settings, subnets,
    # reservations); a write per change; an apply per changed service
    assert calls.reads == 7
    assert calls.writes == changes
    assert calls.applies == 5
    applied = [s for o in outcomes for s in o.applied]
    assert len(applied) == len(set(applied)) == 5
    fresh(site)
    outcomes = [converge(site, g) for g in GROUPS]
    assert not any(o.changed for o in outcomes)
    assert site.client.calls.to_dict() == {"reads": 7, "writes": 0, "applies": 0, "safety": 0}


def test_only_the_services_that_changed_are_applied(firewall):
    site = firewall("26.7.2")
    deploy_all(site)
    site.other("POST", "unbound/settings/setHostOverride/"
               + next(iter(site.saved("host"))), {"host": {"server": "10.0.1.99"}})  # fmt: skip
    fresh(site)
    outcomes = {g: converge(site, g) for g in GROUPS}
    assert [g for g, o in outcomes.items() if o.changed] == ["dns"]
    assert outcomes["dns"].applied == ["unbound/service/reconfigure"]
    assert site.client.calls.applies == 1 and site.client.calls.writes == 1


def test_check_mode_changes_nothing_on_the_device(firewall):
    site = firewall("26.1")
    before = copy.deepcopy(site.device.snapshot())
    outcomes = [converge(site, g, check_mode=True) for g in GROUPS]
    assert all(o.changed for o in outcomes)
    assert site.client.calls.writes == 0 and site.client.calls.applies == 0
    after = site.device.snapshot()
    assert after["config"] == before["config"] and after["backups"] == before["backups"]


def test_the_diff_names_each_object_and_field(firewall):
    site = firewall("26.7.2")
    deploy_all(site)
    uuid = next(u for u, r in site.saved("reservation").items())
    site.other(
        "POST",
        f"kea/dhcpv4/setReservation/{uuid}",
        {"reservation": {"hw_address": "00:1b:a9:4c:99:99"}},
    )
    alias = next(u for u, a in site.saved("alias").items() if a["name"] == "region_mgmt")
    site.other("POST", f"firewall/alias/setItem/{alias}", {"alias": {"content": "127.0.0.0/8"}})
    dhcp = converge(site, "dhcp", check_mode=True).diff()
    assert dhcp == {
        "before": {"DHCP reservation printer-cdi": {"hw_address": "00:1b:a9:4c:99:99"}},
        "after": {"DHCP reservation printer-cdi": {"hw_address": "00:1b:a9:4c:10:01"}},
    }
    aliases = converge(site, "aliases", check_mode=True).diff()
    assert aliases["before"] == {"alias region_mgmt": {"content": ["127.0.0.0/8"]}}
    assert aliases["after"] == {"alias region_mgmt": {"content": ["10.32.0.0/16", "127.0.0.0/8"]}}


def test_server_side_forms_compare_equal(firewall):
    """Content order, multi-select order, MAC case, defaults the server fills: no diff."""
    site = firewall("26.7.2")
    aliases = [{"name": "ports_web", "type": "port", "content": ["443", "80"]}]
    converge(site, "aliases", aliases=aliases)
    rules = [{"name": "two", "interface": ["opt5", "opt1"], "source": "any"}]
    converge(site, "rules", rules=rules)
    converge(site, "dhcp")
    assert not converge(site, "aliases", aliases=[aliases[0] | {"content": ["80", "443"]}]).changed
    assert not converge(site, "rules", rules=[rules[0] | {"interface": ["opt1", "opt5"]}]).changed
    stored = next(iter(site.saved("reservation").values()))
    assert stored["hw_address"] == "00:1b:a9:4c:10:01"  # written in fleet's form
    assert not converge(site, "dhcp").changed


def test_unmanaged_objects_are_reported_and_left_alone(firewall):
    site = firewall("26.7.2")
    deploy_all(site)
    hand = site.other("POST", "firewall/filter/addRule",
                      {"rule": {"interface": "opt5", "description": "games for the teachers"}})  # fmt: skip
    site.other("POST", "firewall/alias/addItem",
               {"alias": {"name": "colleague", "type": "host", "content": "10.9.9.9"}})  # fmt: skip
    rules = converge(site, "rules", allow_destroy=True)
    aliases = converge(site, "aliases", allow_destroy=True)
    assert rules.result()["unmanaged"] == ["filter rule games for the teachers"]
    assert aliases.result()["unmanaged"] == ["alias colleague"]
    assert not rules.changed and not aliases.changed
    assert hand["uuid"] in site.saved("rule")


def test_a_clash_with_an_unmanaged_object_writes_nothing(firewall):
    site = firewall("26.7.2")
    site.other("POST", "firewall/alias/addItem",
               {"alias": {"name": "ports_web", "type": "port", "content": "8080"}})  # fmt: skip
    before = copy.deepcopy(site.saved("alias"))
    with pytest.raises(
        R.ReconcileError, match="alias ports_web: an unmanaged alias already has name=ports_web"
    ):
        converge(site, "aliases")
    assert site.saved("alias") == before and site.client.calls.writes == 0


def test_removing_a_managed_object_needs_allow_destroy(firewall):
    site = firewall("26.1")
    deploy_all(site)
    fewer = HOSTS[:0]
    kept = converge(site, "dns", hosts=fewer)
    assert not kept.changed and kept.result()["stale"] == [
        "host override dc1.0450050k.lab.fleet.test"
    ]
    assert len(site.saved("host")) == 1
    # check mode (plan, drift) lists the deletion, first
    planned = converge(site, "dns", hosts=fewer, check_mode=True,
                       forwards=FORWARDS + [{"domain": "other.test", "server": "10.0.0.1"}])  # fmt: skip
    assert [c.action for c in planned.changes] == ["delete", "add"]
    assert (
        "--allow-destroy"
        in planned.diff()["after"]["host override dc1.0450050k.lab.fleet.test"]["note"]
    )
    gone = converge(site, "dns", hosts=fewer, allow_destroy=True)
    assert gone.changed and site.saved("host") == {}


def test_stale_aliases_wait_for_the_rules_that_use_them(firewall):
    site = firewall("26.7.2")
    converge(site, "aliases")
    converge(site, "rules")
    fewer = [a for a in ALIASES if a["name"] != "ports_web"]
    rules = [r for r in RULES if r["name"] != "pedago-web"]
    first = R.aliases(site.client, R.desired_aliases(fewer), True, False)
    assert not first.changed  # the rule still uses it: the delete waits for the prune pass
    converge(site, "rules", rules=rules, allow_destroy=True)
    pruned = R.aliases(site.client, R.desired_aliases(fewer), True, False, prune_only=True)
    assert [c.name for c in pruned.changes] == ["alias ports_web"]
    assert "ports_web" not in {a["name"] for a in site.saved("alias").values()}


def _order(site) -> list[str]:
    rules = site.saved("rule")
    key = lambda u: (len(rules[u]["interface"].split(",")), int(rules[u]["sequence"]))  # noqa: E731
    return [rules[u]["description"].split()[1] for u in sorted(rules, key=key)]


@pytest.mark.parametrize("version", ["25.1", "26.1", "26.7.2"])
def test_rule_order_converges_only_where_it_differs(firewall, version):
    site = firewall(version)
    converge(site, "aliases")
    converge(site, "rules")
    assert _order(site) == ["management", "pedago-web", "pedago-default"]
    # someone moves the default block to the top by hand
    rules = site.saved("rule")
    default = next(u for u, r in rules.items() if "pedago-default" in r["description"])
    site.other("POST", f"firewall/filter/setRule/{default}", {"rule": {"sequence": "1"}})
    fresh(site)
    planned = converge(site, "rules", check_mode=True)
    assert [c.action for c in planned.changes] == ["move"] * len(planned.changes)
    assert planned.changes
    fixed = converge(site, "rules")
    assert _order(site) == ["management", "pedago-web", "pedago-default"]
    moves = [p for m, p, k in site.client.calls.log if "moveRuleBefore" in p]
    assert bool(moves) == site.firmware.move_rule
    assert fixed.changed and not converge(site, "rules").changed


def test_a_new_rule_lands_between_its_neighbours_without_a_move(firewall):
    site = firewall("26.7.2")
    converge(site, "aliases")
    converge(site, "rules")
    middle = {"name": "pedago-dns", "interface": ["opt5"], "protocol": "UDP", "port": "53",
              "destination": "(self)"}  # fmt: skip
    fresh(site)
    converge(site, "rules", rules=[RULES[0], RULES[1], middle, RULES[2]])
    assert _order(site) == ["management", "pedago-web", "pedago-dns", "pedago-default"]
    assert site.client.calls.writes == 1  # the add only


def test_24_7_speaks_domain_overrides_and_25_1_query_forwarding(firewall):
    old, new = firewall("24.7"), firewall("25.1", name="0180120H")
    for site in (old, new):
        assert converge(site, "dns").changed and not converge(site, "dns").changed
    assert len(old.saved("domain")) == 1 and old.saved("dot") == {}
    assert len(new.saved("dot")) == 1 and new.saved("domain") == {}
    assert any("addDomainOverride" in p for _, p, _ in old.client.calls.log)


def test_dhcp_never_lets_the_server_refill_the_options(firewall):
    site = firewall("26.7.2")
    converge(site, "dhcp")
    subnet = next(iter(site.saved("subnet4").values()))
    assert subnet["option_data_autocollect"] == "0"
    assert subnet["option_data.routers"] == "10.0.4.1"
    assert site.running("subnet4") == site.saved("subnet4")  # reconfigured


def test_kea_reservations_find_their_subnet_on_label_rows(firewall):
    """Up to 25.1 search rows carry the subnet's label (its network), not its uuid."""
    site = firewall("25.1")
    converge(site, "dhcp")
    rows = site.other("GET", "kea/dhcpv4/searchReservation")["rows"]
    assert rows[0]["subnet"] == "10.0.4.0/22"
    assert not converge(site, "dhcp").changed
