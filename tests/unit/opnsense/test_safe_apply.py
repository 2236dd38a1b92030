"""A bad change never leaves a site cut off, and a failure leaves the firewall in its previous
applied state: the safe apply of filter rules (savepoint up to 26.1, configuration backup from
26.7) and the undo of every other group, against simulated firewalls whose packet filter guards
their own API (fleet.lab.sim.opnsense.pf) and whose faults are injected by the simulator."""

from __future__ import annotations

import copy

import pytest

from fleet.opnsense import reconcile as R

ALIASES = [{"name": "region_mgmt", "type": "network", "content": ["127.0.0.0/8"]}]
MANAGEMENT = {"name": "management", "interface": ["wan"], "source": "region_mgmt"}
LOCKDOWN = {"name": "lockdown", "interface": ["wan"], "action": "block", "destination": "(self)"}
NARROW = [{"name": "region_mgmt", "type": "network", "content": ["10.99.0.0/16"]}]
FAST = R.SafeApply(probe_tries=2, probe_pause=0.1, poll=0.3, rollback_wait=8)


def rules(site, wanted, safety=FAST):
    return R.rules(site.client, site.firmware, R.desired_rules(wanted), safety=safety)


def running_rules(site) -> set[str]:
    return {r["description"] for r in site.running("rule").values()}


def reachable(site) -> bool:
    client = site.fresh_client()
    try:
        client.read("core/firmware/running")
        return True
    except R.Unreachable:
        return False
    finally:
        client.close()


def base(site):
    R.aliases(site.client, R.desired_aliases(ALIASES))
    rules(site, [MANAGEMENT])
    assert reachable(site)
    return copy.deepcopy(site.saved("rule")), running_rules(site)


@pytest.mark.parametrize("version", ["26.1", "26.7.2"])
def test_a_change_that_cuts_the_api_off_is_rolled_back(firewall, tmp_path, version):
    site = firewall(version)
    saved, running = base(site)
    # the management network no longer holds the controller, and a rule blocks the rest
    R.aliases(site.client, R.desired_aliases(NARROW), safety=FAST)
    safety = R.SafeApply(**{**FAST.__dict__, "restore_file": str(tmp_path / "fw1.xml")})
    with pytest.raises(R.ReconcileError) as failed:
        rules(site, [MANAGEMENT, LOCKDOWN], safety)
    message = failed.value.message
    assert message.startswith(
        "the change cut the API off (new connections to the API got no answer"
    )
    assert "reverted over the connection still open" in message
    assert ("savepoint" if version == "26.1" else "configuration backup config-") in message
    assert reachable(site)
    assert site.saved("rule") == saved and running_rules(site) == running
    assert site.device.state["rollbacks"] == {}  # no timer left to fire over a later change
    if version != "26.1":  # 26.7 kept the pre-change configuration for a console restore
        kept = tmp_path / "fw1.xml"
        assert kept.stat().st_mode & 0o777 == 0o600 and "<opnsense" in kept.read_text()


def test_26_1_falls_back_on_the_firewalls_own_rollback(firewall):
    site = firewall("26.1")
    saved, running = base(site)
    site.device.rollback_seconds = 1.5
    R.aliases(site.client, R.desired_aliases(NARROW), safety=FAST)
    # the connection fleet holds is lost too: its revert never arrives
    site.faults("dev=0450050K:drop:path=/api/firewall/filter/revert/*")
    with pytest.raises(R.ReconcileError) as failed:
        rules(site, [MANAGEMENT, LOCKDOWN])
    assert "rolled back by the firewall itself" in failed.value.message
    site.faults("")
    assert reachable(site) and site.saved("rule") == saved and running_rules(site) == running


def test_26_7_without_any_way_back_says_how_to_restore(firewall, tmp_path):
    site = firewall("26.7.2")
    base(site)
    R.aliases(site.client, R.desired_aliases(NARROW), safety=FAST)
    site.faults("dev=0450050K:drop:path=/api/core/backup/revertBackup/*")
    safety = R.SafeApply(**{**FAST.__dict__, "restore_file": str(tmp_path / "fw1.xml")})
    with pytest.raises(R.ReconcileError) as failed:
        rules(site, [MANAGEMENT, LOCKDOWN], safety)
    assert "still does not answer: restore configuration backup config-" in failed.value.message
    assert str(tmp_path / "fw1.xml") in failed.value.message


