"""Contract tests generated from the OPNsense API reference (opnsense-api.json).

Every documented endpoint is served, every served route is documented, and the documented
status codes and bodies of the generic contract hold for every CRUD family in the reference.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path

import pytest
from opnsense_client import Api

from fleet.lab.sim.base import Request
from fleet.lab.sim.opnsense import factory
from fleet.lab.sim.opnsense.routes import ROUTER, ROUTES
from fleet.lab.sim.opnsense.routing import key, path_key

SHIPPED = Path(__file__).parents[3] / "fleet/lab/sim/opnsense/data/opnsense-api.json"
REF = json.loads(SHIPPED.read_text())
# Families documented only for releases before the simulated 26.7.2.
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
    missing = sorted(
        "/".join(k)
        for k, section in docs.items()
        if section not in OLD_ONLY and k not in ROUTER.served_keys()
    )
    assert missing == []
    assert len(docs) > 120


def test_every_served_route_is_documented():
    docs = documented()
    extra = sorted(p for p in ROUTES if path_key(p) not in docs)
    assert extra == []
    assert ROUTER.served_keys() == {path_key(p) for p in ROUTES}


def test_endpoints_of_older_releases_answer_endpoint_not_found(api):
    docs = documented()
    old = ["/api/" + "/".join(k) for k, s in docs.items() if s in OLD_ONLY]
    assert old, "the reference documents the legacy domain overrides"
    for path in old:
        status, body = api.reply("GET", path)
        assert (status, body) == (404, {"errorMessage": "Endpoint not found"})


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
                 "/index.php", "/api/firewall/nosuch/searchItem"):  # fmt: skip
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
