"""The OPNsense component on the lab, end to end with the real CLI, ansible-runner, the role and
its modules against the lab's OPNsense simulator (two sites: the lycée on 26.1 with savepoints,
the collège on 26.7 without):

deploy → every VLAN, alias, rule, host override, subnet and reservation present; deploy again
→ nothing changed, no write, no apply; edits with a plain HTTP client (a rule added as in the
web UI, an alias entry removed, a reservation's MAC changed, a rule disabled) → `fleet drift`
exits 2 naming each object and field, the added rule reported unmanaged; deploy repairs while a
simulator fault (a timeout mid-reconcile) on the other site fails only that site, with the API's
words, its writes undone; drift 0; the configuration history has one commit per change. Then a
change that cuts the API off on one site is rolled back and that site fails with the reason,
while the other site deploys. A failing apply is in the `slow` set. (Six fleet runs of two
firewalls through Ansible; tests/unit/opnsense cover the same behaviours in seconds.)

The lab is this module's own: a project whose lab registry has the lab sites' firewalls only
(no container host), so `fleet lab up` runs the simulators alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests
import yaml
from test_lab_sims import sim_processes

from fleet.backups import history
from fleet.lab.sim import service
from fleet.lab.sim.part import endpoints
from fleet.opnsense.summary import task_results

pytestmark = [pytest.mark.lab]

PROJECT = Path(__file__).resolve().parents[2]
LYCEE, COLLEGE = "0450050K", "0180120H"
SITES = (LYCEE, COLLEGE)


def firewall_only(registry: Path) -> None:
    """The lab sites without their container hosts: only what the firewall needs."""
    for path in (registry / "sites").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("proxmox", "guests", "samba_ad", "opsi", "switches"):
            data.pop(key, None)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def lab(lab_project, tmp_path_factory):
    root = tmp_path_factory.mktemp("opnsense-lab")
    registry = root / "registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    firewall_only(registry)
    project = lab_project(root / "project")
    up = project.fleet("--output", "json", "lab", "up", "--lab-registry", str(registry))
    assert up.returncode == 0, up.stderr[-3000:]
    project.registry = registry
    yield project
    down = project.fleet("--output", "json", "lab", "down", timeout=300)
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project.root) == []  # every simulator it started has stopped


def fleet(lab, command: str, *args: str, registry: Path | None = None,
          sites: tuple[str, ...] = SITES) -> tuple[int, dict]:  # fmt: skip
    proc = lab.fleet("--registry", str(registry or lab.registry), "--output", "json", command,
                     *sites, "--component", "opnsense", *args)  # fmt: skip
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON: {proc.stdout!r}\n{proc.stderr[-3000:]}") from exc


def by_site(data: dict) -> dict[str, dict]:
    return {s["site"]: s for s in data["sites"]}


class Api:
    """Another client: a plain `requests` session with the device's key, TLS verified."""

    def __init__(self, lab, site: str):
        doc = endpoints(lab.root, "opnsense")
        self.device = next(d for d in doc["devices"] if d["name"] == site)
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = (self.device["key"], self.device["secret"])

    def __call__(self, method: str, path: str, body=None):
        r = self.session.request(method, f"{self.device['url']}/api/{path}", json=body,
                                 verify=self.device["ca"], timeout=15)  # fmt: skip
        r.raise_for_status()
        return r.json()

    def rules(self) -> dict[str, dict]:
        return self("GET", "firewall/filter/get")["filter"]["rules"]["rule"]


def calls(site_result: dict) -> dict[str, int]:
    """API calls the opnsense modules made in a site run, summed (from the run's artifacts)."""
    total = {"reads": 0, "writes": 0, "applies": 0}
    for _, res in task_results(site_result["run_dir"]):
        for key in total:
            total[key] += int((res.get("calls") or {}).get(key, 0))
    return total