@pytest.mark.parametrize("version", ["26.1", "26.7.2"])
def test_a_failing_apply_rolls_the_rules_back(firewall, version):
    site = firewall(version)
    saved, running = base(site)
    site.faults("dev=0450050K:error=500:path=/api/firewall/filter/apply*:method=POST")
    with pytest.raises(R.ReconcileError) as failed:
        rules(site, [MANAGEMENT, {"name": "new", "interface": ["opt5"]}])
    message = failed.value.message
    assert "applying the filter rules failed" in message
    assert "HTTP 500: Unexpected error, check log for details" in message
    assert "rolled back to" in message
    site.faults("")
    assert site.saved("rule") == saved and running_rules(site) == running


def test_a_failing_rule_write_rolls_back_what_was_written(firewall):
    site = firewall("26.1")
    saved, running = base(site)
    site.faults("dev=0450050K:error=500:path=/api/firewall/filter/addRule:after=1")
    with pytest.raises(R.ReconcileError, match="add filter rule b failed: .*HTTP 500.*rolled back"):
        rules(site, [MANAGEMENT, {"name": "a", "interface": ["opt5"]},
                     {"name": "b", "interface": ["opt5"]}])  # fmt: skip
    site.faults("")
    assert site.saved("rule") == saved and running_rules(site) == running


def test_an_alias_change_that_cuts_the_api_off_is_undone(firewall):
    site = firewall("26.7.2")
    base(site)
    rules(site, [MANAGEMENT, LOCKDOWN])  # harmless while the management alias holds us
    assert reachable(site)
    with pytest.raises(R.ReconcileError, match="cut the API off .*undone over the connection"):
        R.aliases(site.client, R.desired_aliases(NARROW), safety=FAST)
    assert reachable(site)
    alias = next(a for a in site.saved("alias").values() if a["name"] == "region_mgmt")
    assert alias["content"] == "127.0.0.0/8"


SUBNETS = [{"subnet": "10.0.4.0/22", "pools": ["10.0.4.100-10.0.4.200"],
            "routers": ["10.0.4.1"], "dns_servers": ["10.0.4.1"]}]  # fmt: skip
RESERVATIONS = [{"subnet": "10.0.4.0/22", "ip_address": "10.0.4.30", "mac": "00:1b:a9:4c:10:01",
                 "hostname": "printer-cdi"}]  # fmt: skip


def dhcp(site):
    return R.dhcp(site.client, {"enabled": True, "interfaces": ["opt5"]},
                  R.desired_subnets(SUBNETS), R.desired_reservations(RESERVATIONS))  # fmt: skip


def kea_state(site) -> tuple:
    keys = ("subnet4", "reservation", "kea.general")
    return tuple(copy.deepcopy(site.saved(k)) for k in keys), tuple(
        copy.deepcopy(site.running(k)) for k in keys
    )


@pytest.mark.parametrize(
    "spec,said",
    [
        ("error=500:path=/api/kea/dhcpv4/addReservation", "HTTP 500: Unexpected error"),
        ("error=500:path=/api/kea/service/reconfigure", "applying kea/service/reconfigure failed"),
    ],
)
def test_a_failing_write_or_apply_undoes_the_writes(firewall, spec, said):
    site = firewall("26.7.2")
    before = kea_state(site)
    site.faults(f"dev=0450050K:{spec}")
    with pytest.raises(R.ReconcileError) as failed:
        dhcp(site)
    assert said in failed.value.message
    assert "were undone; nothing was applied" in failed.value.message
    site.faults("")
    assert kea_state(site) == before  # saved and running as before


def test_a_timeout_mid_reconcile_applies_nothing(firewall):
    site = firewall("26.7.2")
    site.client.timeout = 1.0
    before = kea_state(site)
    # POSTs: two searches, the settings and the subnet pass; the reservation never answers
    site.faults("dev=0450050K:hang=30s:method=POST:after=4")
    with pytest.raises(R.ReconcileError) as failed:
        dhcp(site)
    message = failed.value.message
    assert "no answer within 1 s" in message
    assert "saved but not applied; the running configuration is unchanged" in message
    site.faults("")
    assert kea_state(site)[1] == before[1]  # nothing applied
    site.client.timeout = 10.0
    assert dhcp(site).changed and kea_state(site)[1] != before[1]  # the next run converges
