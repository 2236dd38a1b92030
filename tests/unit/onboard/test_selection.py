"""Site states in selection: onboarding sites left out of `drift --all` unless asked;
`deploy` refuses a decommissioned site (exit 3)."""

from __future__ import annotations

import pytest

from fleet.deploy import Target, select_sites
from fleet.errors import BadInput
from fleet.registry import load_registry


def set_state(registry_dir, uai, state):
    path = registry_dir / "sites" / f"{uai}.yml"
    text = path.read_text()
    for old in ("onboarding", "active", "decommissioned"):
        text = text.replace(f"state: {old}", f"state: {state}")
    path.write_text(text)


def test_onboarding_sites_are_left_out_of_all_unless_asked(registry_dir):
    uais = sorted(p.stem for p in (registry_dir / "sites").glob("*.yml"))[:3]
    for uai in sorted(p.stem for p in (registry_dir / "sites").glob("*.yml"))[3:]:
        (registry_dir / "sites" / f"{uai}.yml").unlink()
    allocations = registry_dir / "allocations.yml"
    allocations.write_text(
        "".join(line for line in allocations.read_text().splitlines(True)
                if not any(f"{u}:" in line for u in ("0180054L", "0180055M")))  # fmt: skip
    )
    set_state(registry_dir, uais[0], "onboarding")
    set_state(registry_dir, uais[1], "active")
    set_state(registry_dir, uais[2], "decommissioned")
    registry = load_registry(registry_dir)
    left_out = select_sites(registry, Target(all_sites=True, include_onboarding=False))
    assert left_out.sites == [uais[1]]
    assert uais[0] in left_out.note and "--include-onboarding" in left_out.note
    assert select_sites(registry, Target(all_sites=True)).sites == uais[:2]


def test_deploy_refuses_a_decommissioned_site(registry_dir, fleet):
    uai = sorted(p.stem for p in (registry_dir / "sites").glob("*.yml"))[0]
    set_state(registry_dir, uai, "decommissioned")
    registry = load_registry(registry_dir)
    with pytest.raises(BadInput, match="decommissioned"):
        select_sites(registry, Target(sites=[uai], refuse_decommissioned=True))
    code, out, err = fleet("--registry", str(registry_dir), "deploy", uai)
    assert code == 3 and f"site {uai} is decommissioned" in err
