"""Golden renders and remediations for both platforms, the order of the remediation (a VLAN
created before a port uses it, removed after the port leaves it), unmanaged lines left alone,
and apply → re-read → nothing left, against the simulated devices' command grammar (no SSH)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.lab.sim.switches.device import CommandError, Switch
from fleet.switches.remediation import mask, remediate
from fleet.switches.render import MASK, RenderError, render
from tests.unit.switches.intents import INTENTS, SECRETS, intent

PROJECT = Path(__file__).resolve().parents[3]
TEMPLATES = PROJECT / "templates/switches"
GOLDEN = Path(__file__).parent / "golden"
PLATFORMS = sorted(INTENTS)


def apply(device: Switch, lines: list[str]) -> None:
    """What netmiko's send_config_set does: one line after the other in configuration mode."""
    context = None
    for line in lines:
        context = device.configure(context, line.strip())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_render_matches_the_golden_file(platform):
    text = render(INTENTS[platform], TEMPLATES)
    assert text == (GOLDEN / f"{platform}.cfg").read_text()
    assert text == render(INTENTS[platform], TEMPLATES)  # deterministic
    assert f"{MASK}" in text and SECRETS["snmp_community"] not in text  # no vault: masked


@pytest.mark.parametrize("platform", PLATFORMS)
def test_remediation_from_factory_settings_matches_the_golden_file(platform):
    running = Switch("sw", platform, 12).show_running()
    plan = remediate(platform, running, render(INTENTS[platform], TEMPLATES, SECRETS))
    assert "\n".join(plan.lines) + "\n" == (GOLDEN / f"{platform}.remediation").read_text()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_apply_then_reread_leaves_nothing(platform):
    device = Switch("sw", platform, 12)
    intended = render(INTENTS[platform], TEMPLATES, SECRETS)
    apply(device, remediate(platform, device.show_running(), intended).lines)
    again = remediate(platform, device.show_running(), intended)
    assert again.lines == []


def _converged(platform: str) -> tuple[Switch, str]:
    device = Switch("sw", platform, 12)
    intended = render(INTENTS[platform], TEMPLATES, SECRETS)
    apply(device, remediate(platform, device.show_running(), intended).lines)
    return device, intended


def _index(lines: list[str], wanted: str, after: int = -1) -> int:
    for i, line in enumerate(lines):
        if i > after and line.strip() == wanted:
            return i
    raise AssertionError(f"{wanted!r} not in {lines}")


PORT = {"hp_procurve": "interface 3", "cisco_ios": "interface GigabitEthernet1/0/3"}
JOIN = {"hp_procurve": "untagged vlan 60", "cisco_ios": "switchport access vlan 60"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_vlan_is_created_before_a_port_uses_it(platform):
    device, _ = _converged(platform)
    data = intent(platform)
    data["vlans"] = [*data["vlans"], {"id": 60, "name": "toip"}]
    data["profiles"] = {**data["profiles"],
                        "toip": {"mode": "access", "untagged": 60, "tagged": [], "description": "phones"}}  # fmt: skip
    data["ports"] = [{"ports": "1-2", "profile": "pedago"}, {"ports": "3", "profile": "toip"},
                     *data["ports"][1:]]  # fmt: skip
    intended = render(data, TEMPLATES, SECRETS)
    lines = remediate(platform, device.show_running(), intended).lines
    port = _index(lines, PORT[platform])
    assert _index(lines, "vlan 60") < port < _index(lines, JOIN[platform], port)
    apply(device, lines)
    assert remediate(platform, device.show_running(), intended).lines == []


HAND = {
    "hp_procurve": ["vlan 99", 'name "hand"', "interface 3", "untagged vlan 99"],
    "cisco_ios": [
        "vlan 99",
        "name hand",
        "interface GigabitEthernet1/0/3",
        "switchport access vlan 99",
    ],
}
BACK = {"hp_procurve": "untagged vlan 40", "cisco_ios": "switchport access vlan 40"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_hand_made_vlan_is_removed_after_the_port_leaves_it(platform):
    device, intended = _converged(platform)
    apply(device, HAND[platform])
    lines = remediate(platform, device.show_running(), intended).lines
    assert [line.strip() for line in lines] == [PORT[platform], BACK[platform], "no vlan 99"]
    apply(device, lines)
    assert remediate(platform, device.show_running(), intended).lines == []


UNMANAGED = {
    "hp_procurve": (["console idle-timeout 300", "interface 5", "speed-duplex auto-100"],
                    ["console idle-timeout 300", "interface 5: speed-duplex auto-100"]),
    "cisco_ios": (["spanning-tree mode rapid-pvst", "interface GigabitEthernet1/0/5", "spanning-tree portfast"],
                  ["spanning-tree mode rapid-pvst", "interface GigabitEthernet1/0/5: spanning-tree portfast"]),
}  # fmt: skip


@pytest.mark.parametrize("platform", PLATFORMS)
def test_unmanaged_lines_are_listed_and_left_alone(platform):
    device, intended = _converged(platform)
    typed, listed = UNMANAGED[platform]
    apply(device, typed)
    plan = remediate(platform, device.show_running(), intended)
    assert plan.lines == []
    for line in listed:
        assert line in plan.unmanaged


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_device_refuses_what_it_does_not_know(platform):
    device = Switch("sw", platform, 12)
    with pytest.raises(CommandError, match="Invalid input"):
        device.configure(None, "frobnicate the vlans")
    with pytest.raises(CommandError):
        device.configure(
            None, "interface 99" if platform == "hp_procurve" else "interface Gi1/0/99"
        )


def test_a_missing_template_is_named():
    with pytest.raises(RenderError, match="no template for platform 'aruba_aoscx'"):
        render(intent("hp_procurve", platform="aruba_aoscx"), TEMPLATES)


def test_mask_hides_every_secret():
    assert (
        mask('snmp-server community "abc" operator', ["abc"])
        == 'snmp-server community "********" operator'
    )