def test_deploy_then_deploy_again_changes_nothing(lab):
    rc, data = fleet(lab, "deploy", "--yes")
    sites = by_site(data)
    assert rc == 0 and {s["status"] for s in sites.values()} == {"changed"}, data
    summary = data["component_summaries"]["opnsense"]["sites"]
    assert summary[LYCEE]["firmware"] == "26.1" and summary[COLLEGE]["firmware"] == "26.7.2"
    api = Api(lab, LYCEE)
    inventory = json.loads(
        lab.fleet("--registry", str(lab.registry), "inventory", "show", LYCEE).stdout
    )
    want = inventory["_meta"]["hostvars"]["fw1.0450050k.lab.fleet.test"]
    vlans = {
        v["vlanif"] for v in api("GET", "interfaces/vlan_settings/get")["vlan"]["vlan"].values()
    }
    assert vlans == {v["device"] for v in want["opnsense_vlans"]}
    aliases = {
        a["name"] for a in api("GET", "firewall/alias/get")["alias"]["aliases"]["alias"].values()
    }
    assert {a["name"] for a in want["opnsense_aliases"]} <= aliases
    rules = {r["description"].split(":")[0] for r in api.rules().values()}
    assert rules == {f"[fleet] {r['name']}" for r in want["opnsense_rules"]}
    unbound = api("GET", "unbound/settings/get")["unbound"]
    hosts = {h["hostname"] for h in unbound["hosts"]["host"].values()}
    assert hosts == {h["hostname"] for h in want["opnsense_host_overrides"]}
    subnets = api("POST", "kea/dhcpv4/searchSubnet", {"rowCount": -1})["rows"]
    assert {s["subnet"] for s in subnets} == {s["subnet"] for s in want["opnsense_dhcp"]["subnets"]}
    res = api("POST", "kea/dhcpv4/searchReservation", {"rowCount": -1})["rows"]
    assert {(r["hostname"], r["hw_address"], r["ip_address"]) for r in res} == {
        (r["hostname"], r["mac"], r["ip_address"]) for r in want["opnsense_dhcp"]["reservations"]
    }

    rc, data = fleet(lab, "deploy", "--yes")
    assert rc == 0, data
    for uai, site in by_site(data).items():
        assert site["status"] == "ok" and site["totals"]["changed"] == 0, site
        assert calls(site)["writes"] == calls(site)["applies"] == 0, uai
        assert 0 < calls(site)["reads"] <= 2 * 8  # ≤ 2 reads per type (8 types + firmware)


def _edit_a_host_override(lab, uai: str) -> str:
    api = Api(lab, uai)
    uuid, host = next(iter(api("GET", "unbound/settings/get")["unbound"]["hosts"]["host"].items()))
    api("POST", f"unbound/settings/setHostOverride/{uuid}", {"host": {"server": "127.200.1.99"}})
    return f"host override {host['hostname']}.{host['domain']}"


def _faults(lab, spec: str) -> None:
    doc = service.status(lab.root / ".fleet" / "lab" / "sim" / "run", "opnsense")["endpoints"]
    service.set_faults(doc, spec)


def test_hand_edits_are_drift_named_by_object_and_field_and_deploy_repairs_them(lab):
    """...and in the same repair run, a timeout mid-reconcile on the other site fails only it."""
    api = Api(lab, LYCEE)
    commits_before = len(history(lab.root / ".fleet" / "backups", LYCEE, "fw1.xml"))
    # as in the web UI: a rule added, an alias entry removed, a MAC changed, a rule disabled
    api("POST", "firewall/filter/addRule",
        {"rule": {"interface": "opt5", "description": "games for the teachers"}})  # fmt: skip
    web = next(u for u, a in api("GET", "firewall/alias/get")["alias"]["aliases"]["alias"].items()
               if a["name"] == "ports_web")  # fmt: skip
    api("POST", f"firewall/alias/setItem/{web}", {"alias": {"content": "443"}})
    printer = next(r for r in api("POST", "kea/dhcpv4/searchReservation", {"rowCount": -1})["rows"]
                   if r["hostname"] == "printer-cdi")  # fmt: skip
    api("POST", f"kea/dhcpv4/setReservation/{printer['uuid']}",
        {"reservation": {"hw_address": "00:1b:a9:4c:99:99"}})  # fmt: skip
    printing = next(
        u for u, r in api.rules().items() if "[fleet] wifi-printing" in r["description"]
    )
    api("POST", f"firewall/filter/toggleRule/{printing}/0")
    college_host = _edit_a_host_override(lab, COLLEGE)

    rc, data = fleet(lab, "drift")
    assert rc == 2, data
    sites = by_site(data)
    assert sites[COLLEGE]["status"] == sites[LYCEE]["status"] == "drift"
    diffs = {}
    for task in sites[LYCEE]["changed"]:
        for d in task["diff"]:
            for name, fields in (d.get("after") or {}).items():
                diffs[name] = (d["before"][name], fields)
    assert diffs["alias ports_web"] == ({"content": ["443"]}, {"content": ["443", "80"]})
    assert diffs["filter rule wifi-printing"] == ({"enabled": "0"}, {"enabled": "1"})
    assert diffs["DHCP reservation printer-cdi"] == (
        {"hw_address": "00:1b:a9:4c:99:99"}, {"hw_address": "00:1b:a9:4c:10:01"})  # fmt: skip
    assert len(diffs) == 3
    (college,) = [d for task in sites[COLLEGE]["changed"] for d in task["diff"]]
    assert college["before"] == {college_host: {"server": "127.200.1.99"}}
    unmanaged = data["component_summaries"]["opnsense"]["sites"][LYCEE]["unmanaged"]
    assert unmanaged == ["filter rule games for the teachers"]

    # repair, while the collège's Unbound reconfigure never answers (a timeout mid-reconcile)
    _faults(lab, f"dev={COLLEGE}:hang=60s:method=POST:path=/api/unbound/service/reconfigure")
    try:
        rc, data = fleet(lab, "deploy", "--yes", "-e", "opnsense_api_timeout=3")
    finally:
        _faults(lab, "")
    sites = by_site(data)
    assert rc == 1 and sites[LYCEE]["status"] == "changed", data
    assert sites[COLLEGE]["status"] == "failed"
    (failure,) = sites[COLLEGE]["failures"]
    assert failure["task"] == "DNS host overrides and forwards"
    assert "no answer within 3 s" in failure["message"]
    assert "the 1 change(s) written were undone; nothing was applied" in failure["message"]

    rc, data = fleet(lab, "drift", sites=(LYCEE,))
    assert rc == 0, data
    # the hand-made rule is still there, still reported, never changed
    assert any(r["description"] == "games for the teachers" for r in api.rules().values())
    # git history: the drift run recorded the hand edits, the deploy the repair; no more
    changes = history(lab.root / ".fleet" / "backups", LYCEE, "fw1.xml")
    assert len(changes) == commits_before + 2
    hand, repair = changes[1], changes[0]
    assert "drift" in hand.message and "-            <hw_address>00:1b:a9:4c:10:01" in hand.diff
    assert (
        "deploy" in repair.message and "+            <hw_address>00:1b:a9:4c:10:01" in repair.diff
    )
    assert "toggleRule" in hand.message  # who changed it: the config's own revision
    stored = (lab.root / ".fleet" / "backups" / LYCEE / "fw1.xml").read_text()
    secret = Api(lab, LYCEE).device["secret"]
    assert secret not in stored and "[masked by fleet]" in stored
    # nor is it in any run's artifacts (events, stdout) or the history database
    for path in (lab.root / ".fleet").rglob("*"):
        if path.is_file() and "lab/sim" not in str(path) and path.stat().st_size < 50_000_000:
            assert secret.encode() not in path.read_bytes(), path


