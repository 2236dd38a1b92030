"""Read-only checks of the base role: safe to run against a live site (`fleet verify`)."""

from __future__ import annotations

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
