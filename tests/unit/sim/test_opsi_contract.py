"""Contract tests generated from the reference (a copy of shared/reference/opsi-api.json
kept in tests/unit/sim/data so a fresh clone has it): every
documented method is served with its documented parameters, nothing undocumented is served,
objects carry the documented attributes and idents, and both envelope versions have the
documented result and error shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opsi_client import call, err, new_device, ok, post

from fleet.lab.sim.opsi import interface, objects
from fleet.lab.sim.opsi.device import SESSION_METHODS
from fleet.lab.sim.opsi.routes import METHODS

REFERENCE = Path(__file__).resolve().parent / "data" / "opsi-api.json"


@pytest.fixture(scope="module")
def reference() -> dict:
    assert REFERENCE.is_file(), f"the opsi reference is expected at {REFERENCE}"
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dev():
    return new_device()


def test_shipped_interface_is_the_reference(reference):
    assert interface.load() == interface.from_reference(reference)


def test_served_methods_are_exactly_the_documented_ones(reference):
    assert set(METHODS) | set(SESSION_METHODS) == set(reference["methods"])
    assert not set(METHODS) & set(SESSION_METHODS)


@pytest.mark.parametrize("method", sorted(json.loads(REFERENCE.read_text())["methods"]))
def test_every_documented_method_answers_with_its_signature(reference, dev, method):
    """Named params {} : methods without required params run, the others name the first
    missing one exactly as Python's binding of the documented signature would."""
    spec = reference["methods"][method]
    required = [p["name"] for p in spec["params"] if p.get("required")]
    body = (
        call(dev, method, v2=False)
        if not required
        else post(dev, {"id": 5, "method": method, "params": {}})[1]
    )
    assert body["id"] in (1, 5)
    if required:
        error = body["error"]
        assert error["class"] == "TypeError"
        assert f"{method}() missing {len(required)} required positional" in error["message"]
        assert f"'{required[0]}'" in error["message"]
    else:
        assert body["error"] is None, body["error"]


@pytest.mark.parametrize(
    "method",
    [
        "product_create",
        "config_createObjects",
        "configState_updateObjects",
        "backend_exit",
        "log_write",
        "user_setCredentials",
        "depot_librsyncSignature",
    ],
)
def test_undocumented_methods_are_refused_like_opsiconfd(dev, method):
    error = err(dev, method)
    assert error == {
        "message": f"Invalid method '{method}'",
        "class": "ValueError",
        "details": None,
    }


def test_interface_lists_every_method_with_opsi_param_notation(reference, dev):
    listed = {m["name"]: m for m in ok(dev, "backend_getInterface")}
    assert set(listed) == set(reference["methods"])
    get = listed["product_getObjects"]
    assert get["params"] == ["*attributes", "**filter"] and get["keywords"] == "filter"
    assert listed["setProductActionRequest"]["params"] == ["productId", "clientId", "actionRequest"]
    assert listed["product_getHashes"]["deprecated"] is True
    assert listed["product_getHashes"]["alternative_method"] == "product_getObjects"


@pytest.mark.parametrize(
    "name",
    [
        "Product",
        "LocalbootProduct",
        "NetbootProduct",
        "ProductOnDepot",
        "ProductDependency",
        "ProductOnClient",
        "ProductProperty",
        "UnicodeProductProperty",
        "BoolProductProperty",
        "ProductPropertyState",
        "Host",
        "OpsiClient",
        "OpsiDepotserver",
        "OpsiConfigserver",
        "Group",
        "HostGroup",
        "ProductGroup",
        "ObjectToGroup",
        "ConfigState",
    ],
)
def test_object_classes_match_the_reference(reference, name):
    ref = reference["objects"][name]
    cls = objects.CLASSES[name]
    # constructor attributes as documented; a subclass's pinned values (BoolProductProperty's
    # possibleValues/editable/multiValue, see the reference note) stay on the wire object
    assert set(cls.attrs) - set(cls.fixed) == {a["name"] for a in ref["attributes"]}
    assert list(cls.ident) == ref["ident_attributes"]
    assert cls.prefix == ref["rpc_method_prefix"]
    for attr in ref["attributes"]:
        if attr["required_in_constructor"]:
            assert attr["name"] in cls.required
        if "default_after_setDefaults" in attr and not str(
            attr["default_after_setDefaults"]
        ).startswith("<"):
            assert cls.defaults.get(attr["name"]) == attr["default_after_setDefaults"], attr["name"]


