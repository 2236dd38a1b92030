"""OPNsense device behaviour through `device.handle()`: each object type's life cycle, saved vs
running configuration, validation messages, value formats, and bad input changing nothing."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from opnsense_client import Api

from fleet.lab.sim.base import Request
from fleet.lab.sim.opnsense import factory


@pytest.fixture
def api():
    return Api(factory("fw-obj", 3, None, 11))


def pending(api):
    shown = api.device.snapshot()["pending"]
    assert shown == api.device.store.pending()
    return shown


# (base, action suffix, post key, add body, set body, field to check, apply path, subsystem)
LIFECYCLES = [
    ("/api/firewall/alias", "Item", "alias",
     {"name": "servers", "type": "network", "content": "10.1.0.0/24"},
     {"content": "10.1.0.0/24\n10.2.0.0/24"}, "content",
     "/api/firewall/alias/reconfigure", "alias"),
    ("/api/firewall/filter", "Rule", "rule",
     {"interface": "lan", "protocol": "TCP", "destination_port": "443", "description": "web"},
     {"action": "block"}, "action", "/api/firewall/filter/apply", "filter"),
    ("/api/interfaces/vlan_settings", "Item", "vlan", {"if": "vtnet2", "tag": "10", "descr": "mgmt"},
     {"descr": "management"}, "descr", "/api/interfaces/vlan_settings/reconfigure", "vlan"),
    ("/api/unbound/settings", "HostOverride", "host",
     {"hostname": "dc1", "domain": "school.lan", "server": "10.1.0.10"},
     {"server": "10.1.0.11"}, "server", "/api/unbound/service/reconfigure", "unbound"),
    ("/api/kea/dhcpv4", "Subnet", "subnet4",
     {"subnet": "10.1.0.0/24", "pools": "10.1.0.100-10.1.0.200"},
     {"pools": "10.1.0.50-10.1.0.60"}, "pools", "/api/kea/service/reconfigure", "kea"),
]  # fmt: skip


@pytest.mark.parametrize("case", LIFECYCLES, ids=lambda c: c[2])
def test_add_search_set_apply_delete(api, case):
    base, action, key, add, change, field, apply, subsystem = case
    assert subsystem not in pending(api)
    uuid = api.post(f"{base}/add{action}", {key: add})["uuid"]
    assert subsystem in pending(api)  # saved, not running
    stored = api.device.store.items(key)
    rows = api.post(f"{base}/search{action}", {"searchPhrase": ""})["rows"]
    assert [r[field] for r in rows if r["uuid"] == uuid] == [stored[uuid][field]]
    assert api.post(f"{base}/set{action}/{uuid}", {key: change}) == {"result": "saved"}
    assert stored[uuid][field] == change[field]
    assert stored[uuid] | add | change == stored[uuid]  # untouched fields kept
    out = api.post(apply)
    assert out in ({"status": "ok"}, {"status": "OK\n\n"})
    assert subsystem not in pending(api)
    assert api.post(f"{base}/del{action}/{uuid}") == {"result": "deleted"}
    assert uuid not in stored
    assert subsystem in pending(api)
    api.post(apply)
    assert subsystem not in pending(api)


def test_kea_reservation_life_cycle(api):
    sub = api.post("/api/kea/dhcpv4/addSubnet", {"subnet4": {"subnet": "10.5.0.0/24"}})["uuid"]
    body = {"subnet": sub, "ip_address": "10.5.0.20", "hw_address": "AA:BB:CC:00:11:22",
            "hostname": "printer1"}  # fmt: skip
    res = api.post("/api/kea/dhcpv4/addReservation", {"reservation": body})["uuid"]
    row = api.get("/api/kea/dhcpv4/searchReservation")["rows"][0]
    assert row["uuid"] == res and row["subnet"] == sub and row["%subnet"] == "10.5.0.0/24"
    dup = api.post("/api/kea/dhcpv4/addReservation",
                   {"reservation": body | {"hw_address": "aa:bb:cc:00:11:22"}})  # fmt: skip
    assert dup == {
        "result": "failed",
        "validations": {
            "reservation.ip_address": "Duplicate entry exists.",
            "reservation.hw_address": "Duplicate entry exists.",
        },
    }
    outside = api.post("/api/kea/dhcpv4/addReservation",
                       {"reservation": {"subnet": sub, "ip_address": "10.6.0.1"}})  # fmt: skip
    assert outside["validations"] == {"reservation.ip_address": "Address not in specified subnet."}
    assert api.post("/api/kea/dhcpv4/setReservation/" + res,
                    {"reservation": {"hostname": "printer2"}}) == {"result": "saved"}  # fmt: skip
    assert api.post("/api/kea/service/reconfigure") == {"status": "ok"}
    assert "kea" not in pending(api)
    assert api.post("/api/kea/dhcpv4/delReservation/" + res) == {"result": "deleted"}


def test_validation_messages_come_from_the_models(api):
    out = api.post("/api/firewall/alias/addItem", {"alias": {"name": "1bad", "type": "nope"}})
    assert out == {
        "result": "failed",
        "validations": {
            "alias.name": (
                "The name must start with a letter or single underscore, be less than 32 "
                "characters and only consist of alphanumeric characters or underscores."
            ),
            "alias.type": "Option not in list.",
        },
    }
    out = api.post(
        "/api/interfaces/vlan_settings/addItem", {"vlan": {"if": "vtnet2", "tag": "5000"}}
    )
    assert out["validations"] == {"vlan.tag": "Invalid integer value."}
    out = api.post("/api/unbound/settings/addHostOverride", {"host": {"hostname": "x", "rr": "A"}})
    assert out["validations"] == {
        "host.domain": "A value is required.",
        "host.server": "The field IP address is required.",
    }
    out = api.post("/api/firewall/filter/addRule",
                   {"rule": {"sequence": "0", "log": "yes", "destination_port": "80"}})  # fmt: skip
    assert out["validations"] == {
        "rule.sequence": "Sequence shall be between 1 and 999999.",
        "rule.log": "Value should be a boolean (0,1).",
        "rule.destination_port": "Destination ports are only valid for tcp or udp type rules.",
    }
    out = api.post("/api/kea/dhcpv4/addSubnet", {"subnet4": {"subnet": "10.0.0.1"}})
    assert out["validations"] == {
        "subnet4.subnet": "Please specify a valid network segment or IP address."
    }


def test_several_messages_for_one_field_are_a_list(api):
    out = api.post("/api/firewall/alias/addItem",
                   {"alias": {"name": "h", "type": "host", "content": "bad entry\nworse one"}})  # fmt: skip
    assert out["validations"]["alias.content"] == [
        'Entry "bad entry" is not a valid hostname, IP address or range.',
        'Entry "worse one" is not a valid hostname, IP address or range.',
    ]


def test_get_uses_the_option_list_format(api):
    uuid = api.post("/api/firewall/filter/addRule",
                    {"rule": {"interface": "lan,wan", "action": "block"}})["uuid"]  # fmt: skip
    rule = api.get(f"/api/firewall/filter/getRule/{uuid}")["rule"]
    assert rule["enabled"] == "1" and rule["quick"] == "1" and rule["log"] == "0"
    assert rule["action"] == {
        "pass": {"value": "Pass", "selected": 0},
        "block": {"value": "Block", "selected": 1},
        "reject": {"value": "Reject", "selected": 0},
    }
    # every assigned interface of the installer template, the rule's two selected
    assert {k: v for k, v in rule["interface"].items() if v["selected"]} == {
        "wan": {"value": "WAN", "selected": 1},
        "lan": {"value": "LAN", "selected": 1},
    }
    assert rule["interface"]["opt1"] == {"value": "MGMT", "selected": 0}
    # a non-required single select gets the blank entry with its BlankDesc
    assert rule["state-policy"][""] == {"value": "default", "selected": 1}
    vlan = api.get("/api/interfaces/vlan_settings/getItem")["vlan"]
    assert vlan["proto"][""] == {"value": "Automatic", "selected": 1}
    assert vlan["pcp"]["0"] == {"value": "Best Effort (0, default)", "selected": 1}


def test_set_with_unknown_well_formed_uuid_creates_the_item(api):
    uuid = "5d3b2c1e-8f5a-4b7e-9a2c-1e2f3a4b5c6d"
    assert api.post(f"/api/firewall/alias/setItem/{uuid}",
                    {"alias": {"name": "upserted", "type": "port", "content": "22"}}) == {
        "result": "saved"}  # fmt: skip
    assert api.get("/api/firewall/alias/getAliasUUID/upserted") == {"uuid": uuid}
    assert api.get("/api/firewall/alias/getAliasUUID/nosuch") == []


def test_unknown_fields_are_ignored_and_leaves_are_strings(api):
    uuid = api.post("/api/interfaces/vlan_settings/addItem",
                    {"vlan": {"if": "vtnet2", "tag": 20, "bogus": "x"}})["uuid"]  # fmt: skip
    item = api.device.store.items("vlan")[uuid]
    assert item["tag"] == "20" and "bogus" not in item
    assert item["vlanif"] == "vlan01"
    second = api.post(
        "/api/interfaces/vlan_settings/addItem", {"vlan": {"if": "vtnet2", "tag": 30}}
    )
    assert api.device.store.items("vlan")[second["uuid"]]["vlanif"] == "vlan02"
    qinq = api.post("/api/interfaces/vlan_settings/addItem", {"vlan": {"if": "vlan01", "tag": 7}})
    assert api.device.store.items("vlan")[qinq["uuid"]]["vlanif"] == "qinq01"


def test_a_qinq_parent_cannot_be_deleted(api):
    parent = api.post("/api/interfaces/vlan_settings/addItem", {"vlan": {"if": "vtnet2", "tag": 9}})
    api.post("/api/interfaces/vlan_settings/addItem", {"vlan": {"if": "vlan01", "tag": 7}})
    before = copy.deepcopy(api.device.snapshot())
    h = {"authorization": api.auth}
    r = api.device.handle(
        Request("POST", "/api/interfaces/vlan_settings/delItem/" + parent["uuid"], {}, h, b"")
    )
    assert r.status == 500
    assert json.loads(r.body) == {
        "errorMessage": "This VLAN cannot be deleted because it is used in QinQ interfaces.",
        "errorTitle": "VLAN",
        "errorLevel": "error",
    }
    assert api.device.snapshot() == before


BAD_INPUT = [
    ("POST", "/api/firewall/alias/addItem", {"alias": {"name": "x", "type": "host", "content": ["a"]}}),
    ("POST", "/api/firewall/alias/addItem", {"nokey": {}}),
    ("POST", "/api/firewall/alias/addItem", {"alias": "a string"}),
    ("POST", "/api/firewall/alias/setItem/zzz", {"alias": {"name": "y"}}),
    ("POST", "/api/firewall/alias/delItem/00000000-0000-4000-8000-000000000000", None),
    ("POST", "/api/firewall/filter/addRule", {"rule": {"interface": "opt99"}}),
    ("POST", "/api/kea/dhcpv4/addReservation", {"reservation": {"subnet": "not-there"}}),
    ("POST", "/api/kea/dhcpv4/set", {"dhcpv4": {"general": {"enabled": "maybe"}}}),
    ("POST", "/api/unbound/settings/set", {"unbound": {"general": []}}),
    ("GET", "/api/firewall/filter/apply", None),
    ("GET", "/api/firewall/alias/delItem/x", None),
    ("POST", "/api/firewall/filter/revert/123.4", None),
]  # fmt: skip


@pytest.mark.parametrize("method,path,body", BAD_INPUT)
def test_bad_input_changes_nothing(api, method, path, body):
    before = copy.deepcopy(api.device.snapshot())
    h = {"authorization": api.auth, "content-type": "application/json"}
    raw = json.dumps(body).encode() if body is not None else b"{}"
    r = api.device.handle(Request(method, path, {}, h, raw))
    assert r.status in (200, 500)
    out = json.loads(r.body)
    assert out.get("result", out.get("status", out.get("errorMessage"))) != "saved"
    assert api.device.snapshot() == before


def test_settings_get_and_set(api):
    general = api.get("/api/kea/dhcpv4/get")["dhcpv4"]["general"]
    assert general["enabled"] == "0" and general["valid_lifetime"] == "4000"
    assert general["dhcp_socket_type"]["raw"]["selected"] == 1
    assert api.get("/api/kea/service/status")["status"] == "disabled"
    out = api.post("/api/kea/dhcpv4/set",
                   {"dhcpv4": {"general": {"enabled": "1", "interfaces": "lan"}}})  # fmt: skip
    assert out == {"result": "saved"}
    assert api.get("/api/kea/service/status")["status"] == "stopped"  # saved, not yet running
    api.post("/api/kea/service/reconfigure")
    assert api.get("/api/kea/service/status")["status"] == "running"
    bad = api.post("/api/kea/dhcpv4/set", {"dhcpv4": {"general": {"interfaces": "opt9"}}})
    assert bad == {
        "result": "failed",
        "validations": {"dhcpv4.general.interfaces": "Option not in list."},
    }
    unbound = api.get("/api/unbound/settings/get")["unbound"]
    assert set(unbound) >= {"general", "advanced", "acls", "dnsbl", "forwarding", "dots", "hosts",
                            "aliases"}  # fmt: skip
    assert unbound["general"]["enabled"] == "1"


def test_unbound_host_aliases_follow_their_host(api):
    host = api.post("/api/unbound/settings/addHostOverride",
                    {"host": {"hostname": "dc1", "domain": "s.lan", "server": "10.0.0.2"}})["uuid"]  # fmt: skip
    alias = api.post("/api/unbound/settings/addHostAlias",
                     {"alias": {"host": host, "hostname": "ldap", "domain": "s.lan"}})["uuid"]  # fmt: skip
    row = api.get("/api/unbound/settings/searchHostOverride")["rows"][0]
    assert row["aliases"] == "ldap.s.lan" and row["_children"][0]["uuid"] == alias
    assert api.get(f"/api/unbound/settings/searchHostAlias?host={host}")["total"] == 1
    api.post(f"/api/unbound/settings/delHostOverride/{host}")
    assert api.get("/api/unbound/settings/searchHostAlias")["total"] == 0


def test_search_paging_phrase_and_sort(api):
    for i in range(7):
        api.post("/api/firewall/alias/addItem",
                 {"alias": {"name": f"p{i}", "type": "port", "content": str(1000 + i)}})  # fmt: skip
    page = api.post("/api/firewall/alias/searchItem",
                    {"current": 2, "rowCount": 3, "searchPhrase": "port",
                     "sort": {"name": "desc"}})  # fmt: skip
    assert page["total"] == 7 and page["rowCount"] == 3 and page["current"] == 2
    assert [r["name"] for r in page["rows"]] == ["p3", "p2", "p1"]
    assert api.get("/api/firewall/alias/searchItem?searchPhrase=p4+1004")["total"] == 1
    assert api.get("/api/firewall/alias/searchItem?type[]=port")["total"] == 7


def test_state_survives_a_restart(api):
    uuid = api.post("/api/firewall/alias/addItem",
                    {"alias": {"name": "kept", "type": "host", "content": "10.0.0.1"}})["uuid"]  # fmt: skip
    saved = json.loads(json.dumps(api.device.snapshot()))
    again = Api(factory("fw-obj", 3, saved, 11))
    assert again.device.credentials() == api.device.credentials()
    assert again.get("/api/firewall/alias/getAliasUUID/kept") == {"uuid": uuid}
    assert again.device.store.pending() == api.device.store.pending()
    new = again.post("/api/firewall/alias/addItem", {"alias": {"name": "n", "type": "port",
                                                               "content": "1"}})["uuid"]  # fmt: skip
    assert new != uuid


def test_devices_differ_by_name_and_seed():
    a, b, c = (factory(n, 0, None, s).credentials() for n, s in (("a", 1), ("b", 1), ("a", 2)))
    assert len({a["key"], b["key"], c["key"]}) == 3
    assert factory("a", 0, None, 1).credentials() == a
    assert len(base64.b64decode(a["key"])) == 60 and len(a["secret"]) == 80


def test_a_foreign_saved_state_is_refused_not_replaced():
    with pytest.raises(ValueError, match="not an OPNsense state"):
        factory("fw-x", 0, {"kind": "pve", "format": 1}, 0)
    with pytest.raises(ValueError, match="format"):
        factory("fw-x", 0, {"kind": "opnsense", "format": 99}, 0)
