"""The switches component on the lab, end to end with the real CLI, ansible-runner, the role and
its module against the lab's simulated switches (fakenos over SSH, host keys checked): the
lycée's ProCurve sw-core and the collège's Cisco IOS sw-a.

deploy → each switch holds the registry's VLANs and port profiles (read back with netmiko);
deploy again → 0 changed; a VLAN added and a port moved to another VLAN at the console (netmiko,
by hand) → `fleet drift` exits 2 listing exactly the lines deploy would send; deploy repairs;
drift → 0; the git backup has a commit showing the hand change and one showing the repair.
Then device faults (auth failure, no prompt, down) fail only their site, naming the switch; a
line the switch refuses fails the site naming the line. The SNMP community is in no artifact.

The lab is this module's own: a project whose lab registry has the lab sites' switches only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from test_lab_sims import sim_processes

from fleet.backups import history
from fleet.lab.sim.part import endpoints
from fleet.lab.sim.switches.serve import write_faults

pytestmark = [pytest.mark.lab]

PROJECT = Path(__file__).resolve().parents[2]
LYCEE, COLLEGE = "0450050K", "0180120H"
SITES = (LYCEE, COLLEGE)
CORE = "sw-core.0450050k.lab.fleet.test"
SW_A = "sw-a.0180120h.lab.fleet.test"
LAST: dict = {}  # the component summaries of the last fleet run


def switches_only(registry: Path) -> None:
    """The lab sites with their switches only; the collège gets a Cisco switch of its own."""
    for path in (registry / "sites").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("proxmox", "guests", "samba_ad", "opsi", "firewall"):
            data.pop(key, None)
        if data["uai"] == COLLEGE:
            data["switches"] = [{"name": "sw-a", "platform": "cisco_ios", "host": 201,
                                 "ports": {"1-20": "pedago", "21-24": "admin", "45-48": "ap",
                                           "49-50": "uplink", "51-52": "proxmox"}}]  # fmt: skip
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def lab(lab_project, tmp_path_factory):
    root = tmp_path_factory.mktemp("switches-lab")
    registry = root / "registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    switches_only(registry)
    project = lab_project(root / "project")
    up = project.fleet("--output", "json", "lab", "up", "--lab-registry", str(registry))
    assert up.returncode == 0, up.stderr[-3000:]
    project.registry = registry
    yield project
    down = project.fleet("--output", "json", "lab", "down", timeout=300)
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project.root) == []


def fleet(lab, command: str, *args: str, sites=SITES, registry: Path | None = None):
    proc = lab.fleet("--registry", str(registry or lab.registry), "--output", "json", command,
                     *sites, "--component", "switches", *args)  # fmt: skip
    try:
        data = json.loads(proc.stdout)
        LAST["summaries"] = data.get("component_summaries") or {}
        return proc.returncode, {s["site"]: s for s in data["sites"]}
    except (json.JSONDecodeError, KeyError) as exc:
        raise AssertionError(f"not JSON: {proc.stdout!r}\n{proc.stderr[-3000:]}") from exc


def device(lab, name: str) -> dict:
    doc = endpoints(lab.root, "switches")
    return {
        **next(d for d in doc["devices"] if d["name"] == name),
        "known_hosts": doc["known_hosts"],
    }


def console(lab, name: str, lines: list[str] | None = None) -> str:
    """A person at the console: netmiko with the device's login, host key checked; the
    running configuration after sending `lines`."""
    from netmiko import ConnectHandler

    d = device(lab, name)
    conn = ConnectHandler(device_type=d["platform"], host=d["host"], port=d["port"],
                          username=d["username"], password=d["password"], ssh_strict=True,
                          system_host_keys=False, alt_host_keys=True,
                          alt_key_file=d["known_hosts"], allow_agent=False, use_keys=False)  # fmt: skip
    try:
        if lines:
            conn.send_config_set(lines)
        return conn.send_command("show running-config")
    finally:
        conn.disconnect()


def prepared(site: dict) -> list[str]:
    return [line for c in site["changed"] for d in c["diff"] for line in d["prepared"].splitlines()]


def prepared_by_host(site: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for c in site["changed"]:
        for d in c["diff"]:
            found.setdefault(c["host"], []).extend(d["prepared"].splitlines())
    return found


def test_deploy_then_deploy_again_changes_nothing(lab):
    rc, sites = fleet(lab, "deploy", "--yes")
    assert rc == 0 and {s["status"] for s in sites.values()} == {"changed"}, sites
    core = console(lab, CORE)
    assert 'hostname "sw-core"' in core
    # pedago on its access ports and the uplinks; wifi tagged to the APs and the uplinks
    assert 'vlan 40\n   name "pedago"\n   untagged 1-12\n   tagged 25-26\n' in core
    assert 'vlan 50\n   name "wifi"\n   tagged 21-26\n' in core
    sw_a = console(lab, SW_A)
    assert (
        "interface GigabitEthernet1/0/1\n description teaching workstations\n switchport access vlan 40"
        in sw_a
    )
    assert "switchport trunk allowed vlan 10,20,30,40,50,60,70" in sw_a
    rc, sites = fleet(lab, "deploy", "--yes")
    assert rc == 0 and {s["status"] for s in sites.values()} == {"ok"}, sites
    assert all(s["changed"] == [] for s in sites.values())


def test_hand_changes_are_drift_then_repaired_and_kept_in_git(lab):
    repo = lab.root / ".fleet" / "backups"
    before = len(history(repo, LYCEE, "sw-core.cfg"))
    console(lab, CORE, ["vlan 99", 'name "hand"', "interface 3", "untagged vlan 50"])
    console(lab, SW_A, ["interface GigabitEthernet1/0/2", "switchport access vlan 50"])
    rc, sites = fleet(lab, "drift")
    assert rc == 2, sites
    assert prepared(sites[LYCEE]) == ["interface 3", "  untagged vlan 40", "no vlan 99"]
    assert prepared(sites[COLLEGE]) == [
        "interface GigabitEthernet1/0/2",
        "  switchport access vlan 40",
    ]
    assert "vlan 99" in console(lab, CORE)  # drift changed nothing
    # the component summary: lines to send per switch, the unmanaged lines left alone
    summary = LAST["summaries"]["switches"]["sites"][LYCEE]
    assert summary[CORE]["lines"] == 3 and summary["sw-b.0450050k.lab.fleet.test"]["lines"] == 0
    assert "console idle-timeout 600" in summary[CORE]["unmanaged"]
    changes = history(repo, LYCEE, "sw-core.cfg")
    assert len(changes) == before + 1 and "drift/plan" in changes[0].message
    assert "+vlan 99" in changes[0].diff

    rc, sites = fleet(lab, "deploy", "--yes")
    assert rc == 0 and {s["status"] for s in sites.values()} == {"changed"}, sites
    assert "vlan 99" not in console(lab, CORE)
    rc, sites = fleet(lab, "drift")
    assert rc == 0 and all(s["changed"] == [] for s in sites.values()), sites
    changes = history(repo, LYCEE, "sw-core.cfg")
    assert len(changes) == before + 2 and "deploy" in changes[0].message
    assert "-vlan 99" in changes[0].diff
    shown = lab.fleet("backups", "log", LYCEE, "sw-core.cfg", "--patch")  # the switch's history
    assert shown.returncode == 0 and "+vlan 99" in shown.stdout and "-vlan 99" in shown.stdout
    # the SNMP community (the lab's vault) is in no backup and no run artifact
    community = json.loads(
        Path(lab.root / ".fleet/lab/sim/switches/credentials" / f"{CORE}.json").read_text()
    )["snmp_community"]
    assert community not in (repo / LYCEE / "sw-core.cfg").read_text()
    assert 'snmp-server community "********" operator' in (repo / LYCEE / "sw-core.cfg").read_text()
    for path in (lab.root / ".fleet" / "runs").rglob("*"):
        if path.is_file():
            assert community.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(("fault", "words"), [
    ("hang", "no prompt or no answer"),
    pytest.param("auth", "authentication failed", marks=pytest.mark.slow),
    pytest.param("down", "cannot connect", marks=pytest.mark.slow),
])  # fmt: skip
def test_a_device_fault_fails_only_its_site(lab, fault, words):
    state = lab.root / ".fleet/lab/sim/switches/state"
    write_faults(state, f"dev={SW_A}:{fault}")
    try:
        rc, sites = fleet(lab, "deploy", "--yes")
    finally:
        write_faults(state, "")
    assert rc == 1, sites
    assert sites[LYCEE]["status"] in ("ok", "changed"), sites[LYCEE]  # unaffected
    failed = sites[COLLEGE]
    assert failed["status"] == "failed", failed
    text = json.dumps(failed)
    assert "switch sw-a" in text and words in text, text


@pytest.mark.slow
def test_a_refused_line_fails_the_site_naming_it(lab, tmp_path):
    """The registry names a 48-port model for the 24-port sw-core: the switch refuses the first
    port it does not have, the site fails naming the switch and the line, nothing is saved."""
    registry = tmp_path / "registry"
    shutil.copytree(lab.registry, registry)
    site = registry / "sites" / f"{LYCEE}.yml"
    data = yaml.safe_load(site.read_text())
    data["switches"][0]["model"] = "aruba-2930f-48g"
    site.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert fleet(lab, "deploy", "--yes", sites=(LYCEE,))[0] == 0  # converged first
    rc, sites = fleet(lab, "deploy", "--yes", sites=(LYCEE,), registry=registry)
    assert rc == 1 and sites[LYCEE]["status"] == "failed", sites
    text = json.dumps(sites[LYCEE])
    assert "switch sw-core: the switch refused a line" in text and "command: interface 29" in text
    assert "Module not present" in text
    rc, sites = fleet(lab, "drift", sites=(LYCEE,))
    assert rc == 0, sites  # the refused line was the first to send: nothing else was applied
