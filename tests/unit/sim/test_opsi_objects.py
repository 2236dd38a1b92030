"""The object method families: CRUD semantics, filters, idents, cascades, client action
requests with dependencies, and state that survives a restart (snapshot -> new device)."""

from __future__ import annotations

import json

import pytest
from opsi_client import err, new_device, ok

CLIENT = "pc-01.lycee.lab"


@pytest.fixture
def dev():
    d = new_device()
    ok(d, "host_createOpsiClient", CLIENT, None, "salle 101")
    return d


def test_insert_sets_defaults_and_update_changes_only_given_attributes(dev):
    ok(
        dev,
        "product_insertObject",
        {
            "type": "LocalbootProduct",
            "id": "tool",
            "productVersion": "1.0",
            "packageVersion": "1",
            "name": "Tool",
            "priority": 500,
        },
    )
    p = ok(dev, "product_getObjects", [], {"id": "tool"})[0]
    assert (p["priority"], p["licenseRequired"], p["productClassIds"]) == (
        100,
        False,
        [],
    )  # clamped, defaults
    ok(
        dev,
        "product_updateObject",
        {
            "type": "LocalbootProduct",
            "id": "tool",
            "productVersion": "1.0",
            "packageVersion": "1",
            "description": "new",
            "name": None,
        },
    )
    p = ok(dev, "product_getObjects", [], {"id": "tool"})[0]
    assert (p["name"], p["description"]) == ("Tool", "new")


def test_update_object_never_creates_but_update_objects_does(dev):
    obj = {"type": "ProductGroup", "id": "sciences", "description": "x"}
    ok(dev, "group_updateObject", obj)
    assert ok(dev, "group_getObjects", [], {"id": "sciences"}) == []
    ok(dev, "group_updateObjects", [obj])
    assert ok(dev, "group_getObjects", ["description"], {"id": "sciences"})[0]["description"] == "x"


def test_attributes_param_nulls_the_rest_but_keeps_ident(dev):
    p = ok(dev, "product_getObjects", ["name"], {"id": "7zip"})[0]
    assert p["name"] == "7zip".capitalize() and p["id"] == "7zip" and p["productVersion"]
    assert p["description"] is None and p["setupScript"] is None


@pytest.mark.parametrize(
    "return_type, check",
    [
        ("str", lambda x: isinstance(x, str) and x.count(";") == 2),
        ("dict", lambda x: set(x) == {"id", "productVersion", "packageVersion"}),
        ("list", lambda x: isinstance(x, list) and len(x) == 3),
    ],
)
def test_get_idents(dev, return_type, check):
    idents = ok(dev, "product_getIdents", return_type, {"id": "firefox"})
    assert len(idents) == 1 and check(idents[0])


def test_filters_wildcard_list_comparison_and_type(dev):
    assert [p["id"] for p in ok(dev, "product_getObjects", ["id"], {"id": "libreoffice*"})][:2] == [
        "libreoffice",
        "libreoffice-cmath",
    ]
    both = ok(dev, "product_getIdents", "list", {"id": ["7zip", "firefox", "nosuch"]})
    assert [i[0] for i in both] == ["7zip", "firefox"]
    high = ok(dev, "product_getObjects", ["priority"], {"priority": ">50"})
    assert high and all(p["priority"] > 50 for p in high)
    netboot = ok(dev, "product_getObjects", ["id"], {"type": "NetbootProduct"})
    assert netboot and all(p["type"] == "NetbootProduct" for p in netboot)
    depots = ok(dev, "host_getObjects", [], {"type": "OpsiDepotserver"})
    assert [h["type"] for h in depots] == ["OpsiConfigserver"]  # a config server is a depot too
    assert (
        ok(dev, "host_getObjects", [], {"type": "OpsiClient", "description": "SALLE*"})[0]["id"]
        == CLIENT
    )


def test_null_filter_values_are_ignored(dev):
    assert len(ok(dev, "product_getIdents", "str", {"id": None})) == 800


def test_get_hashes_have_no_ident(dev):
    h = ok(dev, "product_getHashes", [], {"id": "7zip"})[0]
    assert "ident" not in h and h["id"] == "7zip"


def test_deleting_a_product_cascades(dev):
    ok(dev, "setProductActionRequest", "7zip", CLIENT, "setup")
    ok(dev, "product_delete", "7zip")
    for method, filt in [
        ("product_getObjects", {"id": "7zip"}),
        ("productOnDepot_getObjects", {"productId": "7zip"}),
        ("productOnClient_getObjects", {"productId": "7zip"}),
        ("productProperty_getObjects", {"productId": "7zip"}),
        ("productPropertyState_getObjects", {"productId": "7zip"}),
    ]:
        assert ok(dev, method, [], filt) == [], method