def test_wire_objects_have_ident_attributes_and_type(reference, dev):
    example = reference["object_serialization"]["example_ProductOnClient"]
    product = ok(dev, "product_getObjects", [], {"id": "firefox"})[0]
    cls = objects.CLASSES[product["type"]]
    assert list(product) == ["ident", *cls.attrs, "type"]
    assert product["ident"] == f"firefox;{product['productVersion']};{product['packageVersion']}"
    assert set(example) - {"ident", "type"} == set(objects.CLASSES["ProductOnClient"].attrs)


def test_v1_envelope_success_and_error(dev):
    body = call(dev, "accessControl_authenticated")
    assert body == {"id": 1, "result": True, "error": None}
    body = call(dev, "product_getObjects", [], {"nosuch": "x"})
    assert set(body) == {"id", "result", "error"} and body["result"] is None
    assert set(body["error"]) == {"message", "class", "details"}
    assert body["error"]["class"] == "ValueError"
    assert body["error"]["message"].startswith(
        "Invalid filter 'nosuch'='x' used, possible attributes are: id, "
    )


def test_v2_envelope_success_and_error(dev):
    body = call(dev, "accessControl_authenticated", v2=True)
    assert body == {"id": 1, "result": True, "jsonrpc": "2.0"}
    body = call(dev, "setProductActionRequest", "firefox", "nosuch.client.lab", "setup", v2=True)
    assert set(body) == {"id", "error", "jsonrpc"}
    assert body["error"]["code"] == 0 and set(body["error"]) == {"message", "code", "data"}
    assert body["error"]["data"] == {"class": "BackendMissingDataError", "details": None}


@pytest.mark.parametrize("request_id", [7, "abc", None, 0])
def test_id_is_echoed(dev, request_id):
    _resp, body = post(dev, {"id": request_id, "method": "backend_info", "params": []})
    assert body["id"] == request_id


def test_missing_id_and_params_default_to_0_and_empty(dev):
    _resp, body = post(dev, {"method": "accessControl_authenticated"})
    assert body == {"id": 0, "result": True, "error": None}


def test_batch_answers_an_array_in_order(dev):
    resp, body = post(
        dev,
        [
            {"id": 1, "method": "accessControl_authenticated", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "nope", "params": []},
            {"id": 3, "method": "product_getIdents", "params": ["str", {"id": "7zip"}]},
        ],
    )
    assert resp.status == 200 and isinstance(body, list) and [b["id"] for b in body] == [1, 2, 3]
    assert body[0]["result"] is True
    assert body[1]["error"]["message"] == "Invalid method 'nope'" and body[1]["jsonrpc"] == "2.0"
    assert body[2]["result"][0].startswith("7zip;")


def test_filter_dict_as_last_positional_param(dev):
    by_list = ok(dev, "product_getObjects", ["name"], {"type": "NetbootProduct"})
    by_name = post(
        dev,
        {
            "id": 1,
            "method": "product_getObjects",
            "params": {"attributes": ["name"], "type": "NetbootProduct"},
        },
    )[1]["result"]
    assert by_list == by_name and by_list
    assert all(
        p["type"] == "NetbootProduct" and p["setupScript"] is None and p["name"] for p in by_list
    )


def test_kwargs_param_must_be_a_dict(dev):
    error = err(dev, "product_getObjects", [], "not-a-dict")
    assert (
        error["class"] == "TypeError"
        and error["message"] == "kwargs param is not a dict: not-a-dict"
    )


def test_too_many_positional_params(dev):
    error = err(dev, "setProductActionRequest", "a", "b", "c", "d")
    assert error == {
        "class": "TypeError",
        "details": None,
        "message": "setProductActionRequest() takes 4 positional arguments but 5 were given",
    }


def test_unexpected_keyword(dev):
    _resp, body = post(
        dev, {"id": 1, "method": "host_delete", "params": {"id": "x.y.z", "force": True}}
    )
    assert body["error"]["message"] == "host_delete() got an unexpected keyword argument 'force'"
