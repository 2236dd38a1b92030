"""The stages come from the component table: pending while a component is not implemented,
live by themselves once it is; preflight first, verify last."""

from __future__ import annotations

import dataclasses

import pytest

from fleet import components
from fleet.onboard import stages
from fleet.registry import load_registry

from .conftest import onboarding_site


def test_stage_order_follows_the_table():
    assert stages.names() == ["preflight", "network", "hypervisor", "guests", "base",
                              "directory", "software", "switches", "verify"]  # fmt: skip
    by_name = {s.name: s for s in stages.stages()}
    assert by_name["network"].playbook == "playbooks/opnsense.yml"
    assert by_name["directory"].playbook == "playbooks/samba_ad.yml"
    assert by_name["guests"].playbook == stages.REACHABLE_PLAYBOOK
    assert by_name["preflight"].playbook is None


def test_not_implemented_components_are_pending_with_the_reason(registry_dir):
    registry = load_registry(registry_dir)
    plan = {a.stage.name: a for a in stages.for_site(registry.site(onboarding_site(registry_dir)))}
    for name in ("hypervisor", "guests", "software", "switches"):
        component = components.get(plan[name].stage.component)
        assert not component.implemented  # (if this fails, that component landed: good news)
        assert plan[name].state == stages.PENDING and not plan[name].live
        assert f"component {component.name} is not implemented" in plan[name].reason
    for name in ("preflight", "network", "base", "directory", "verify"):
        assert plan[name].live, name


def test_a_stage_goes_live_when_its_component_lands(registry_dir, monkeypatch):
    registry = load_registry(registry_dir)
    uai = onboarding_site(registry_dir)
    table = [dataclasses.replace(c, implemented=True) if c.name == "opsi" else c
             for c in components.COMPONENTS]  # fmt: skip
    monkeypatch.setattr(components, "COMPONENTS", table)
    plan = {a.stage.name: a for a in stages.for_site(registry.site(uai))}
    assert plan["software"].live and plan["software"].state == stages.TODO
    assert not plan["hypervisor"].live


def test_a_new_component_gets_a_stage_of_its_own_name(monkeypatch):
    extra = components.Component(name="printers", title="Print servers", group="printers",
                                 hosts=("guest:print",), roles=("print_server",),
                                 registry=("guests",))  # fmt: skip
    monkeypatch.setattr(components, "COMPONENTS", [*components.COMPONENTS, extra])
    assert stages.names()[-2:] == ["printers", "verify"]


def test_no_hosts_of_a_component_is_said_so(registry_dir):
    registry = load_registry(registry_dir)
    uai = onboarding_site(registry_dir)
    site = registry.site(uai).model_copy(update={"firewall": None})
    plan = {a.stage.name: a for a in stages.for_site(site)}
    assert plan["network"].state == stages.NO_HOSTS and not plan["network"].live


@pytest.mark.parametrize("name", ["preflight", "verify"])
def test_fleet_own_stages_have_no_component(name):
    assert {s.name: s for s in stages.stages()}[name].component is None
