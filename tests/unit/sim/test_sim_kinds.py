"""The registry of simulator kinds: the CLI's choices and factories come from it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from fleet.cli.lab_sim import sim
from fleet.errors import BadInput
from fleet.lab.sim.kinds import KINDS, SimKind, load_factory


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_loads_a_factory_of_that_kind(name):
    factory = load_factory(name)
    assert factory.kind == name == KINDS[name].name


def test_the_simulators_on_their_product_ports():
    assert {k.name: k.default_port for k in KINDS.values()} == {
        "pve": 8006,
        "opnsense": 443,
        "opsi": 4447,
        "switches": 22,
    }


def test_entries_are_immutable():
    with pytest.raises(AttributeError):
        KINDS["pve"].default_port = 1  # type: ignore[misc]
    assert isinstance(KINDS["opsi"], SimKind)


@pytest.mark.parametrize(
    ("kind", "target", "message"),
    [
        ("nosuch", None, "unknown simulator 'nosuch'"),
        ("pve", "fleet.lab.sim.nosuch:factory", "no module fleet.lab.sim.nosuch"),
        ("pve", "fleet.lab.sim.kinds:nosuch", "has no attribute 'nosuch'"),
    ],
)
def test_bad_kinds_and_targets_are_bad_input(kind, target, message):
    with pytest.raises(BadInput, match=message):
        load_factory(kind, target)


def test_cli_offers_exactly_the_registered_kinds_and_ports():
    result = CliRunner().invoke(sim, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "{" + "|".join(sorted(KINDS)) + "}" in result.output
    for k in KINDS.values():
        assert f"{k.name} {k.default_port}" in " ".join(result.output.split())
