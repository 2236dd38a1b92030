"""Firewall specifics: savepoint/apply/revert/cancelRollback, running pf tables vs saved
aliases, references between aliases and rules; and core: firmware, backups, config.xml."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from opnsense_client import Api

from fleet.lab.sim.opnsense import factory
from fleet.lab.sim.opnsense.state import BACKUP_COUNT


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def api(clock):
    device = factory("fw-fw", 1, None, 5)
    device.clock = clock
    return Api(device)


def rules(api):
    return {r["description"]: r for r in api.get("/api/firewall/filter/searchRule")["rows"]}


def running_rules(api):
    return {r["description"] for r in api.device.store.running("rule").values()}


def test_apply_with_revision_rolls_back_after_60_seconds(api, clock):
    api.post("/api/firewall/filter/addRule", {"rule": {"description": "keep"}})
    api.post("/api/firewall/filter/apply")
    sp = api.post("/api/firewall/filter/savepoint")
    assert sp["status"] == "ok" and sp["retention"] == str(BACKUP_COUNT)
    assert float(sp["revision"]) == pytest.approx(clock.now)
    api.post("/api/firewall/filter/addRule", {"rule": {"description": "risky"}})
    assert api.post(f"/api/firewall/filter/apply/{sp['revision']}") == {"status": "OK\n\n"}
    assert running_rules(api) == {"keep", "risky"}
    clock.now += 59
    assert set(rules(api)) == {"keep", "risky"}
    clock.now += 2  # the client never confirmed: the savepoint comes back
    assert set(rules(api)) == {"keep"}
    assert running_rules(api) == {"keep"}


def test_cancel_rollback_keeps_the_change(api, clock):
    sp = api.post("/api/firewall/filter/savepoint")["revision"]
    api.post("/api/firewall/filter/addRule", {"rule": {"description": "new"}})
    api.post(f"/api/firewall/filter/apply/{sp}")
    assert api.post(f"/api/firewall/filter/cancelRollback/{sp}")["status"]
    clock.now += 120
    assert set(rules(api)) == {"new"}
    assert api.device.snapshot()["rollbacks"] == {}


def test_revert_restores_the_savepoint_and_reloads(api):
    api.post("/api/firewall/filter/addRule", {"rule": {"description": "a"}})
    sp = api.post("/api/firewall/filter/savepoint")["revision"]
    uuid = api.post("/api/firewall/filter/addRule", {"rule": {"description": "b"}})["uuid"]
    api.post(f"/api/firewall/filter/setRule/{uuid}", {"rule": {"action": "block"}})
    assert api.post(f"/api/firewall/filter/revert/{sp}") == {"status": "ok"}
    assert set(rules(api)) == {"a"} and running_rules(api) == {"a"}
    assert api.post("/api/firewall/filter/revert/1.0") == {
        "status": "unknown (or removed) savepoint"
    }
    assert api.get(f"/api/firewall/filter/revert/{sp}") == {"status": "failed"}


def test_savepoints_expire_with_the_backup_retention(api, clock):
    sp = api.post("/api/firewall/filter/savepoint")["revision"]
    for i in range(BACKUP_COUNT):
        clock.now += 1
        api.post("/api/firewall/filter/addRule", {"rule": {"description": f"r{i}"}})
    assert api.post(f"/api/firewall/filter/revert/{sp}") == {
        "status": "unknown (or removed) savepoint"
    }


def test_pf_tables_show_the_running_aliases_until_reconfigure(api):
    uuid = api.post("/api/firewall/alias/addItem",
                    {"alias": {"name": "lab", "type": "network", "content": "10.0.0.0/8"}})["uuid"]  # fmt: skip
    assert api.get("/api/firewall/alias_util/list/lab")["rows"] == []
    api.post("/api/firewall/alias/reconfigure")
    assert api.get("/api/firewall/alias_util/list/lab")["rows"] == [{"ip": "10.0.0.0/8"}]
    api.post(f"/api/firewall/alias/setItem/{uuid}", {"alias": {"content": "172.16.0.0/12"}})
    assert api.get("/api/firewall/alias_util/list/lab")["rows"] == [{"ip": "10.0.0.0/8"}]
    assert api.get("/api/firewall/alias/reconfigure") == {"status": "failed"}  # GET
    api.post("/api/firewall/alias/reconfigure")
    assert api.get("/api/firewall/alias_util/list/lab")["rows"] == [{"ip": "172.16.0.0/12"}]


def test_alias_rename_rewrites_rules_and_in_use_blocks_delete(api):
    a = api.post("/api/firewall/alias/addItem",
                 {"alias": {"name": "web", "type": "host", "content": "10.0.0.80"}})["uuid"]  # fmt: skip
    api.post("/api/firewall/alias/addItem",
             {"alias": {"name": "grp", "type": "networkgroup", "content": "web"}})  # fmt: skip
    api.post("/api/firewall/filter/addRule",
             {"rule": {"destination_net": "web", "description": "to web"}})  # fmt: skip
    api.post(f"/api/firewall/alias/setItem/{a}", {"alias": {"name": "www"}})
    assert rules(api)["to web"]["destination_net"] == "www"
    grp = [r for r in api.get("/api/firewall/alias/searchItem")["rows"] if r["name"] == "grp"]
    assert grp[0]["content"] == "www"
    r = api.raw("POST", f"/api/firewall/alias/delItem/{a}")
    assert r.status == 500
    body = json.loads(r.body)
    assert body["errorTitle"] == "Alias in use" and body["errorMessage"].startswith(
        "Cannot delete alias www. Currently in use by"
    )


def test_move_rule_before_and_toggle_log(api):
    ids = [
        api.post("/api/firewall/filter/addRule", {"rule": {"description": d, "sequence": s}})[
            "uuid"
        ]  # fmt: skip
        for d, s in (("one", "10"), ("two", "20"), ("three", "30"))
    ]
    assert api.post(f"/api/firewall/filter/moveRuleBefore/{ids[2]}/{ids[0]}") == {"status": "ok"}
    order = [r["description"] for r in api.get("/api/firewall/filter/searchRule")["rows"]]
    assert order == ["three", "one", "two"]
    assert api.post(f"/api/firewall/filter/toggleRuleLog/{ids[1]}/1") == {"status": "ok"}
    assert rules(api)["two"]["log"] == "1"


def test_rules_download_and_upload_as_csv(api):
    api.post("/api/firewall/filter/addRule", {"rule": {"description": "csv me"}})
    r = api.raw("GET", "/api/firewall/filter/downloadRules")
    assert r.headers["Content-Type"] == "text/csv"
    text = r.body.decode()
    assert text.startswith("@uuid;enabled;")
    new_row = ";".join(["", "1", "keep", "", "5"])  # no @uuid: a new rule, sequence 5
    out = api.post("/api/firewall/filter/uploadRules", {"payload": text + new_row + "\n"})
    assert out["status"] == "ok" and out["existing"] == 1 and out["new"] == 1


# --- core ----------------------------------------------------------------------------------------


def test_firmware_status_before_and_after_a_check(api):
    before = api.get("/api/core/firmware/status")
    assert before["status"] == "none"
    assert before["status_msg"].startswith("Firmware status requires to check for update first")
    # device index 1 runs the last release with savepoints (releases.DEFAULT_PLAN)
    assert before["product"]["product_version"] == "26.1"
    assert before["product"]["product_series"] == "26.1"
    assert before["product"]["product_id"] == "opnsense"
    check = api.post("/api/core/firmware/check")
    assert check["status"] == "ok" and len(check["msg_uuid"]) == 36
    assert api.get("/api/core/firmware/check") == {"status": "failure"}
    assert api.get("/api/core/firmware/running") == {"status": "ready"}
    after = api.get("/api/core/firmware/status")
    assert after["connection"] == "ok" and after["upgrade_packages"] == []
    assert after["status_msg"] == "There are no updates available on the selected mirror."
    info = api.get("/api/core/firmware/info")
    assert "opnsense" in [p["name"] for p in info["package"]]


def test_backup_download_is_config_xml_of_the_saved_state(api):
    uuid = api.post("/api/firewall/alias/addItem",
                    {"alias": {"name": "xmlalias", "type": "host", "content": "10.0.0.1\n10.0.0.2"}})["uuid"]  # fmt: skip
    api.post("/api/interfaces/vlan_settings/addItem", {"vlan": {"if": "vtnet2", "tag": "77"}})
    r = api.raw("GET", "/api/core/backup/download/this")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"].startswith(
        "attachment; filename=config-OPNsense.localdomain-"
    )
    root = ET.fromstring(r.body)
    assert root.tag == "opnsense"
    node = root.find(f"OPNsense/Firewall/Alias/aliases/alias[@uuid='{uuid}']")
    assert node.findtext("name") == "xmlalias" and node.findtext("content") == "10.0.0.1\n10.0.0.2"
    assert root.find("vlans/vlan").findtext("tag") == "77"
    assert root.find("vlans/vlan").findtext("vlanif") == "vlan01"
    assert api.device.credentials()["secret"] not in r.body.decode()
    assert (
        root.findtext("revision/description")
        == "/api/interfaces/vlan_settings/addItem made changes"
    )
    backups = api.get("/api/core/backup/backups/this")["items"]
    assert backups[0]["id"].startswith("config-") and backups[0]["filesize"] > 0
    older = api.raw("GET", f"/api/core/backup/download/this/{backups[1]['id']}")
    assert ET.fromstring(older.body).find("vlans/vlan") is None
    diff = api.get(f"/api/core/backup/diff/this/{backups[1]['id']}/{backups[0]['id']}")["items"]
    assert any("<tag>77</tag>" in line for line in diff)


def test_every_kept_backup_holds_its_configuration(api, clock):
    """Backups are stored as changes; each one still gives back the exact configuration."""
    seen = {}
    ids = []
    for i in range(BACKUP_COUNT + 15):
        clock.now += 1
        if i % 3 == 0:
            ids.append(
                api.post("/api/firewall/filter/addRule", {"rule": {"description": f"r{i}"}})["uuid"]
            )
        elif i % 3 == 1:
            api.post(f"/api/firewall/filter/setRule/{ids[-1]}", {"rule": {"sequence": str(i)}})
        else:
            api.post(f"/api/firewall/filter/delRule/{ids.pop(0)}")
        rev = api.device.snapshot()["revision"]["time"]
        seen[rev] = json.loads(json.dumps(api.device.snapshot()["config"]))
    kept = api.device.store.backups()
    assert len(kept) == BACKUP_COUNT
    for meta in kept:
        assert api.device.store.backup(meta["time"])["config"] == seen[meta["time"]]
    for victim in (kept[0], kept[10], kept[-1]):  # oldest, middle, newest
        out = api.post(f"/api/core/backup/deleteBackup/config-{victim['time']}.xml")
        assert out == {"status": "deleted"}
    for meta in api.device.store.backups():
        assert api.device.store.backup(meta["time"])["config"] == seen[meta["time"]]
    # and the same after a restart from the saved state
    again = factory("fw-fw", 1, json.loads(json.dumps(api.device.snapshot())), 5)
    for meta in again.store.backups():
        assert again.store.backup(meta["time"])["config"] == seen[meta["time"]]


def test_revert_backup_restores_the_whole_configuration(api):
    first = api.get("/api/core/backup/backups/this")["items"][0]["id"]
    api.post("/api/firewall/alias/addItem", {"alias": {"name": "gone", "type": "port",
                                                       "content": "1"}})  # fmt: skip
    assert api.post(f"/api/core/backup/revertBackup/{first}") == {"status": "reverted"}
    assert api.get("/api/firewall/alias/getAliasUUID/gone") == []
    assert api.post("/api/core/backup/revertBackup/config-1.0.xml") == {"status": "not_found"}


def test_system_status_and_service_control(api):
    status = api.get("/api/core/system/status")
    assert status["metadata"]["system"]["status"] == "OK"
    assert api.get("/api/unbound/service/status")["status"] == "running"
    assert api.post("/api/unbound/service/stop") == {"response": "OK\n\n"}
    assert api.get("/api/unbound/service/status")["status"] == "stopped"
    api.post("/api/unbound/service/start")
    assert api.get("/api/unbound/service/status")["status"] == "running"
