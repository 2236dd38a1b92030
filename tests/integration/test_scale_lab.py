"""The lab at fleet scale: `fleet lab up --sites 8 --ssh-sites 0` with four sites faulted (one
of each fault: down, HTTP 500, hang, flapping; their switches get the SSH form) — and, as a slow
suite, the whole fleet: 180 sites with `--faults 10%` (18 sites, the four faults in turn) →
`fleet drift --all` ends with
exactly those four sites failed, every other site's result what its devices say (drift: nothing
was ever deployed), the exit code of a failed run, the SSH components `excluded` with the reason
in every site of the JSON report, and the hung site costing no other site more than its timeout.
The 180-site figures (wall time, CPU, memory) are bench/bench_drift_fleet.py's
(bench/results/drift_fleet.json): this file asserts behaviour, never time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_lab_sims import sim_processes

pytestmark = [pytest.mark.lab]

SMALL, FLEET = 8, 180


def faults_for(sites: int) -> str:
    """The small lab: four sites spread over the sample, one fault each; the fleet: 10 %."""
    if sites != SMALL:
        return "10%"
    from fleet.registry.sample import plan

    uais = sorted(row[0] for row in plan(sites))
    chosen = {uais[1]: "down", uais[3]: "error", uais[5]: "hang", uais[7]: "flap"}
    return ",".join(f"{uai}={fault}" for uai, fault in chosen.items())


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(SMALL, id="8-sites"),
        pytest.param(FLEET, id="180-sites", marks=pytest.mark.slow),
    ],
)
def scale_lab(request, lab_project, tmp_path_factory):
    sites = request.param
    project = lab_project(tmp_path_factory.mktemp("scale-lab") / "project")
    args = ("lab", "up", "--sites", str(sites), "--ssh-sites", "0", "--faults", faults_for(sites))
    rc, up = project.fleet_json(*args, timeout=900)
    assert rc == 0 or up.get("scale"), up
    project.scale, project.requested = up["scale"], sites
    # {uai: down|error|hang|flap} as the plan records them (`error=500` → error)
    project.faulted = {uai: f.split("=")[0] for uai, f in up["scale"]["faults"].items()}
    if sites == FLEET:
        assert len(project.faulted) == 18
        assert set(project.faulted.values()) == {"down", "error", "hang", "flap"}
    yield project
    down = project.fleet("--output", "json", "lab", "down", timeout=300)
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project.root) == []


def test_lab_up_sites_writes_the_plan_and_a_valid_registry(scale_lab):
    plan = scale_lab.scale
    sites = scale_lab.requested
    assert plan["sites"] == sites
    assert plan["ssh_sites"] == []
    assert set(plan["faults"]) == set(scale_lab.faulted)
    assert json.loads((scale_lab.root / ".fleet/lab/scale.json").read_text()) == plan
    registry = Path(plan["registry"])
    assert len(list((registry / "sites").glob("*.yml"))) == sites
    check = scale_lab.fleet("--registry", str(registry), "validate")
    assert check.returncode == 0, check.stderr


def test_drift_all_fails_exactly_the_faulted_sites(scale_lab):
    registry = scale_lab.scale["registry"]
    # the sample has sites in onboarding: checked too, so that every faulted site is in the run
    rc, data = scale_lab.fleet_json(
        "--registry", registry, "drift", "--all", "--include-onboarding", timeout=3600
    )
    sites = {s["site"]: s for s in data["sites"]}
    assert len(sites) == scale_lab.scale["sites"]
    failed = {uai for uai, s in sites.items() if s["status"] in ("failed", "unreachable")}
    assert failed == set(scale_lab.faulted)
    assert rc == 1 and data["exit_code"] == 1  # a failed site fails the run, drift or not
    # the others: what their devices say (a fresh firewall differs from the registry)
    assert {s["status"] for uai, s in sites.items() if uai not in failed} == {"drift"}

    words = {
        "down": "refused",
        "error": "HTTP 500",
        "hang": "no answer within",
    }
    for uai, fault in scale_lab.faulted.items():
        messages = " ".join(f["message"] for f in sites[uai]["failures"])
        assert sites[uai]["failures"], (uai, sites[uai])
        if fault in words:
            assert words[fault] in messages, (uai, fault, messages)

    # a faulted site's switches never pass: the site stops at its failed firewall (deploy
    # order), and a healthy site's switches all ran
    for uai, site in sites.items():
        outcomes = {o["component"]: o for o in site["outcomes"]}
        switch_failures = [f for f in site["failures"] if f["component"] == "switches"]
        if uai not in failed:
            assert switch_failures == [], (uai, switch_failures)
        else:
            assert outcomes["switches"]["outcome"] in ("not_reached", "no_hosts") or (
                switch_failures and all(f["host"].startswith("sw") for f in switch_failures)
            ), (uai, outcomes["switches"])

    # the SSH components are excluded, with why, on every site — never a quiet pass
    for site in sites.values():
        outcomes = {o["component"]: o for o in site["outcomes"]}
        for name in ("base", "samba_ad", "opsi"):  # their hosts are reached over SSH
            assert outcomes[name]["outcome"] == "excluded", (site["site"], outcomes[name])
            assert "sampled site" in outcomes[name]["note"]
        assert outcomes["opnsense"]["outcome"] == "ran"
        if site["site"] not in failed:  # an API component keeps its excluded hosts
            assert outcomes["proxmox"]["outcome"] == outcomes["switches"]["outcome"] == "ran"

    # the hung site ended on its client's timeout, and the others went on meanwhile: another
    # site ran while it hung (the runs' intervals meet)
    hung = sites[next(u for u, f in scale_lab.faulted.items() if f == "hang")]
    assert "no answer within 30 s" in " ".join(f["message"] for f in hung["failures"])
    overlapped = [
        uai
        for uai, s in sites.items()
        if uai != hung["site"]
        and s["started"] < hung["finished"]
        and hung["started"] < s["finished"]
    ]
    assert overlapped, "no other site ran while the hung one waited"


def switch_login(device: dict) -> str:
    """What a client meets logging in to a lab switch (paramiko, as netmiko would)."""
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # the lab's own simulator
    try:
        client.connect(device["host"], port=device["port"], username=device["username"],
                       password=device["password"], timeout=10, banner_timeout=10,
                       auth_timeout=10, look_for_keys=False, allow_agent=False)  # fmt: skip
    except paramiko.AuthenticationException:
        return "refused"
    except (paramiko.SSHException, EOFError, OSError):
        return "closed"
    finally:
        client.close()
    return "ok"


def test_a_faulted_sites_switches_get_the_ssh_form_of_its_fault(scale_lab):
    from fleet.lab.sim.part import endpoints

    devices = endpoints(scale_lab.root, "switches")["devices"]
    by_site: dict[str, dict] = {}
    for device in devices:
        by_site.setdefault(device["name"].split(".")[1].upper(), device)
    expected = {"down": "closed", "error": "refused", "flap": "closed"}
    seen = {}
    for uai, device in by_site.items():
        fault = scale_lab.faulted.get(uai)
        if fault == "hang":
            continue  # logs in, then never a prompt: the drift's timeout proves it
        seen[uai] = (switch_login(device), expected.get(fault, "ok"))
    assert seen and all(got == want for got, want in seen.values()), seen
    assert {want for _, want in seen.values()} >= {"ok", "closed"}
