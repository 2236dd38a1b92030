"""Authentication (Basic, session cookie, host keys) and bad input: each gets opsiconfd's
answer (status, headers, JSON-RPC error object), never a traceback, never a changed state."""

from __future__ import annotations

import json

import pytest
from opsi_client import admin_headers, basic, call, err, new_device, ok, post

from fleet.lab.sim.base import Request


@pytest.fixture
def dev():
    return new_device()


def test_wrong_password_gives_401_with_opsi_headers_v1(dev):
    user = dev.credentials()["username"]
    resp, body = post(
        dev,
        {"id": 1, "method": "backend_info", "params": []},
        {"authorization": basic(user, "nope")},
    )
    assert resp.status == 401
    assert body == {"id": None, "result": None, "error": "Authentication error"}
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="opsi", charset="UTF-8"'
    assert resp.headers["x-opsi-error"] == "Authentication error"
    assert "Set-Cookie" not in resp.headers


def test_wrong_password_v2_drops_result(dev):
    resp, body = post(
        dev,
        {"jsonrpc": "2.0", "id": 1, "method": "backend_info"},
        {"authorization": basic("x", "y")},
    )
    assert resp.status == 401 and body == {
        "id": None,
        "error": "Authentication error",
        "jsonrpc": "2.0",
    }


def test_no_credentials_and_xhr_omits_the_basic_challenge(dev):
    resp, _ = post(dev, {"id": 1, "method": "backend_info"}, {"x-requested-with": "XMLHttpRequest"})
    assert resp.status == 401 and "WWW-Authenticate" not in resp.headers


def test_session_cookie_replaces_credentials(dev):
    resp, _ = post(dev, {"id": 1, "method": "accessControl_authenticated"})
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("opsiconfd-session=") and "HttpOnly" in cookie
    value = cookie.split(";")[0]
    resp2, body = post(dev, {"id": 2, "method": "accessControl_userIsAdmin"}, {"cookie": value})
    assert resp2.status == 200 and body["result"] is True and "Set-Cookie" not in resp2.headers
    resp3, _ = post(
        dev, {"id": 3, "method": "backend_info"}, {"cookie": "opsiconfd-session=forged"}
    )
    assert resp3.status == 401


def test_host_logs_in_with_its_host_key_and_is_not_admin(dev):
    ok(dev, "host_createOpsiClient", "pc-01.lycee.lab", "0123456789abcdef0123456789abcdef")
    headers = {"authorization": basic("pc-01.lycee.lab", "0123456789abcdef0123456789abcdef")}
    assert call(dev, "accessControl_userIsAdmin", headers=headers)["result"] is False
    assert call(dev, "product_getIdents", "str", {"id": "7zip"}, headers=headers)["result"]
    denied = call(dev, "product_delete", "7zip", headers=headers)["error"]
    assert denied == {
        "message": "Permission denied",
        "class": "BackendPermissionDeniedError",
        "details": None,
    }
    assert ok(dev, "product_getIdents", "str", {"id": "7zip"})
    bad = post(
        dev,
        {"id": 1, "method": "backend_info"},
        {"authorization": basic("pc-01.lycee.lab", "0" * 32)},
    )[0]
    assert bad.status == 401


@pytest.mark.parametrize(
    "raw, message", [(b"", "Request data empty"), (b"   ", "Request data empty")]
)
def test_empty_body_is_400(dev, raw, message):
    resp, body = post(dev, None, admin_headers(dev), raw=raw)
    assert resp.status == 400
    assert body == {
        "id": 0,
        "result": None,
        "error": {"message": message, "class": "ValueError", "details": None},
    }


def test_malformed_json_is_400_with_decode_error(dev):
    resp, body = post(dev, None, admin_headers(dev), raw=b'{"id": 1, "method": ')
    assert resp.status == 400 and body["id"] == 0 and body["result"] is None
    assert body["error"]["class"] == "JSONDecodeError" and body["error"]["details"] is None


@pytest.mark.parametrize("payload", [[1, 2], {"id": 1, "params": []}, "just a string"])
def test_invalid_request_objects_are_400(dev, payload):
    resp, body = post(dev, payload)
    assert resp.status == 400 and body["error"]["class"] == "ValueError"