def test_a_change_that_cuts_the_api_off_is_rolled_back_and_only_its_site_fails(lab, tmp_path):
    registry = tmp_path / "registry"
    shutil.copytree(lab.registry, registry)
    region = registry / "region.yml"
    region.write_text(region.read_text().replace("management_networks: [127.0.0.0/8]",
                                                 "management_networks: [10.99.0.0/16]"))  # fmt: skip
    for uai, rule in ((LYCEE, "{name: lockdown, interface: wan, action: block, destination: self}"),
                      (COLLEGE, "{name: lockdown, interface: wan, action: block, destination: dmz}")):  # fmt: skip
        site = registry / "sites" / f"{uai}.yml"
        data = yaml.safe_load(site.read_text())
        data["firewall"].setdefault("rules", []).insert(0, yaml.safe_load(rule))
        site.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    before = Api(lab, LYCEE).rules()
    rc, data = fleet(lab, "deploy", "--yes", registry=registry)  # the collège: its repair too
    sites = by_site(data)
    assert rc == 1 and sites[COLLEGE]["status"] == "changed", data
    assert sites[LYCEE]["status"] == "failed"
    (failure,) = sites[LYCEE]["failures"]
    assert failure["message"].startswith("the change cut the API off")
    assert "reverted over the connection still open to savepoint" in failure["message"]
    after = Api(lab, LYCEE).rules()  # new connections get in again: the rules are the old ones
    assert {u: r["description"] for u, r in after.items()} == {
        u: r["description"] for u, r in before.items()}  # fmt: skip


@pytest.mark.slow  # the timeout case runs in the repair above; the unit tests cover more
def test_a_failing_apply_fails_only_its_site_with_the_apis_message(lab):
    for uai in SITES:
        _edit_a_host_override(lab, uai)
    _faults(lab, f"dev={COLLEGE}:error=500:path=/api/unbound/service/reconfigure")
    try:
        rc, data = fleet(lab, "deploy", "--yes")
    finally:
        _faults(lab, "")
    sites = by_site(data)
    assert rc == 1 and sites[LYCEE]["status"] == "changed", data
    assert sites[COLLEGE]["status"] == "failed"
    (failure,) = sites[COLLEGE]["failures"]
    assert "HTTP 500: Unexpected error, check log for details" in failure["message"]
    assert "the 1 change(s) written were undone; nothing was applied" in failure["message"]
