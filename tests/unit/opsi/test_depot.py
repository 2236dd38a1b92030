"""fleet.opsi.depot against the simulator: a fresh depot gets its products (dependencies
first, sha256 checked), then reads back equal (no perpetual diff); drift is found and repaired;
unmanaged products are reported and removed only when allowed; a bad package changes nothing."""

from __future__ import annotations

import copy

import pytest

from fleet.opsi import depot as engine
from fleet.opsi import package
from fleet.opsi.rpc import RpcError

from .conftest import site_products


def converge(opsi, desired, groups=None, registration=None, allow_destroy=False):
    depot, master = opsi.depot, opsi.master
    current = engine.read(depot, opsi.depot_id)
    todo = engine.plan(current, desired, groups, registration, allow_destroy)
    engine.apply(depot, master, opsi.depot_id, todo, current)
    return todo


def test_fresh_depot_converges_then_reads_back_equal(opsi, lab_catalogue):
    desired = site_products(lab_catalogue, "pedago")
    groups = {"pedago": [p["id"] for p in desired]}
    registration = {"description": "[fleet] depot of 0450050K", "maxBandwidth": 0}
    depot = opsi.depot
    current = engine.read(depot, opsi.depot_id)
    assert current.products == {}  # a fresh depot
    assert depot.calls.requests == 1  # one batched read for the whole depot
    todo = engine.plan(current, desired, groups, registration)
    assert [i["product"] for i in todo.installs] == [p["id"] for p in desired]
    assert all(i["action"] == "install" for i in todo.installs)
    done = engine.apply(depot, opsi.master, opsi.depot_id, todo, current)
    assert done[0].startswith("registration")
    after = engine.read(opsi.depot, opsi.depot_id)
    assert {pid: engine.version_of(p) for pid, p in after.products.items()} == {
        p["id"]: p["version"] for p in desired
    }
    again = engine.plan(after, desired, groups, registration)
    assert not again.changed, engine.result(again, opsi.depot_id)


def test_dependencies_are_installed_before_their_dependents(opsi, lab_catalogue):
    desired = site_products(lab_catalogue, "pedago")
    ids = [p["id"] for p in desired]
    lock = lab_catalogue.lock
    for position, pid in enumerate(ids):
        for dep in lock.products[pid].dependencies:
            assert ids.index(dep["product"]) < position


def test_drift_is_found_per_product_and_property_and_repaired(opsi, lab_catalogue):
    desired = site_products(lab_catalogue, "admin")
    converge(opsi, desired)
    firefox = next(p for p in desired if p["id"] == "firefox")
    # by hand: another firefox version, and a property value changed
    other = copy.deepcopy(firefox)
    data = package.build(
        {
            "id": "firefox",
            "productVersion": "2023.1",
            "packageVersion": "1",
            "type": "LocalbootProduct",
            "name": "Firefox",
        }
    )
    depot = opsi.depot
    depot.put_file("firefox_2023.1-1.opsi", data)
    depot.call("depot_installPackage", "/var/lib/opsi/repository/firefox_2023.1-1.opsi")
    prop = next(p for p in desired if p["properties"] and p["id"] != "firefox")
    name = sorted(prop["properties"])[0]
    depot.call("productPropertyState_updateObjects", [{
        "type": "ProductPropertyState", "productId": prop["id"], "propertyId": name,
        "objectId": opsi.depot_id, "values": ["changed by hand"]}])  # fmt: skip
    current = engine.read(opsi.depot, opsi.depot_id)
    todo = engine.plan(current, desired)
    assert [(i["product"], i["from"], i["to"], i["action"]) for i in todo.installs] == [
        ("firefox", "2023.1-1", other["version"], "upgrade")
    ]
    assert [(c["product"], c["property"], c["from"]) for c in todo.properties] == [
        (prop["id"], name, ["changed by hand"])
    ]
    text = engine.diff(todo, current, opsi.depot_id)
    assert (
        "product firefox: 2023.1-1" in text["before"]
        and f"product firefox: {firefox['version']}" in text["after"]
    )
    engine.apply(opsi.depot, opsi.master, opsi.depot_id, todo, current)
    assert not engine.plan(engine.read(opsi.depot, opsi.depot_id), desired).changed


def test_unmanaged_products_are_reported_and_removed_only_when_allowed(opsi, lab_catalogue):
    desired = site_products(lab_catalogue, "admin")
    converge(opsi, desired)
    fewer = [p for p in desired if p["id"] != "thunderbird"]
    todo = engine.plan(engine.read(opsi.depot, opsi.depot_id), fewer)
    assert [u["product"] for u in todo.unmanaged] == ["thunderbird"]
    assert todo.removals == [] and not todo.changed
    converge(opsi, fewer, allow_destroy=True)
    after = engine.read(opsi.depot, opsi.depot_id)
    assert "thunderbird" not in after.products
    assert not engine.plan(after, fewer, allow_destroy=True).changed


def test_sha256_mismatch_is_refused_and_nothing_reaches_the_depot(opsi, lab_catalogue):
    desired = copy.deepcopy(site_products(lab_catalogue, "cdi"))
    desired[0]["sha256"] = "0" * 64
    depot = opsi.depot
    current = engine.read(depot, opsi.depot_id)
    todo = engine.plan(current, desired)
    with pytest.raises(
        engine.Refused, match=f"{desired[0]['id']}: .*sha256.*refused, nothing installed"
    ):
        engine.apply(depot, opsi.master, opsi.depot_id, todo, current)
    assert depot.calls.writes == 0
    assert engine.read(opsi.depot, opsi.depot_id).products == {}


def test_malformed_package_fails_with_the_depots_message_and_leaves_nothing_locked(
    opsi, lab_catalogue
):
    desired = copy.deepcopy(site_products(lab_catalogue, "cdi"))
    master = opsi.master
    bad = b"this is not a tar archive" * 10
    master.put_file("broken_1.0-1.opsi", bad)
    desired[0].update(file="broken_1.0-1.opsi", sha256=package.sha256(bad))
    current = engine.read(opsi.depot, opsi.depot_id)
    todo = engine.plan(current, desired)
    with pytest.raises(RpcError, match="depot_installPackage: .*[Ii]nvalid"):
        engine.apply(opsi.depot, master, opsi.depot_id, todo, current)
    after = engine.read(opsi.depot, opsi.depot_id)
    assert not any(p.get("locked") for p in after.products.values())


def test_a_depot_that_stops_answering_mid_sync_fails_and_the_rerun_completes(opsi, lab_catalogue):
    from fleet.opsi.rpc import Unreachable

    desired = site_products(lab_catalogue, "admin")
    # the read and two installations go through, then the depot's RPC never answers
    opsi.faults("dev=0450050K:hang=30s:method=POST:path=/rpc:after=3")
    depot = opsi.client(opsi.depot_doc, timeout=1)
    current = engine.read(depot, opsi.depot_id)
    todo = engine.plan(current, desired)
    with pytest.raises(Unreachable, match="no answer within 1 s"):
        engine.apply(depot, opsi.master, opsi.depot_id, todo, current)
    opsi.faults("")
    after = engine.read(opsi.depot, opsi.depot_id)
    assert sorted(after.products) == sorted(p["id"] for p in desired[:2])  # whole or absent
    assert not any(p.get("locked") for p in after.products.values())
    converge(opsi, desired)
    assert not engine.plan(engine.read(opsi.depot, opsi.depot_id), desired).changed