BAD_CALLS = [
    (
        "product_createObjects",
        [
            {
                "type": "LocalbootProduct",
                "id": "Bad Id",
                "productVersion": "1",
                "packageVersion": "1",
            }
        ],
        "ValueError",
        "Bad product id: 'Bad Id'",
    ),
    (
        "product_createObjects",
        [{"type": "LocalbootProduct", "id": "ok", "productVersion": "1-2", "packageVersion": "1"}],
        "ValueError",
        "Bad product version: '1-2'",
    ),
    (
        "product_createObjects",
        ["just-a-string"],
        "ValueError",
        "is not a <class 'opsicommon.objects.Product'>",
    ),
    ("host_createOpsiClient", ["not_a_fqdn"], "ValueError", "Bad fqdn: 'not_a_fqdn'"),
    (
        "productOnDepot_create",
        ["7zip", "LocalbootProduct", "1.0", "1", "unknown.depot.lab"],
        "BackendReferentialIntegrityError",
        "Depot 'unknown.depot.lab' does not exist",
    ),
    (
        "setProductActionRequest",
        ["7zip", "nosuch.client.lab", "installme"],
        "ValueError",
        "Bad action request: 'installme'",
    ),
    (
        "product_getObjects",
        ["name", {"colour": "red"}],
        "ValueError",
        "Invalid filter 'colour'='red'",
    ),
    ("product_getIdents", ["yaml"], "ValueError", "Invalid ident type 'yaml'"),
    (
        "getProductOrdering",
        [],
        "TypeError",
        "getProductOrdering() missing 1 required positional argument: 'depotId'",
    ),
    (
        "productProperty_createBool",
        ["7zip", "1.0", "1", "x", "", [True, False]],
        "ValueError",
        "Bool config cannot have multiple default values",
    ),
]


@pytest.mark.parametrize("method, params, cls, fragment", BAD_CALLS)
def test_bad_params_give_opsi_errors_and_change_nothing(dev, method, params, cls, fragment):
    before = json.dumps(dev.snapshot(), sort_keys=True)
    error = err(dev, method, *params)
    assert error["class"] == cls and fragment in error["message"], error
    assert error["details"] is None
    assert json.dumps(dev.snapshot(), sort_keys=True) == before


def test_a_failing_element_of_createobjects_rolls_the_whole_call_back(dev):
    before = json.dumps(dev.snapshot(), sort_keys=True)
    good = {"type": "ProductGroup", "id": "bureautique"}
    error = err(dev, "group_createObjects", [good, {"type": "ProductGroup", "id": "Bad Group!"}])
    assert "Bad group id" in error["message"]
    assert ok(dev, "group_getObjects", [], {"id": "bureautique"}) == []
    assert json.dumps(dev.snapshot(), sort_keys=True) == before


def test_other_paths_and_methods(dev):
    h = admin_headers(dev)
    assert dev.handle(Request("GET", "/nope", headers=h)).status == 404
    assert dev.handle(Request("HEAD", "/rpc", headers=h)).status == 200
    assert dev.handle(Request("DELETE", "/rpc", headers=h)).status == 405


def test_get_with_json_in_query_string(dev):
    query = {json.dumps({"id": 3, "method": "accessControl_authenticated", "params": []}): [""]}
    resp = dev.handle(Request("GET", "/rpc", query=query, headers=admin_headers(dev)))
    assert resp.status == 200 and json.loads(resp.body) == {"id": 3, "result": True, "error": None}


def test_gzip_request_body(dev):
    import gzip

    raw = gzip.compress(json.dumps({"id": 1, "method": "accessControl_authenticated"}).encode())
    resp, body = post(dev, None, {**admin_headers(dev), "content-encoding": "gzip"}, raw=raw)
    assert resp.status == 200 and body["result"] is True


def test_injected_errors_use_the_json_rpc_error_shape(dev):
    resp = dev.error_response(503)
    body = json.loads(resp.body)
    assert resp.status == 503 and set(body) == {"id", "result", "error"}
    assert set(body["error"]) == {"message", "class", "details"}


def test_named_params_in_any_order(dev):
    ok(dev, "host_createOpsiClient", "pc-02.lycee.lab")
    _resp, body = post(
        dev,
        {
            "id": 1,
            "method": "setProductActionRequest",
            "params": {
                "actionRequest": "setup",
                "clientId": "pc-02.lycee.lab",
                "productId": "7zip",
            },
        },
    )
    assert body["error"] is None
    poc = ok(dev, "productOnClient_getObjects", [], {"clientId": "pc-02.lycee.lab"})
    assert [(p["productId"], p["actionRequest"]) for p in poc] == [("7zip", "setup")]
