"""The OPSI component on the lab, end to end with the real CLI, ansible-runner, the role (real
depot containers over SSH: directories, account, Samba share) and its module against the lab's
opsi simulator (the regional master with the ~800-product catalogue, a fresh depot per site):

deploy → each depot has every locked product of its profiles, with their property values and
profile groups, and the share is served; deploy again → nothing changed; a new firefox appears
on the master → `fleet opsi catalogue update firefox` (over JSON-RPC) → `fleet plan --all
--component opsi` shows firefox from → to on both depots and nothing else; a product installed
by hand at another version → `fleet drift` exits 2 naming depot, product and versions; deploy
with rings updates the pilot site first while the other depot's API stops answering mid-sync
(that site fails with the reason, the pilot is fine); a rerun completes; drift 0.

The lab is this module's own: the lab registry reduced to what the depots need (a Proxmox node
and the depot guest per site; the collège gets a depot and the `admin` profile).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from test_lab_sims import sim_processes

from fleet.lab.hosts import container_name
from fleet.lab.sim import service
from fleet.lab.sim.opsi import master as sim_master
from fleet.lab.sim.part import endpoints
from fleet.opsi import depot as engine
from fleet.opsi import package
from fleet.opsi.rpc import Client

pytestmark = [pytest.mark.lab]

PROJECT = Path(__file__).resolve().parents[2]
LYCEE, COLLEGE = "0450050K", "0180120H"
SITES = (LYCEE, COLLEGE)


def depots_only(registry: Path) -> None:
    for path in (registry / "sites").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("firewall", "samba_ad", "switches"):
            data.pop(key, None)
        data["guests"] = [g for g in data.get("guests", []) if g["template"] == "opsi_depot"]
        if not data["guests"]:
            data["guests"] = [
                {"name": "depot1", "template": "opsi_depot", "node": "pve1", "host": 20}
            ]
            data["opsi"] = {"profiles": ["admin"]}
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def lab(lab_project, tmp_path_factory):
    root = tmp_path_factory.mktemp("opsi-lab")
    registry = root / "registry"
    shutil.copytree(
        PROJECT / "inventories/lab", registry, ignore=shutil.ignore_patterns("generated")
    )
    depots_only(registry)
    project = lab_project(root / "project")
    up = project.fleet("--output", "json", "lab", "up", "--lab-registry", str(registry))
    assert up.returncode == 0, up.stderr[-3000:]
    project.registry = registry
    yield project
    down = project.fleet("--output", "json", "lab", "down", timeout=300)
    assert down.returncode == 0, down.stderr[-3000:]
    assert sim_processes(project.root) == []


def fleet(lab, command: str, *args: str, sites: tuple[str, ...] = SITES) -> tuple[int, dict]:
    proc = lab.fleet("--registry", str(lab.registry), "--output", "json", command, *sites,
                     "--component", "opsi", *args)  # fmt: skip
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON: {proc.stdout!r}\n{proc.stderr[-3000:]}") from exc


def by_site(data: dict) -> dict[str, dict]:
    return {s["site"]: s for s in data["sites"]}


def device(lab, name: str) -> dict:
    return next(d for d in endpoints(lab.root, "opsi")["devices"] if d["name"] == name)


def client(lab, name: str) -> Client:
    d = device(lab, name)
    return Client(d["url"], d["username"], d["password"], d["ca"], 15)


def wanted(lab, site: str) -> list[dict]:
    inventory = json.loads(
        lab.fleet("--registry", str(lab.registry), "inventory", "show", site).stdout
    )
    depot = next(h for h in inventory["opsi_depot"]["hosts"])
    return inventory["_meta"]["hostvars"][depot]["opsi_products"]


def on_depot(lab, site: str) -> dict[str, str]:
    current = engine.read(client(lab, site), device(lab, site)["depot_id"])
    return {pid: engine.version_of(p) for pid, p in current.products.items()}


def install_by_hand(lab, name: str, product_id: str, version: str, pkg: str) -> None:
    base, deps, props = sim_master._index()[
        next(f for f in sim_master.file_names() if f.startswith(f"{product_id}_"))
    ]
    data = package.build({**base, "productVersion": version, "packageVersion": pkg},
                         [{**d, "productVersion": version, "packageVersion": pkg} for d in deps], props)  # fmt: skip
    api = client(lab, name)
    file = package.file_name(product_id, f"{version}-{pkg}")
    api.put_file(file, data)
    api.call("depot_installPackage", f"/var/lib/opsi/repository/{file}", True)


def set_faults(lab, spec: str) -> None:
    service.set_faults(
        service.status(lab.root / ".fleet" / "lab" / "sim" / "run", "opsi")["endpoints"], spec
    )


def test_the_catalogue_reaches_every_depot_and_a_new_version_rolls_out_pilot_first(lab):
    # a fresh depot gets every locked product of its profiles; a second deploy changes nothing
    rc, data = fleet(lab, "deploy", "--yes")
    assert rc == 0 and {s["status"] for s in by_site(data).values()} == {"changed"}, data
    for site in SITES:
        want = wanted(lab, site)
        assert on_depot(lab, site) == {p["id"]: p["version"] for p in want}
        current = engine.read(client(lab, site), device(lab, site)["depot_id"])
        for product in want:
            for prop, values in product["properties"].items():
                assert current.states[(product["id"], prop)] == values
    container = container_name(lab.root, "depot1.0450050k.lab.fleet.test")
    shares = lab.podman("exec", container, "smbclient", "-N", "-g", "-L", "//127.0.0.1").stdout
    assert "Disk|opsi_depot|OPSI depot" in shares
    rc, data = fleet(lab, "deploy", "--yes")
    assert rc == 0 and {s["status"] for s in by_site(data).values()} == {"ok"}, data

    # a new firefox on the master → the lock → the plan shows firefox on both depots, only it
    old = next(p["version"] for p in wanted(lab, LYCEE) if p["id"] == "firefox")
    install_by_hand(lab, "master", "firefox", "2024.9", "1")
    m = device(lab, "master")
    credentials = lab.root / "master.json"
    credentials.write_text(json.dumps({"username": m["username"], "password": m["password"]}))
    update = lab.fleet("--registry", str(lab.registry), "--output", "json", "opsi", "catalogue", "update",
                       "firefox", "--from-url", m["url"], "--credentials-file", str(credentials), "--ca", m["ca"])  # fmt: skip
    assert update.returncode == 0, update.stderr
    assert json.loads(update.stdout)["changes"] == [
        {"product": "firefox", "change": "upgrade", "from": old, "to": "2024.9-1"}
    ]
    rc, data = fleet(lab, "plan", "--all", sites=())
    assert rc == 2, data
    summary = data["component_summaries"]["opsi"]
    assert summary["rows"] == [["firefox", old, "2024.9-1", "2", f"{COLLEGE}, {LYCEE}"]]
    assert on_depot(lab, LYCEE)["firefox"] == old  # a plan changes nothing

    # by hand on the lycée's depot: thunderbird at another version → drift names it
    thunderbird = next(p["version"] for p in wanted(lab, LYCEE) if p["id"] == "thunderbird")
    install_by_hand(lab, LYCEE, "thunderbird", "1.0", "1")
    rc, data = fleet(lab, "drift")
    assert rc == 2, data
    lycee = by_site(data)[LYCEE]
    assert lycee["status"] == "drift"
    diff = lycee["changed"][0]["diff"][0]
    depot_id = device(lab, LYCEE)["depot_id"]
    assert diff["before_header"] == depot_id
    assert (
        "product thunderbird: 1.0-1" in diff["before"]
        and f"product thunderbird: {thunderbird}" in diff["after"]
    )
    assert (
        f"product firefox: {old}" in diff["before"] and "product firefox: 2024.9-1" in diff["after"]
    )

    # rings: the pilot (lycée) first; the collège's depot stops answering mid-sync
    set_faults(lab, f"dev={COLLEGE}:hang=60s:method=POST:path=/rpc:after=1")
    try:
        rc, data = fleet(
            lab,
            "deploy",
            "--all",
            "--rings",
            "pilot,100%",
            "--yes",
            "-e",
            "opsi_depot_api_timeout=3",
            sites=(),
        )
    finally:
        set_faults(lab, "")
    sites = by_site(data)
    assert rc == 1 and sites[LYCEE]["status"] == "changed", data
    assert sites[COLLEGE]["status"] == "failed"
    assert sites[LYCEE]["finished"] <= sites[COLLEGE]["started"]
    (failure,) = sites[COLLEGE]["failures"]
    assert "no answer within 3 s" in failure["message"]
    assert (
        on_depot(lab, LYCEE)["firefox"] == "2024.9-1"
        and on_depot(lab, LYCEE)["thunderbird"] == thunderbird
    )

    # the rerun completes the collège; nothing drifts any more
    rc, data = fleet(lab, "deploy", "--yes", sites=(COLLEGE,))
    assert rc == 0 and by_site(data)[COLLEGE]["status"] == "changed", data
    assert on_depot(lab, COLLEGE)["firefox"] == "2024.9-1"
    rc, data = fleet(lab, "drift", "--all", sites=())
    assert rc == 0, data
    # no secret in any run artifact
    for name in ("master", LYCEE, COLLEGE):
        secret = device(lab, name)["password"].encode()
        for path in (lab.root / ".fleet" / "runs").rglob("*"):
            if path.is_file():
                assert secret not in path.read_bytes(), path
