"""The lab at scale's choices: the SSH sample, the seeded faults, the fault spec the simulators
get, the registry it writes — and bad `--faults`/`--sites` refused with the option named."""

from __future__ import annotations

import json

import pytest

from fleet.cli.main import main
from fleet.errors import BadInput
from fleet.lab import scale
from fleet.lab.sim.faults import parse
from fleet.lab.sim.switches import effects as switch_effects
from fleet.lab.sim.switches import parse_faults as parse_switch_faults
from fleet.registry import load_registry

UAIS = [f"0180{n:03d}X" for n in range(100)]


def test_the_ssh_sample_is_spread_over_the_sites_and_bounded():
    assert scale.pick_ssh_sites(UAIS, 4) == [UAIS[0], UAIS[25], UAIS[50], UAIS[75]]
    assert scale.pick_ssh_sites(UAIS[:2], 5) == UAIS[:2]
    assert scale.pick_ssh_sites(UAIS, 0) == []
    with pytest.raises(BadInput, match="--ssh-sites"):
        scale.pick_ssh_sites(UAIS, -1)


def test_faults_by_share_are_seeded_and_take_each_fault_in_turn():
    ten = scale.pick_faults(UAIS, "10%", seed=7)
    assert len(ten) == 10
    assert ten == scale.pick_faults(UAIS, "10", seed=7)  # same count, same seed, same sites
    assert ten != scale.pick_faults(UAIS, "10%", seed=8)
    assert sorted(ten.values()).count("down") == 3  # 10 faults over 4 kinds, in turn
    assert set(ten.values()) == set(scale.FAULT_TYPES)
    assert scale.pick_faults(UAIS, None, 0) == {}


def test_named_faults_and_the_simulator_spec_they_become():
    chosen = scale.pick_faults(UAIS, f"{UAIS[3].lower()}=down,{UAIS[5]}=hang,{UAIS[9]}=down", 0)
    assert chosen == {UAIS[3]: "down", UAIS[5]: "hang", UAIS[9]: "down"}
    plan = scale.ScalePlan(sites=100, registry="r", ssh_sites=[], faults=chosen)
    spec = plan.fault_spec()
    assert spec == f"dev={UAIS[3]},{UAIS[9]}:down;dev={UAIS[5]}:hang"
    rules = parse(spec).rules  # the simulators' own parser accepts it
    assert [r.devices for r in rules] == [(UAIS[3], UAIS[9]), (UAIS[5],)]


def test_a_faulted_sites_switches_get_the_ssh_form_of_its_fault():
    chosen = {UAIS[1]: "down", UAIS[2]: "error=500", UAIS[3]: "hang", UAIS[4]: "flap=300ms/3s"}
    plan = scale.ScalePlan(sites=100, registry="r", ssh_sites=[], faults=chosen)
    spec = plan.switch_fault_spec()
    low = [u.lower() for u in UAIS]
    assert spec == (f"dev=*.{low[1]}.*,*.{low[4]}.*:down;dev=*.{low[2]}.*:auth;"
                    f"dev=*.{low[3]}.*:hang")  # fmt: skip
    rules = parse_switch_faults(spec)  # the switches simulator's own parser accepts it
    assert switch_effects(rules, f"sw-core.{low[2]}.lab.fleet.test") == {"auth"}
    assert switch_effects(rules, f"sw-core.{low[4]}.lab.fleet.test") == {"down"}
    assert switch_effects(rules, f"sw-core.{low[5]}.lab.fleet.test") == set()
    assert plan.lab_options()["switch_faults"] == spec
    assert scale.ScalePlan(sites=1, registry="r", ssh_sites=[]).switch_fault_spec() == ""


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("lots", "is not N%, N or UAI=FAULT"),
        ("101", "101 sites asked, the lab has 100"),
        ("0999999Z=down", "0999999Z is not a site"),
        (f"{UAIS[0]}=melt", "'melt' for"),
    ],
)
def test_bad_faults_are_refused_naming_the_option(spec, words):
    with pytest.raises(BadInput, match="--faults") as caught:
        scale.pick_faults(UAIS, spec, 0)
    assert words in caught.value.message


def test_the_registry_is_a_valid_lab_registry_on_loopback(tmp_path):
    registry = scale.write_registry(tmp_path, 30)
    loaded = load_registry(registry)
    assert len(loaded.sites) == 30
    assert loaded.region.lab is True
    assert str(loaded.region.addressing.supernet) == scale.SUPERNET
    again = scale.write_registry(tmp_path, 30)  # deterministic: same bytes
    assert (again / "allocations.yml").read_text() == (registry / "allocations.yml").read_text()


def test_lab_up_refuses_bad_scale_options_before_starting_anything(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLEET_STATE_DIR", str(tmp_path / "state"))
    assert main(["lab", "up", "--sites", "0"]) == 3
    assert "--sites: 0 is out of range" in capsys.readouterr().err
    assert main(["lab", "up", "--faults", "10%"]) == 3  # a usage error
    assert "--faults needs --sites" in capsys.readouterr().err
    assert main(["lab", "up", "--sites", "5", "--faults", "9"]) == 3
    assert "9 sites asked, the lab has 5" in capsys.readouterr().err
    assert not (tmp_path / "state" / "lab").exists()  # nothing started, no plan written
    assert not (tmp_path / "state" / "scale").exists()  # and no registry


def test_sampled_sites_get_encrypted_vault_files_the_runs_can_read(tmp_path):
    from ansible.parsing.vault import VaultLib, VaultSecret

    registry = scale.write_registry(tmp_path, 6)
    password = scale.vault_password_file(tmp_path)
    assert password.stat().st_mode & 0o777 == 0o600
    assert scale.vault_password_file(tmp_path).read_text() == password.read_text()  # made once
    scale.write_vaults(registry, ["0180051H"], password)
    vault_file = registry / "vault" / "0180051H.yml"
    assert vault_file.stat().st_mode & 0o777 == 0o600
    text = vault_file.read_text()
    assert text.startswith("$ANSIBLE_VAULT;") and "Adm-" not in text
    lib = VaultLib([("default", VaultSecret(password.read_bytes().strip()))])
    data = json.loads(lib.decrypt(text))
    assert set(data) == {"samba_ad_admin_password", "samba_ad_service_account_passwords"}
    assert sorted(data["samba_ad_service_account_passwords"]) == ["svc-ldap-read", "svc-opsi-join"]
    assert load_registry(registry).site("0180051H")  # the registry still loads with it


def test_a_sites_proxmox_nodes_are_folded_into_one(tmp_path):
    registry = load_registry(scale.write_registry(tmp_path, 6))
    lycee = registry.site("0180051H")  # two nodes in the sample
    assert [n.name for n in lycee.proxmox.nodes] == ["pve1"]
    assert lycee.proxmox.nodes[0].cores == 64
    assert {g.node for g in lycee.guests} == {"pve1"}


def test_every_sites_guests_fit_on_the_simulated_node(tmp_path):
    """The PVE simulator's node has 800 GiB of local-lvm (fleet/lab/sim/pve/state.py): a deploy
    of a sampled site must not fail for want of space the real site would have."""
    from fleet.inventory import site_inventory

    registry = load_registry(scale.write_registry(tmp_path, 12))
    for uai in registry.sites:
        hostvars = site_inventory(registry, uai)["_meta"]["hostvars"]
        disks = [d["size_gb"] for h in hostvars.values() for g in h.get("proxmox_guests") or []
                 for d in g["disks"]]  # fmt: skip
        assert sum(disks) <= 800 - 8, (uai, disks)  # the template's own 8 GiB base disk