def test_deleting_a_client_cascades(dev):
    ok(dev, "setProductActionRequest", "7zip", CLIENT, "setup")
    ok(dev, "group_createHostGroup", "salle-101")
    ok(dev, "objectToGroup_create", "HostGroup", "salle-101", CLIENT)
    ok(dev, "host_delete", CLIENT)
    assert ok(dev, "productOnClient_getObjects", [], {"clientId": CLIENT}) == []
    assert ok(dev, "objectToGroup_getObjects", [], {"objectId": CLIENT}) == []


def test_client_to_depot_and_rename(dev):
    depot = dev.credentials()["depot_id"]
    assert ok(dev, "configState_getClientToDepotserver") == [
        {"depotId": depot, "clientId": CLIENT, "alternativeDepotIds": []}
    ]
    ok(dev, "setProductActionRequest", "firefox", CLIENT, "setup")
    ok(dev, "host_renameOpsiClient", CLIENT, "pc-99.lycee.lab")
    assert ok(dev, "productOnClient_getIdents", "str", {"productId": "firefox"}) == [
        "firefox;LocalbootProduct;pc-99.lycee.lab"
    ]
    assert (
        err(dev, "host_renameOpsiDepotserver", depot, "other.depot.lab")["class"]
        == "BackendBadValueError"
    )


def test_action_request_with_dependencies_and_sequence(dev):
    deps = ok(dev, "productDependency_getObjects", [], {"productId": "libreoffice-help-fr"})
    assert deps[0]["requiredProductId"] == "libreoffice"
    ok(dev, "setProductActionRequestWithDependencies", "libreoffice-help-fr", CLIENT, "setup")
    pocs = {
        p["productId"]: p
        for p in ok(dev, "productOnClient_getObjectsWithSequence", [], {"clientId": CLIENT})
    }
    assert pocs["libreoffice"]["actionRequest"] == "setup"
    assert (
        pocs["libreoffice"]["actionSequence"] < pocs["libreoffice-help-fr"]["actionSequence"]
    )  # "before"


def test_bad_action_request_in_update(dev):
    poc = {
        "type": "ProductOnClient",
        "productId": "7zip",
        "productType": "LocalbootProduct",
        "clientId": CLIENT,
        "actionRequest": "installme",
    }
    assert (
        "Bad action request: 'installme'"
        in err(dev, "productOnClient_updateObjects", [poc])["message"]
    )


def test_product_ordering_covers_the_depot(dev):
    depot = dev.credentials()["depot_id"]
    order = ok(dev, "getProductOrdering", depot)
    assert sorted(order["sorted"]) == order["not_sorted"] and len(order["not_sorted"]) == 775


def test_unknown_depot(dev):
    assert ok(dev, "productOnDepot_getObjects", [], {"depotId": "nosuch.depot.lab"}) == []
    assert ok(dev, "getProductOrdering", "nosuch.depot.lab") == {"not_sorted": [], "sorted": []}


def test_tls_certificate_for_a_host(dev):
    pem = ok(dev, "host_getTLSCertificate", CLIENT)
    assert "PRIVATE KEY-----" in pem and "-----BEGIN CERTIFICATE-----" in pem


def test_state_survives_a_restart_and_stays_small(dev):
    ok(dev, "group_createHostGroup", "salle-101", "Salle 101")
    ok(dev, "setProductActionRequest", "firefox", CLIENT, "setup")
    ok(dev, "product_delete", "gimp")
    state = json.loads(json.dumps(dev.snapshot()))
    assert len(json.dumps(state)) < 20_000  # deltas only: the catalogue is shipped data
    again = new_device(state=state)
    assert again.credentials() == dev.credentials()
    assert ok(again, "group_getIdents", "str", {"id": "salle-101"}) == ["salle-101"]
    assert (
        ok(again, "productOnClient_getObjects", ["actionRequest"], {"clientId": CLIENT})[0][
            "actionRequest"
        ]
        == "setup"
    )
    assert ok(again, "product_getObjects", [], {"id": "gimp"}) == []
    assert len(ok(again, "product_getIdents", "str")) == 799


def test_devices_are_independent(dev):
    other = new_device("opsi-002")
    ok(dev, "product_delete", "firefox")
    assert ok(other, "product_getIdents", "str", {"id": "firefox"})
    assert other.credentials()["depot_id"] != dev.credentials()["depot_id"]
    assert other.credentials()["password"] != dev.credentials()["password"]
