"""OPNsense's value forms turned into one comparable form (fleet/opnsense/values.py), and the
identity of fleet's objects (kinds.py)."""

from __future__ import annotations

import pytest

from fleet.opnsense.firmware import Firmware, Unsupported, from_status
from fleet.opnsense.kinds import ALIAS, RULE, VLAN, alias_name_problems
from fleet.opnsense.values import chosen, encode, normal, section

OPTION_MAP = {"": {"value": "None", "selected": 0}, "pass": {"value": "Pass", "selected": 0},
              "block": {"value": "Block", "selected": 1}}  # fmt: skip
MULTI = {"lan": {"value": "LAN", "selected": 1}, "opt5": {"value": "PEDAGO", "selected": 1},
         "wan": {"value": "WAN", "selected": 0}}  # fmt: skip
CONTENT = {"10.0.0.2": {"value": "10.0.0.2", "selected": 1},
           "10.0.0.1": {"value": "10.0.0.1", "selected": 1}}  # fmt: skip
EMPTY_LIST = {"": {"value": "", "selected": 1}}


@pytest.mark.parametrize(
    "form,api,desired",
    [
        ("text", OPTION_MAP, "block"),  # get's option map vs the key
        ("text", "block", "block"),  # a 25.7+ search row's raw value
        ("bool", "1", True),
        ("bool", "0", False),
        ("bool", "", False),  # an empty boolean is off
        ("set", MULTI, ["opt5", "lan"]),  # the API lists multi-selects in its own order
        ("set", "opt5,lan", "lan,opt5"),
        ("list", "10.0.4.1,10.0.4.2", ["10.0.4.1", "10.0.4.2"]),  # DNS order matters
        ("lines", CONTENT, ["10.0.0.1", "10.0.0.2"]),  # alias content from get
        ("lines", "10.0.0.2\n10.0.0.1\n", "10.0.0.1\n10.0.0.2"),  # from a row
        ("lines", EMPTY_LIST, []),  # an empty list field
        ("lines", [], []),  # an empty section is []
        ("int", "40", 40),
        ("lower", "00:1B:A9:4C:10:01", "00:1b:a9:4c:10:01"),
    ],
)
def test_api_shapes_compare_equal_to_the_desired_value(form, api, desired):
    assert normal(form, api) == normal(form, encode(form, desired))


@pytest.mark.parametrize(
    "form,api,desired",
    [
        ("list", "10.0.4.2,10.0.4.1", ["10.0.4.1", "10.0.4.2"]),
        ("bool", "1", False),
        ("lines", "10.0.0.1", ["10.0.0.1", "10.0.0.2"]),
        ("text", OPTION_MAP, "pass"),
    ],
)
def test_real_differences_stay_differences(form, api, desired):
    assert normal(form, api) != normal(form, encode(form, desired))


def test_chosen_and_sections():
    assert chosen(OPTION_MAP) == ["block"] and chosen([]) == [] and chosen(None) == []
    assert section({"vlan": {"vlan": []}}, "vlan.vlan") == {}
    assert section({"a": {"b": {"u": {"x": 1}}}}, "a.b") == {"u": {"x": 1}}


def test_identity_by_key_or_by_the_name_after_the_marker():
    assert ALIAS.identity({"name": "net_pedago", "description": "anything"}) == "net_pedago"
    assert VLAN.identity({"vlanif": "vlan0.40", "descr": "[fleet] pedago"}) == "vlan0.40"
    rule = {"description": "[fleet] pedago-web: egress (web)"}
    assert RULE.identity(rule) == "pedago-web" and RULE.managed(rule)
    hand = {"description": "games for the teachers"}
    assert not RULE.managed(hand) and RULE.label(hand) == "filter rule games for the teachers"


@pytest.mark.parametrize("name", ["net_pedago", "a", "_ab", "A1_b"])
def test_alias_names_opnsense_takes(name):
    assert alias_name_problems(name) == []


@pytest.mark.parametrize(
    "name", ["1abc", "net-pedago", "a" * 33, "pass", "bogons", "__lan_network", "é"]
)
def test_alias_names_opnsense_refuses(name):
    assert alias_name_problems(name)


def test_firmware_capabilities_per_release():
    assert Firmware("24.7").capabilities() == {"savepoints": True, "query_forwarding": False,
                                               "move_rule": False, "raw_search_rows": False}  # fmt: skip
    assert Firmware("26.1.3").savepoints and Firmware("25.1").query_forwarding
    assert not Firmware("26.7.2").savepoints and Firmware("25.7").move_rule
    assert from_status({"product": {"product_version": "26.7.2"}}).version == "26.7.2"
    for bad in ({"product": {"product_version": "23.7.12"}}, {"product": {}}, {}):
        with pytest.raises(Unsupported):
            from_status(bad)
