"""Read-only checks of the base role: safe to run against a live site (`fleet verify`)."""

from __future__ import annotations

import time
import uuid

import pytest

FORWARD_RULE = "/etc/rsyslog.d/90-fleet-forward.conf"  # role base, tasks/syslog.yml
# sshd -T prints the historical alias for prohibit-password
SSHD_ALIASES = {"prohibit-password": "without-password"}


def sshd_settings(host) -> dict[str, str]:
    out = host.check_output("/usr/sbin/sshd -T")
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def test_timezone_is_the_registry_one(host, expected):
    localtime = host.file("/etc/localtime")
    assert localtime.is_symlink
    assert localtime.linked_to == f"/usr/share/zoneinfo/{expected['timezone']}"
    assert host.file("/etc/timezone").content_string.strip() == expected["timezone"]


def test_chrony_runs_with_the_registry_servers(host, expected):
    assert host.package("chrony").is_installed
    chrony = host.service("chrony")
    assert chrony.is_running
    assert chrony.is_enabled
    conf = host.file("/etc/chrony/chrony.conf").content_string
    servers = [
        line.split()[1] for line in conf.splitlines() if line.startswith(("server ", "pool "))
    ]
    assert servers == list(expected["ntp_servers"])
    # chronyd answers its control socket and knows exactly those sources
    sources = host.check_output("chronyc -n sources")
    for server in expected["ntp_servers"]:
        assert server in sources


def test_journal_size_is_limited(host, expected):
    conf = host.file("/etc/systemd/journald.conf.d/fleet.conf")
    assert conf.exists
    assert f"SystemMaxUse={expected['journald_max_use']}" in conf.content_string.splitlines()
    assert host.service("systemd-journald").is_running


def test_logs_are_forwarded_to_the_syslog_server(host, expected):
    rule = host.file(FORWARD_RULE)
    if not expected["syslog_server"]:
        assert not rule.exists, "no syslog_server in the inventory, yet a forwarding rule"
        return
    text = rule.content_string
    assert f'target="{expected["syslog_server"]}"' in text, text
    assert f'port="{expected["syslog_port"]}"' in text, text
    assert f'protocol="{expected["syslog_protocol"]}"' in text, text
    assert 'type="omfwd"' in text
    assert 'queue.type="LinkedList"' in text  # its own queue: a dead collector blocks nothing
    rsyslog = host.service("rsyslog")
    assert rsyslog.is_running
    assert rsyslog.is_enabled
    # the whole configuration (rsyslog.conf and its includes) is valid
    check = host.run("/usr/sbin/rsyslogd -N1")
    assert check.rc == 0, check.stderr


def test_a_logged_message_reaches_the_collector(host, expected, hostvars):
    """Where the test collector's capture file is known (Molecule's stand-in collector)."""
    capture = hostvars.get("fleet_test_syslog_capture")
    if not capture:
        pytest.skip("no test collector here (fleet_test_syslog_capture): checked under Molecule")
    token = f"fleet-verify-{uuid.uuid4().hex}"
    host.run_expect([0], f"logger -t fleet-verify {token}")
    for _ in range(60):  # a bounded wait for delivery, not a timing assertion
        if host.run(f"grep -q {token} {capture}").rc == 0:
            return
        time.sleep(1)
    pytest.fail(f"{token} logged but not received by the collector ({capture})")


def test_sshd_is_hardened(host, expected):
    assert host.service("ssh").is_running
    settings = sshd_settings(host)
    root_login = expected["ssh_permit_root_login"]
    assert settings["permitrootlogin"] == SSHD_ALIASES.get(root_login, root_login)
    assert settings["passwordauthentication"] == "no"
    assert settings["kbdinteractiveauthentication"] == "no"
    assert settings["permitemptypasswords"] == "no"
    assert settings["x11forwarding"] == "no"
    assert settings["maxauthtries"] == str(expected["ssh_max_auth_tries"])


def test_admin_accounts_exist_with_their_key(host, expected):
    group = expected["admin_group"]
    for account in expected["admin_accounts"]:
        user = host.user(account["name"])
        assert user.exists, account["name"]
        assert group in user.groups
        assert user.shell == "/bin/bash"
        keys = host.file(f"{user.home}/.ssh/authorized_keys")
        assert keys.user == account["name"]
        assert keys.mode & 0o077 == 0
        assert [line.split()[:2] for line in keys.content_string.splitlines() if line.strip()] == [
            account["ssh_key"].split()[:2]
        ]


def test_admin_group_has_sudo(host, expected):
    sudoers = host.file("/etc/sudoers.d/fleet-admins")
    assert sudoers.mode == 0o440
    assert host.run("visudo -cf /etc/sudoers.d/fleet-admins").rc == 0
    for account in expected["admin_accounts"]:
        assert "NOPASSWD: ALL" in host.check_output(f"sudo -n -l -U {account['name']}")
