"""Contract tests generated from the OPNsense API reference (opnsense-api.json).

Every documented endpoint is served, every served route is documented, and the documented
status codes and bodies of the generic contract hold for every CRUD family in the reference.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
from pathlib import Path

import pytest
from opnsense_client import Api

from fleet.lab.sim.base import Request
from fleet.lab.sim.opnsense import factory, releases
from fleet.lab.sim.opnsense.routes import ROUTER, ROUTES
from fleet.lab.sim.opnsense.routing import key, path_key

SHIPPED = Path(__file__).parents[3] / "fleet/lab/sim/opnsense/data/opnsense-api.json"
REF = json.loads(SHIPPED.read_text())
# Families documented only for releases before 25.1 (served by 24.7 devices).
OLD_ONLY = {"domain_overrides_legacy_22.7-24.7"}


def _endpoints(node, section=""):
    """(section, endpoint dict) for every documented endpoint, at any depth."""
    if isinstance(node, dict):
        if "path" in node and "method" in node:
            yield section, node
        for k, v in node.items():
            yield from _endpoints(
                v, k if isinstance(v, dict | list) and k != "endpoints" else section
            )
    elif isinstance(node, list):
        for v in node:
            yield from _endpoints(v, section)


def _expand(path: str) -> list[str]:
    """'/api/a/b/start|stop' and '/api/a/b/x/{id} | y/{id}' → concrete action paths."""
    path = re.sub(r"\[.*?\]", "", path.split("?")[0])
    first, *alts = [p.strip() for p in path.split(" | ")]
    parts = first.strip("/").split("/")
    base = "/" + "/".join(parts[:3])
    out = [base + "/" + a for a in parts[3].split("|")]
    out += [base + "/" + alt.split("/")[0] for alt in alts]
    return out


def documented() -> dict[tuple[str, str, str], str]:
    docs: dict[tuple[str, str, str], str] = {}
    for section, ep in _endpoints(REF["modules"]):
        for p in _expand(ep["path"]):
            _, module, controller, action = p.strip("/").split("/")[:4]
            docs[key(module, controller, action)] = section
    # actions the reference documents in prose rather than as a path
    note = json.dumps(REF["modules"]["unbound"])
    for action in re.findall(r"\b(search|get|add|set|del|toggle)Dot\b", note):
        docs[key("unbound", "settings", f"{action}Dot")] = "dot"
    peers = REF["modules"]["kea_dhcpv4"]["settings"]["ha_peers"]
    assert peers.startswith("search/get/add/set/delPeer")
    for action in ("search", "get", "add", "set", "del"):
        docs[key("kea", "dhcpv4", f"{action}Peer")] = "ha_peers"
    return docs


def test_every_documented_endpoint_is_served():
    docs = documented()
    missing = sorted("/".join(k) for k in docs if k not in ROUTER.served_keys())
    assert missing == []
    assert len(docs) > 120


def test_every_served_route_is_documented():
    docs = documented()
    extra = sorted(p for p in ROUTES if path_key(p) not in docs)
    assert extra == []
    assert ROUTER.served_keys() == {path_key(p) for p in ROUTES}


def device(version: str):
    """A fresh device of one release (the plan in FLEET_SIM_OPNSENSE_FIRMWARE)."""
    return factory_with(version)("fw-test", 0, None, 7)


def factory_with(version: str):
    def make(name, index, state, seed):
        saved = os.environ.get(releases.ENV)
        os.environ[releases.ENV] = f"*={version}"
        try:
            return factory(name, index, state, seed)
        finally:
            if saved is None:
                del os.environ[releases.ENV]
            else:
                os.environ[releases.ENV] = saved

    return make


@pytest.mark.parametrize("version", list(releases.RELEASES))
def test_each_release_serves_its_own_actions(version):
    api = Api(device(version))
    r = releases.release(version)
    assert api.get("/api/core/firmware/status")["product"]["product_version"] == version
    # savepoints up to 26.1 (removed in 26.7: 404)
    status, body = api.reply("POST", "/api/firewall/filter/savepoint")
    if r.savepoints:
        assert status == 200 and body["status"] == "ok"
    else:
        assert (status, body) == (404, {"errorMessage": "Endpoint not found"})
    # moveRuleBefore from 25.7
    status, _ = api.reply("POST", "/api/firewall/filter/moveRuleBefore/a/b")
    assert status == (200 if r.at_least("25.7") else 404)
    # domain overrides up to 24.7, query forwarding from 25.1; Unbound's settings controller
    # answers an action it lacks with 200 and an empty body (its __call)
    legacy = api.raw("GET", "/api/unbound/settings/searchDomainOverride")
    forward = api.raw("GET", "/api/unbound/settings/searchForward")
    old, new = (legacy, forward) if r.domain_overrides else (forward, legacy)
    assert old.status == 200 and "rows" in json.loads(old.body)
    assert (new.status, new.body) == (200, b"")


def test_an_unbound_action_a_release_lacks_still_needs_credentials():
    api = Api(device("26.7.2"))
    api.auth = "Basic " + base64.b64encode(b"nokey:nosecret").decode()
    assert api.reply("GET", "/api/unbound/settings/searchDomainOverride")[0] == 401


def test_search_rows_follow_the_release_format():
    rows = {}
    for version in ("25.1", "25.7"):
        api = Api(device(version))
        api.post("/api/firewall/alias/addItem",
                 {"alias": {"name": "h1", "type": "host", "content": "10.0.0.1"}})  # fmt: skip
        found = api.get("/api/firewall/alias/searchItem?searchPhrase=h1")["rows"]
        rows[version] = found[0]
    # up to 25.1: display labels; 25.7+: raw keys and a %field label beside them
    assert rows["25.1"]["type"] == "Host(s)" and "%type" not in rows["25.1"]
    assert rows["25.7"]["type"] == "host" and rows["25.7"]["%type"] == "Host(s)"


def test_24_7_rules_have_18_fields():
    api = Api(device("24.7"))
    uuid = api.post("/api/firewall/filter/addRule",
                    {"rule": {"description": "r", "statetype": "sloppy"}})["uuid"]  # fmt: skip
    got = api.get(f"/api/firewall/filter/getRule/{uuid}")["rule"]
    assert sorted(got) == sorted(releases.RULE_FIELDS_24_7)
    whole = api.get("/api/firewall/filter/get")["filter"]
    assert "general" not in whole and sorted(whole["rules"]["rule"][uuid]) == sorted(got)


# --- generic contract over every CRUD family of the reference ----------------------------------


@pytest.fixture
def api():
    return Api(factory("fw-test", 0, None, 7))


def crud_families():
    """(base path, post key, a valid item, the search action) per documented CRUD family."""
    fams = []
    for section, ep in _endpoints(REF["modules"]):
        m = re.fullmatch(r"/api/(\w+)/(\w+)/add(\w*)", ep["path"])
        if m and section not in OLD_ONLY:
            post_key = re.match(r'\{"(\w+)"', ep["body"])[1]
            fams.append((f"/api/{m[1]}/{m[2]}", post_key, m[3]))
    return fams


VALID = {  # a minimal valid item per post key (values in the reference's formats)
    ("firewall", "alias"): {"name": "c_hosts", "type": "host", "content": "10.0.0.1\n10.0.0.2"},
    ("firewall", "rule"): {"interface": "lan", "description": "contract"},
    ("interfaces", "vlan"): {"if": "vtnet2", "tag": "42"},
    ("unbound", "host"): {"hostname": "h1", "domain": "example.lan", "server": "10.0.0.5"},
    ("unbound", "dot"): {"server": "9.9.9.9", "domain": "example.org"},
    ("kea", "subnet4"): {"subnet": "10.9.0.0/24"},
    ("kea", "option"): {"code": "66", "encoding": "string", "data": "tftp.lan", "description": "d"},
}


def _family_id(f):
    return f"{f[0]}/add{f[2]}"


@pytest.mark.parametrize("family", crud_families(), ids=_family_id)
def test_generic_crud_contract(api, family):
    base, key, name = family
    module = base.split("/")[2]
    if key == "alias" and module == "unbound":  # host aliases need a host override
        _, host = api.reply("POST", "/api/unbound/settings/addHostOverride",
                           {"host": VALID[("unbound", "host")]})  # fmt: skip
        item = {"host": host["uuid"], "hostname": "www"}
    elif key == "reservation":
        _, sub = api.reply(
            "POST", "/api/kea/dhcpv4/addSubnet", {"subnet4": VALID[("kea", "subnet4")]}
        )
        item = {"subnet": sub["uuid"], "hw_address": "00:11:22:33:44:55", "ip_address": "10.9.0.9"}
    else:
        item = VALID[(module, key)]
    action = name or "Item"
    # GET on a write action: 200 with result failed, nothing stored
    assert api.reply("GET", f"{base}/add{action}") == (200, {"result": "failed"})
    # add → uuid v4
    status, out = api.reply("POST", f"{base}/add{action}", {key: item})
    assert status == 200 and out["result"] == "saved", out
    uuid = out["uuid"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid
    )
    # search (GET and POST) shape
    for method in ("GET", "POST"):
        status, found = api.reply(
            method, f"{base}/search{action}", {} if method == "POST" else None
        )
        assert status == 200
        assert set(found) == {"rows", "rowCount", "total", "current"}
        assert found["current"] == 1 and found["rowCount"] == len(found["rows"]) <= found["total"]
        assert uuid in [r["uuid"] for r in found["rows"]]
    # get: item under the post key, leaves are strings or option maps
    status, got = api.reply("GET", f"{base}/get{action}/{uuid}")
    assert status == 200 and list(got) == [key]
    for value in got[key].values():
        assert isinstance(value, str | dict | list)
    # get without uuid: defaults; unknown uuid: []
    assert list(api.reply("GET", f"{base}/get{action}")[1]) == [key]
    assert api.reply("GET", f"{base}/get{action}/00000000-0000-4000-8000-000000000000") == (200, [])
    # set: saved; malformed uuid: failed
    assert api.reply("POST", f"{base}/set{action}/{uuid}", {key: {}}) == (200, {"result": "saved"})
    assert api.reply("POST", f"{base}/set{action}/not-a-uuid", {key: {}}) == (
        200,
        {"result": "failed"},
    )
    # validation failure names post key and field
    status, bad = api.reply("POST", f"{base}/add{action}", {key: {f: "\x00bad" for f in item}})
    assert status == 200 and bad["result"] == "failed"
    assert all(k.startswith(f"{key}.") for k in bad["validations"])
    # del: deleted, then not found
    assert api.reply("POST", f"{base}/del{action}/{uuid}") == (200, {"result": "deleted"})
    assert api.reply("POST", f"{base}/del{action}/{uuid}") == (200, {"result": "not found"})


@pytest.mark.parametrize(
    "base,action,key",
    [("/api/firewall/alias", "Item", "alias"), ("/api/firewall/filter", "Rule", "rule"),
     ("/api/unbound/settings", "HostOverride", "host"), ("/api/unbound/settings", "Forward", "dot")],
)  # fmt: skip
def test_toggle_contract(api, base, action, key):
    item = {
        "alias": {"name": "t1", "type": "port", "content": "80"},
        "rule": {"description": "t"},
        "host": {"hostname": "t", "domain": "t.lan", "server": "10.0.0.1"},
        "dot": {"server": "10.0.0.53"},
    }[key]
    uuid = api.reply("POST", f"{base}/add{action}", {key: item})[1]["uuid"]
    assert api.reply("POST", f"{base}/toggle{action}/{uuid}") == (
        200, {"result": "Disabled", "changed": True})  # fmt: skip
    assert api.reply("POST", f"{base}/toggle{action}/{uuid}/0") == (
        200, {"result": "Disabled", "changed": False})  # fmt: skip
    assert api.reply("POST", f"{base}/toggle{action}/{uuid}/1") == (
        200, {"result": "Enabled", "changed": True})  # fmt: skip
    assert api.reply("POST", f"{base}/toggle{action}/00000000-0000-4000-8000-000000000000") == (
        200, {"result": "failed"})  # fmt: skip


# --- transport-level answers -------------------------------------------------------------------

CONV = REF["conventions"]


def test_wrong_credentials_give_the_documented_401(api):
    before = copy.deepcopy(api.device.snapshot())
    auth = CONV["auth"]["failure"]
    for header in (None, "Basic " + base64.b64encode(b"nokey:nosecret").decode(), "Basic !!!", "x"):
        h = {} if header is None else {"authorization": header}
        r = api.device.handle(Request(method="POST", path="/api/firewall/alias/addItem", headers=h,
                                      body=b'{"alias":{"name":"a","type":"host"}}'))  # fmt: skip
        assert r.status == auth["http"]
        assert json.loads(r.body) == auth["body"]
    assert api.device.snapshot() == before


def test_the_scheme_word_is_not_checked(api):
    # the server base64-decodes the second token only
    api.auth = "Bearer " + api.auth.split(" ")[1]
    assert api.reply("GET", "/api/core/firmware/running") == (200, {"status": "ready"})


def test_invalid_json_gives_the_documented_400(api):
    before = copy.deepcopy(api.device.snapshot())
    invalid = CONV["request_body"]["invalid_json"]
    for raw in (b"{bad", b"", b'"string"', b"\xff\xfe"):
        status, body = api.reply("POST", "/api/firewall/alias/addItem", data=raw,
                                headers={"content-type": "application/json"})  # fmt: skip
        assert (status, body) == (invalid["http"], invalid["body"])
    assert api.device.snapshot() == before


def test_unknown_endpoints_give_the_documented_404(api):
    nf = CONV["responses"]["endpoint_not_found"]
    for path in ("/api/firewall/alias/nosuchAction", "/api/nosuch/thing/search", "/api/firewall",
                 "/api/firewall/nosuch/searchItem", "/index.html"):  # fmt: skip
        assert api.reply("GET", path) == (nf["http"], nf["body"])


def test_array_leaf_gives_the_documented_500_and_changes_nothing(api):
    before = copy.deepcopy(api.device.snapshot())
    unexpected = CONV["responses"]["unexpected"]
    status, body = api.reply("POST", "/api/firewall/alias/addItem",
                            {"alias": {"name": ["a"], "type": "host"}})  # fmt: skip
    assert (status, body) == (unexpected["http"], unexpected["body"])
    status, body = api.reply("POST", "/api/kea/dhcpv4/addSubnet",
                            {"subnet4": {"subnet": "10.0.0.0/24", "option_data": "x"}})  # fmt: skip
    assert (status, body) == (unexpected["http"], unexpected["body"])
    assert api.device.snapshot() == before


def test_responses_are_json_with_the_documented_content_type(api):
    r = api.device.handle(Request(method="GET", path="/api/firewall/alias/searchItem",
                                  headers={"authorization": api.auth}))  # fmt: skip
    assert r.headers["Content-Type"] == CONV["responses"]["content_type"]


def test_snake_case_and_camel_case_reach_the_same_action(api):
    a = api.reply("GET", "/api/interfaces/vlan_settings/search_item")
    b = api.reply("GET", "/api/interfaces/vlanSettings/searchItem")
    c = api.reply("GET", "/api/Interfaces/VlanSettings/SEARCHITEM")
    assert a == b == c and a[0] == 200


def test_form_encoded_bodies_are_accepted(api):
    r = api.device.handle(
        Request(
            method="POST",
            path="/api/firewall/alias/addItem",
            headers={
                "authorization": api.auth,
                "content-type": "application/x-www-form-urlencoded",
            },
            body=b"alias[name]=formalias&alias[type]=network&alias[content]=10.0.0.0/8",
        )
    )
    assert json.loads(r.body)["result"] == "saved"
    rows = api.reply("GET", "/api/firewall/alias/searchItem?searchPhrase=formalias")[1]["rows"]
    assert [(r["name"], r["content"]) for r in rows] == [("formalias", "10.0.0.0/8")]


def test_injected_errors_use_the_box_answers(api):
    r = api.device.error_response(500)
    assert (r.status, json.loads(r.body)) == (500, CONV["responses"]["unexpected"]["body"])
    for status in (502, 503):
        r = api.device.error_response(status)
        assert r.status == status and b"<html" in r.body


# --- controller-level get/set and the web UI root (conventions.model_get_set, web_ui_root) ----

MODEL_GET_SET = CONV["model_get_set"]


def test_get_returns_the_whole_model_with_builtins_after_stored_items(api):
    uuid = api.post("/api/firewall/alias/addItem", {"alias": {
        "name": "bar_servers", "type": "host", "content": "10.1.2.3\n10.1.2.4",
        "description": "[fleet] bar"}})["uuid"]  # fmt: skip
    api.post("/api/firewall/alias/addItem",
             {"alias": {"name": "other", "type": "port", "content": "80"}})  # fmt: skip
    got = api.get("/api/firewall/alias/get")
    assert list(got) == ["alias"] and got["alias"]["geoip"] == {"url": ""}
    items = got["alias"]["aliases"]["alias"]
    keys = list(items)
    assert keys[:2] == [uuid, api.get("/api/firewall/alias/getAliasUUID/other")["uuid"]]
    # built-ins follow, keyed by name: the static ones and one per interface
    assert {"bogons", "sshlockout", "__lan_network", "__wan_network", "__opt1_network"} <= set(
        keys[2:]
    )
    assert items["__lan_network"]["description"] == "LAN net"
    assert items["__lan_network"]["type"]["internal"]["selected"] == 1
    # content lists the alias's own entries only (getItem pads it with every other alias)
    assert items[uuid]["content"] == {
        "10.1.2.3": {"value": "10.1.2.3", "selected": 1},
        "10.1.2.4": {"value": "10.1.2.4", "selected": 1},
    }
    padded = api.get(f"/api/firewall/alias/getItem/{uuid}")["alias"]["content"]
    assert "other" in padded and padded["other"]["selected"] == 0
    # option fields are option maps, as in getItem
    assert items[uuid]["type"]["host"] == {"value": "Host(s)", "selected": 1}
    assert api.reply("POST", "/api/firewall/alias/get", {}) == (200, [])


def test_empty_sections_are_empty_arrays(api):
    assert api.get("/api/interfaces/vlan_settings/get") == {"vlan": {"vlan": []}}
    whole = api.get("/api/firewall/filter/get")["filter"]
    assert whole["rules"] == {"rule": []} and whole["snatrules"] == {"rule": []}
    assert whole["npt"] == {"rule": []} and whole["onetoone"] == {"rule": []}
    # 26.7 adds the general container
    assert whole["general"]["snat_mode"]["automatic"]["selected"] == 1


def test_rules_in_get_are_in_config_order_with_percent_labels(api):
    a = api.post("/api/firewall/filter/addRule", {"rule": {
        "sequence": "20", "interface": "lan", "source_net": "lan", "description": "a"}})  # fmt: skip
    b = api.post("/api/firewall/filter/addRule",
                 {"rule": {"sequence": "10", "description": "b"}})  # fmt: skip
    rules = api.get("/api/firewall/filter/get")["filter"]["rules"]["rule"]
    assert list(rules) == [a["uuid"], b["uuid"]]  # not sorted by sequence
    assert rules[a["uuid"]]["source_net"] == "lan"
    assert rules[a["uuid"]]["%source_net"] == "LAN net"  # 26.7
    assert rules[a["uuid"]]["sort_order"] == "400000.0000020"
    old = Api(device("26.1"))
    c = old.post("/api/firewall/filter/addRule", {"rule": {"source_net": "lan"}})["uuid"]
    assert "%source_net" not in old.get("/api/firewall/filter/get")["filter"]["rules"]["rule"][c]


def test_set_merges_updates_and_adds_but_never_deletes(api):
    uuid = api.post("/api/interfaces/vlan_settings/addItem",
                    {"vlan": {"if": "vtnet1", "tag": "30", "descr": "x"}})["uuid"]  # fmt: skip
    body = {"vlan": {"vlan": {uuid: {"descr": "renamed", "pcp": 3},
                              "anything": {"if": "vtnet1", "tag": 31, "vlanif": "vlan0.31"}}}}  # fmt: skip
    assert api.post("/api/interfaces/vlan_settings/set", body) == {"result": "saved"}
    items = api.get("/api/interfaces/vlan_settings/searchItem")["rows"]
    by_tag = {r["tag"]: r for r in items}
    assert by_tag["30"]["descr"] == "renamed" and by_tag["30"]["pcp"] == "3"
    assert by_tag["31"]["uuid"] != "anything" and by_tag["31"]["vlanif"] == "vlan0.31"
    # nothing mentioned, nothing changed; no root key: saved, no change
    assert (
        api.post("/api/interfaces/vlan_settings/set", {"vlan": {"vlan": {}}})["result"] == "saved"
    )
    assert api.post("/api/interfaces/vlan_settings/set", {})["result"] == "saved"
    assert len(api.get("/api/interfaces/vlan_settings/searchItem")["rows"]) == 2
    assert api.reply("GET", "/api/interfaces/vlan_settings/set") == (200, {"result": "failed"})


def test_set_validation_keys_are_full_paths_and_nothing_is_saved(api):
    uuid = api.post("/api/firewall/alias/addItem",
                    {"alias": {"name": "kept", "type": "host", "content": "10.0.0.1"}})["uuid"]  # fmt: skip
    before = copy.deepcopy(api.device.snapshot()["config"])
    out = api.post("/api/firewall/alias/set",
                   {"alias": {"aliases": {"alias": {uuid: {"name": "bad name!"}}}}})  # fmt: skip
    assert out["result"] == "failed"
    assert list(out["validations"]) == [f"alias.aliases.alias.{uuid}.name"]
    assert api.device.snapshot()["config"] == before
    # an array where a leaf is expected: the documented 500
    status, body = api.reply("POST", "/api/firewall/alias/set",
                             {"alias": {"aliases": {"alias": {uuid: {"name": ["x"]}}}}})  # fmt: skip
    assert (status, body) == (500, CONV["responses"]["unexpected"]["body"])


def test_set_skips_the_rename_refactoring_of_set_item(api):
    api.post("/api/firewall/alias/addItem", {"alias": {"name": "old", "type": "host",
                                                       "content": "10.0.0.1"}})  # fmt: skip
    uuid = api.get("/api/firewall/alias/getAliasUUID/old")["uuid"]
    api.post("/api/firewall/filter/addRule", {"rule": {"source_net": "old", "description": "r"}})
    api.post("/api/firewall/alias/set", {"alias": {"aliases": {"alias": {uuid: {"name": "new"}}}}})
    rule = api.get("/api/firewall/filter/searchRule")["rows"][0]
    assert rule["source_net"] == "old"


def test_kea_get_shape_follows_the_release():
    new = Api(device("26.7.2")).get("/api/kea/dhcpv4/get")["dhcpv4"]
    assert set(new) == {"general", "lexpire", "ha"} and "%this_server_name" in new["ha"]
    old = Api(device("25.7")).get("/api/kea/dhcpv4/get")["dhcpv4"]
    assert set(old) == {"general", "ha", "this_hostname"}


def test_web_ui_root_is_the_login_page_without_auth(api):
    for path in ("/", "/index.php"):
        r = api.device.handle(Request(method="GET", path=path))
        assert r.status == 200 and r.headers["Server"] == "OPNsense"
        assert r.headers["Content-Type"].startswith("text/html")
        assert b"<title>Login | OPNsense</title>" in r.body and b'id="iform"' in r.body
        assert b"usernamefld" in r.body and b"passwordfld" in r.body
        assert r.headers["Set-Cookie"].startswith("PHPSESSID=")
