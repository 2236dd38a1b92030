"""Secrets a site needs, found missing, generated straight into the encrypted vault file —
never printed, never in the command's output."""

from __future__ import annotations

import json

import yaml

from fleet.onboard import secrets
from fleet.registry import load_registry

from .conftest import onboarding_site


def test_required_derives_from_live_components_and_the_role(registry_dir):
    registry = load_registry(registry_dir)
    uai = onboarding_site(registry_dir)
    names = [s.name for s in secrets.required(registry, uai)]
    assert names == [
        "samba_ad_admin_password",
        "samba_ad_service_account_passwords.svc-opsi-join",
        "samba_ad_service_account_passwords.svc-ldap-read",
        "opnsense_api_key",
        "opnsense_api_secret",
    ]
    # the lab overlay gives each firewall a credentials file: no API key needed in the vault
    fw = f"fw1.{registry.domain(uai)}"
    overlay = {fw: {"fleet_opnsense_api_credentials_file": "/x/creds.json"}}
    assert "opnsense_api_key" not in [s.name for s in secrets.required(registry, uai, overlay)]


def test_generate_writes_an_encrypted_vault_and_keeps_what_was_there(registry_dir, fleet, tmp_path):
    uai = onboarding_site(registry_dir)
    password_file = tmp_path / "vault-pass"
    password_file.write_text("correct horse\n")
    vault = registry_dir / "vault" / f"{uai}.yml"
    text = yaml.safe_dump({"opnsense_api_key": "k" * 20, "opnsense_api_secret": "s" * 20})
    encrypted = secrets._vault(b"correct horse").encrypt(text).decode()
    vault.write_text(encrypted)

    code, out, err = fleet("--registry", str(registry_dir), "-o", "json", "site", "secrets",
                           uai, "--vault-password-file", str(password_file))  # fmt: skip
    assert code == 1, err
    assert [m["name"] for m in json.loads(out)["missing"]][0] == "samba_ad_admin_password"

    code, out, err = fleet("--registry", str(registry_dir), "-o", "json", "site", "secrets",
                           uai, "--generate", "--vault-password-file", str(password_file))  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["generated"] == [
        "samba_ad_admin_password",
        "samba_ad_service_account_passwords.svc-opsi-join",
        "samba_ad_service_account_passwords.svc-ldap-read",
    ]
    assert data["missing"] == []
    raw = vault.read_text()
    assert raw.startswith("$ANSIBLE_VAULT;1.1;AES256")
    assert oct(vault.stat().st_mode & 0o777) == "0o600"
    plain = secrets.read_vault(vault, b"correct horse")
    assert plain["opnsense_api_key"] == "k" * 20  # kept
    admin = plain["samba_ad_admin_password"]
    accounts = plain["samba_ad_service_account_passwords"]
    for value in (admin, *accounts.values()):
        assert len(value) == secrets.PASSWORD_LENGTH
        assert value not in out and value not in err and value not in raw
    assert len({admin, *accounts.values()}) == 3


def test_generate_needs_the_vault_password(registry_dir, fleet):
    uai = onboarding_site(registry_dir)
    code, out, err = fleet("--registry", str(registry_dir), "site", "secrets", uai, "--generate")
    assert code == 3 and "--vault-password-file" in err
    assert not (registry_dir / "vault" / f"{uai}.yml").exists()


def test_new_passwords_meet_samba_complexity():
    for _ in range(50):
        value = secrets.new_password()
        assert any(c.isupper() for c in value) and any(c.islower() for c in value)
        assert any(c.isdigit() for c in value) and any(c in secrets.SYMBOLS for c in value)
