"""Package installation on a depot from a real .opsi file (uploaded by WebDAV PUT to the
repository, then depot_installPackage with the server-side path), read back through
product/productOnDepot/productProperty/productDependency/productPropertyState getObjects."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
from opsi_client import DEMO_TOML, LEGACY_CONTROL, build_opsi, err, new_device, ok, put_file

from fleet.lab.sim.base import Request

REPO = "/var/lib/opsi/repository/"


@pytest.fixture
def dev():
    return new_device()


def _install(dev, name, data, *params):
    assert put_file(dev, name, data).status == 201
    return ok(dev, "depot_installPackage", REPO + name, *params)


def test_install_toml_zstd_package_and_read_it_back(dev):
    depot = dev.credentials()["depot_id"]
    assert _install(dev, "demo-app_1.2.3-2.opsi", build_opsi(DEMO_TOML)) is None
    product = ok(dev, "product_getObjects", [], {"id": "demo-app"})
    assert len(product) == 1
    p = product[0]
    assert (p["type"], p["productVersion"], p["packageVersion"], p["name"], p["priority"]) == (
        "LocalbootProduct",
        "1.2.3",
        "2",
        "Demo App",
        10,
    )
    assert p["setupScript"] == "setup.opsiscript" and p["ident"] == "demo-app;1.2.3;2"
    pods = ok(dev, "productOnDepot_getObjects", [], {"productId": "demo-app", "depotId": depot})
    assert [(x["productVersion"], x["packageVersion"], x["locked"]) for x in pods] == [
        ("1.2.3", "2", False)
    ]
    props = {
        x["propertyId"]: x
        for x in ok(dev, "productProperty_getObjects", [], {"productId": "demo-app"})
    }
    assert props["language"]["type"] == "UnicodeProductProperty"
    assert props["language"]["possibleValues"] == ["de", "en"] and props["language"][
        "defaultValues"
    ] == ["en"]
    assert props["desktop-link"]["type"] == "BoolProductProperty" and props["desktop-link"][
        "defaultValues"
    ] == [True]
    deps = ok(dev, "productDependency_getObjects", [], {"productId": "demo-app"})
    assert [
        (d["requiredProductId"], d["requiredInstallationStatus"], d["requirementType"])
        for d in deps
    ] == [("vcredist-2015-2022-x64", "installed", "before")]
    states = ok(
        dev, "productPropertyState_getObjects", [], {"productId": "demo-app", "objectId": depot}
    )
    assert {s["propertyId"]: s["values"] for s in states} == {
        "language": ["en"],
        "desktop-link": [True],
    }


def test_install_legacy_control_gz_package(dev):
    _install(
        dev, "legacy-tool_4.5-3.opsi", build_opsi(LEGACY_CONTROL, toml=False, compression="gz")
    )
    p = ok(dev, "product_getObjects", [], {"id": "legacy-tool"})[0]
    assert (p["productVersion"], p["packageVersion"], p["priority"], p["advice"]) == (
        "4.5",
        "3",
        -5,
        "",
    )
    assert p["description"] == "A tool packaged\nwith the legacy control syntax"
    assert "first package" in p["changelog"]
    props = {
        x["propertyId"]: x
        for x in ok(dev, "productProperty_getObjects", [], {"productId": "legacy-tool"})
    }
    assert (
        props["mode"]["possibleValues"] == ["fast", "safe"] and props["mode"]["editable"] is False
    )
    assert props["autostart"]["defaultValues"] == [False]
    dep = ok(dev, "productDependency_getObjects", [], {"productId": "legacy-tool"})[0]
    assert (dep["requiredProductId"], dep["requiredAction"]) == ("7zip", "setup")


def test_property_default_values_override_the_package_defaults(dev):
    _install(dev, "demo.opsi", build_opsi(DEMO_TOML), False, {"language": ["de"]})
    values = ok(
        dev, "productPropertyState_getValues", ["demo-app"], None, [dev.credentials()["depot_id"]]
    )
    assert values[dev.credentials()["depot_id"]]["demo-app"]["language"] == ["de"]


def test_new_version_replaces_the_old_one_on_the_depot(dev):
    _install(dev, "demo.opsi", build_opsi(DEMO_TOML))
    _install(dev, "demo3.opsi", build_opsi(DEMO_TOML.replace('version = "2"', 'version = "3"')))
    pods = ok(dev, "productOnDepot_getObjects", [], {"productId": "demo-app"})
    assert [x["packageVersion"] for x in pods] == ["3"]
    assert [x["packageVersion"] for x in ok(dev, "product_getObjects", [], {"id": "demo-app"})] == [
        "3"
    ]


def test_reinstalling_a_catalogue_product_with_a_new_version(dev):
    control = DEMO_TOML.replace('id = "demo-app"', 'id = "firefox"').replace(
        'version = "1.2.3"', 'version = "999.0"'
    )
    _install(dev, "firefox_999.0-2.opsi", build_opsi(control))
    pods = ok(dev, "productOnDepot_getObjects", [], {"productId": "firefox"})
    assert [(x["productVersion"], x["packageVersion"]) for x in pods] == [("999.0", "2")]
    assert [x["productVersion"] for x in ok(dev, "product_getObjects", [], {"id": "firefox"})] == [
        "999.0"
    ]


def test_force_product_id(dev):
    _install(dev, "demo.opsi", build_opsi(DEMO_TOML), False, None, None, "demo-app-copy")
    assert ok(dev, "product_getIdents", "str", {"id": "demo-app*"}) == ["demo-app-copy;1.2.3;2"]
    assert ok(
        dev,
        "productProperty_getIdents",
        "str",
        {"productId": "demo-app-copy", "propertyId": "language"},
    )


def test_missing_package_dependency_leaves_the_product_locked_like_opsi(dev):
    control = DEMO_TOML.replace("depends = []", 'depends = [{package = "nosuch-base"}]')
    assert put_file(dev, "dep.opsi", build_opsi(control)).status == 201
    error = err(dev, "depot_installPackage", REPO + "dep.opsi")
    depot = dev.credentials()["depot_id"]
    assert error["class"] == "BackendError"
    assert error["message"] == (
        f"Failed to install package '{REPO}dep.opsi' on depot '{depot}': "
        "Dependent package 'nosuch-base' not installed"
    )
    pod = ok(dev, "productOnDepot_getObjects", [], {"productId": "demo-app"})[0]
    assert pod["locked"] is True
    again = err(dev, "depot_installPackage", REPO + "dep.opsi")
    assert (
        "currently locked on depot" in again["message"]
        and "use argument 'force' to ignore" in again["message"]
    )


def test_unfulfilled_version_dependency(dev):
    control = DEMO_TOML.replace(
        "depends = []", 'depends = [{package = "7zip", condition = ">=", version = "999-1"}]'
    )
    put_file(dev, "dep.opsi", build_opsi(control))
    error = err(dev, "depot_installPackage", REPO + "dep.opsi")
    assert "Unfulfilled package dependency 7zip (>= 999-1)" in error["message"]


@pytest.mark.parametrize("data", [b"", b"not a tar at all", build_opsi(DEMO_TOML)[:700]])
def test_bad_archive_is_refused_and_changes_nothing(dev, data):
    put_file(dev, "bad.opsi", data)
    before = dev.snapshot()["backend"]
    error = err(dev, "depot_installPackage", REPO + "bad.opsi")
    assert error["class"] == "BackendError" and "Failed to install package" in error["message"]
    assert dev.snapshot()["backend"] == before


def test_bad_control_file_names_the_problem(dev):
    put_file(dev, "bad.opsi", build_opsi(DEMO_TOML.replace('id = "demo-app"', 'id = "Demo App"')))
    error = err(dev, "depot_installPackage", REPO + "bad.opsi")
    assert "Bad product id: 'Demo App'" in error["message"]
    assert ok(dev, "product_getObjects", [], {"id": "demo*"}) == []


def test_package_file_must_exist_in_the_repository(dev):
    error = err(dev, "depot_installPackage", "/tmp/nosuch.opsi")
    depot = dev.credentials()["depot_id"]
    assert error == {
        "class": "BackendError",
        "details": None,
        "message": (
            f"Failed to install package '/tmp/nosuch.opsi' on depot '{depot}': "
            "Package file '/tmp/nosuch.opsi' does not exist or can not be accessed."
        ),
    }


def test_md5sum_of_an_uploaded_package(dev):
    data = build_opsi(DEMO_TOML)
    put_file(dev, "demo.opsi", data)
    assert ok(dev, "depot_getMD5Sum", REPO + "demo.opsi") == hashlib.md5(data).hexdigest()
    assert err(dev, "depot_getMD5Sum", REPO + "other.opsi")["class"] == "FileNotFoundError"


def test_uninstall_package(dev):
    _install(dev, "demo.opsi", build_opsi(DEMO_TOML))
    assert ok(dev, "depot_uninstallPackage", "demo-app") is None
    assert ok(dev, "productOnDepot_getObjects", [], {"productId": "demo-app"}) == []
    error = err(dev, "depot_uninstallPackage", "demo-app")
    assert error["message"].endswith(
        f"Product 'demo-app' is not installed on depot '{dev.credentials()['depot_id']}'"
    )


def test_legacy_cpio_outer_archive(dev):
    """Old packages are a cpio (newc) archive of the inner archives."""
    tar_pkg = build_opsi(DEMO_TOML, compression="gz")
    with tarfile.open(fileobj=io.BytesIO(tar_pkg)) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    out = b""
    for ino, (name, data) in enumerate([*members.items(), ("TRAILER!!!", b"")], 1):
        raw = name.encode() + b"\0"
        head = b"070701" + b"".join(
            b"%08X" % x for x in (ino, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0)
        )
        out += head + raw
        out += b"\0" * ((4 - len(out) % 4) % 4) + data
        out += b"\0" * ((4 - len(out) % 4) % 4)
    _install(dev, "demo-cpio.opsi", out)
    assert ok(dev, "product_getIdents", "str", {"id": "demo-app"}) == ["demo-app;1.2.3;2"]


def test_webdav_repository_put_get_delete(dev):
    data = build_opsi(DEMO_TOML)
    assert put_file(dev, "x.opsi", data).status == 201
    assert put_file(dev, "x.opsi", data).status == 204
    headers = {"authorization": put_file.__globals__["admin_headers"](dev)["authorization"]}
    got = dev.handle(Request("GET", "/repository/x.opsi", headers=headers))
    assert got.status == 200 and got.body == data
    assert dev.handle(Request("DELETE", "/repository/x.opsi", headers=headers)).status == 204
    assert dev.handle(Request("GET", "/repository/x.opsi", headers=headers)).status == 404
    assert dev.handle(Request("PUT", "/repository/x.opsi", body=data)).status == 401
