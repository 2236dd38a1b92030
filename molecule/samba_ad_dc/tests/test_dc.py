"""Checks of a converged Samba AD DC. Those marked `molecule_only` read the scenario's own
user export or write (the backup run): `fleet verify` runs the others, read-only, on live DCs."""

from __future__ import annotations

import re

import pytest

PASSWORDS = "/var/lib/fleet/samba/initial-passwords.csv"


def test_samba_ad_dc_is_active_and_enabled(host):
    service = host.service("samba-ad-dc")
    assert service.is_running
    assert service.is_enabled
    for masked in ("smbd", "nmbd", "winbind"):
        assert host.run("systemctl is-enabled %s", masked).stdout.strip() == "masked"


def test_domain_level(host):
    out = host.check_output("samba-tool domain level show")
    assert re.search(
        r"Domain function level: \(Windows\) 2008 R2|Domain function level: \(Windows\) 201\d", out
    ), out
    assert "Forest function level" in out


def test_ou_tree_present(host, hostvars, base_dn):
    out = host.check_output(
        "ldbsearch -H /var/lib/samba/private/sam.ldb -b %s '(objectClass=organizationalUnit)' dn",
        base_dn,
    )
    dns = {line[4:].strip().lower() for line in out.splitlines() if line.startswith("dn: ")}
    expected = set()
    for top in [*hostvars["samba_ad_ous"], "Services"]:
        expected.add(f"ou={top},{base_dn}".lower())
    for room in hostvars["samba_ad_rooms"]:
        expected.add(f"ou={room},ou=ordinateurs,{base_dn}".lower())
    for classe in hostvars["samba_ad_classes"]:
        expected.add(f"ou={classe},ou=eleves,{base_dn}".lower())
    assert expected <= dns, sorted(expected - dns)
    # every OU fleet made carries its marker
    described = host.check_output(
        "ldbsearch -H /var/lib/samba/private/sam.ldb -b ou=Eleves,%s -s base description", base_dn
    )
    assert "description: [fleet]" in described


def test_ldap_and_kerberos_answer(host, realm):
    """The DC's LDAP and Kerberos ports listen, and the KDC answers for the realm (an unknown
    principal is refused by the KDC itself: nothing is written, no account is touched)."""
    for port in (389, 88):
        assert (
            host.socket(f"tcp://0.0.0.0:{port}").is_listening
            or host.socket(f"tcp://:::{port}").is_listening
        ), f"nothing listens on {port}"
    result = host.run("echo x | KRB5CCNAME=MEMORY: kinit fleet-verify-nobody@%s 2>&1", realm)
    assert result.rc != 0
    # MIT: "… not found in Kerberos database"; Heimdal: "Client (…) unknown"
    assert re.search(r"not found in Kerberos database|unknown", result.stdout), result.stdout


@pytest.mark.molecule_only
def test_latin1_export_was_synced_with_its_accents(host, base_dn):
    out = host.check_output(
        "ldbsearch -H /var/lib/samba/private/sam.ldb -b %s '(sAMAccountName=lmartin)' givenName",
        base_dn,
    )
    # ldbsearch prints non-ASCII values base64-encoded ("givenName:: ...")
    import base64

    match = re.search(r"^givenName(::?) (.+)$", out, re.M)
    assert match, out
    value = base64.b64decode(match.group(2)).decode() if match.group(1) == "::" else match.group(2)
    assert value == "Léa"
    assert re.search(r"^dn: CN=lmartin,OU=TG1,OU=Eleves,", out, re.M | re.I), out


@pytest.mark.molecule_only
def test_kinit_of_a_synced_user(host, realm):
    # The initial password is read from the root-only file inside the DC: never on a command line.
    assert host.file(PASSWORDS).mode == 0o600
    result = host.run(
        "grep '^jdupont;' %s | tail -n 1 | cut -d';' -f2 | KRB5CCNAME=/tmp/krb5cc_verify kinit jdupont@%s"
        " && KRB5CCNAME=/tmp/krb5cc_verify klist; rc=$?; rm -f /tmp/krb5cc_verify; exit $rc",
        PASSWORDS,
        realm,
    )
    assert result.rc == 0, result.stderr
    assert f"Default principal: jdupont@{realm}" in result.stdout


@pytest.mark.molecule_only
def test_a_wrong_password_is_refused(host, realm):
    result = host.run(
        "echo 'not-the-password' | KRB5CCNAME=/tmp/krb5cc_bad kinit jdupont@%s", realm
    )
    assert result.rc != 0


def test_srv_records_resolve_through_the_dc(host, realm, hostvars):
    # Molecule names the DC's FQDN; on a live site the inventory hostname is the FQDN
    fqdn = hostvars.get("samba_ad_dc_fqdn", hostvars.get("inventory_hostname", "")).lower()
    for name in ("_ldap._tcp", "_kerberos._udp"):
        out = host.check_output("host -t SRV %s.%s 127.0.0.1", name, realm.lower())
        assert re.search(rf"has SRV record \d+ \d+ \d+ {re.escape(fqdn)}\.", out), out
    # and the system resolver points at the DC
    assert host.file("/etc/resolv.conf").contains("^nameserver 127.0.0.1")


def test_managed_smb_conf_passes_testparm(host, realm):
    out = host.check_output("testparm --suppress-prompt --parameter-name=realm 2>/dev/null")
    assert out.strip() == realm
    assert host.file("/etc/samba/smb.conf").contains("Managed by fleet")


@pytest.mark.molecule_only
def test_backup_timer_enabled_and_a_run_produces_an_archive(host):
    timer = host.service("fleet-samba-backup.timer")
    assert timer.is_enabled
    assert timer.is_running
    before = set(host.check_output("ls -1 /var/backups/samba 2>/dev/null || true").split())
    host.check_output("systemctl start fleet-samba-backup.service")
    after = set(host.check_output("ls -1 /var/backups/samba").split())
    new = [name for name in after - before if name.endswith(".tar.bz2")]
    assert new, sorted(after)
    assert host.file("/var/backups/samba").mode == 0o700
    listing = host.check_output(
        "python3 -c 'import sys, tarfile; print(*tarfile.open(sys.argv[1]).getnames(), sep=chr(10))' %s",
        f"/var/backups/samba/{new[0]}",
    )
    assert "sam.ldb" in listing


def test_dbcheck_is_clean(host):
    out = host.check_output("samba-tool dbcheck")
    assert re.search(r"Checked \d+ objects \(0 errors\)", out), out
