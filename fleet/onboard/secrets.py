"""The secrets a site needs before it can be onboarded, and generating the missing ones.

What a site needs is derived from its live components (implemented, with hosts on the site):
- samba_ad: `samba_ad_admin_password`, and one password per service account the role creates
  (`samba_ad_dc_service_accounts` in the role's defaults) under
  `samba_ad_service_account_passwords`; fleet can generate these;
- opnsense: `opnsense_api_key` / `opnsense_api_secret`, issued by the firewall itself (System →
  Access → Users → API keys): fleet cannot make them, it says where they go. A host whose lab
  overlay names a credentials file (`fleet_opnsense_api_credentials_file`) needs none.

Generated values go straight into the site's vault file, encrypted with ansible-vault (the same
format `ansible-vault encrypt` writes), atomically; they are never printed, logged or returned:
callers get the names of what was added.
"""

from __future__ import annotations

import secrets as random
import string
from dataclasses import dataclass
from pathlib import Path

import yaml

from fleet import components
from fleet.errors import BadInput
from fleet.fsutil import atomic_write
from fleet.paths import Paths
from fleet.registry import Registry

PASSWORD_LENGTH = 24
SYMBOLS = "-_.+!"
HEADER = "$ANSIBLE_VAULT;"


@dataclass(frozen=True)
class Secret:
    path: tuple[str, ...]  # keys in the vault document, e.g. ("samba_ad_admin_password",)
    component: str
    generate: bool  # fleet can make it (a password) or not (an API key the device issues)
    hint: str = ""

    @property
    def name(self) -> str:
        return ".".join(self.path)


def _service_accounts(root: Path) -> list[str]:
    defaults = root / "roles" / "samba_ad_dc" / "defaults" / "main.yml"
    try:
        data = yaml.safe_load(defaults.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise BadInput(f"{defaults}: cannot read the samba_ad_dc role's defaults: {exc}") from exc
    return [a["name"] for a in data.get("samba_ad_dc_service_accounts") or []]


def _live(registry: Registry, uai: str) -> set[str]:
    present = set(registry.site(uai).components())
    return {c.name for c in components.implemented() if c.name in present}


def required(
    registry: Registry, uai: str, overlay: dict | None = None, root: Path | None = None
) -> list[Secret]:
    """The secrets `uai`'s live components need (see the module docstring)."""
    root = root or Paths.find(registry.root).root
    live = _live(registry, uai)
    needed: list[Secret] = []
    if "samba_ad" in live:
        needed.append(Secret(("samba_ad_admin_password",), "samba_ad", True))
        needed += [
            Secret(("samba_ad_service_account_passwords", name), "samba_ad", True)
            for name in _service_accounts(root)
        ]
    if "opnsense" in live:
        from fleet.inventory import site_inventory

        inventory = site_inventory(registry, uai, overlay)
        hostvars = inventory.get("_meta", {}).get("hostvars", {})
        group = components.get("opnsense").group
        firewalls = (inventory.get(group) or {}).get("hosts", [])
        lab_credentials = firewalls and all(
            hostvars.get(h, {}).get("fleet_opnsense_api_credentials_file") for h in firewalls
        )
        if not lab_credentials:
            hint = "issued by the firewall (System > Access > Users > API keys)"
            needed += [
                Secret(("opnsense_api_key",), "opnsense", False, hint),
                Secret(("opnsense_api_secret",), "opnsense", False, hint),
            ]
    return needed


def _vault(password: bytes):
    from ansible.parsing.vault import VaultLib, VaultSecret

    # as ansible reads a password file: surrounding whitespace (the newline) is not part of it
    return VaultLib([("default", VaultSecret(password.strip()))])


def read_vault(path: Path, password: bytes | None) -> dict:
    """The site's vault document ({} when there is no vault file)."""
    path = Path(path)
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    if raw.startswith(HEADER.encode()):
        if password is None:
            raise BadInput(
                f"{path} is encrypted: give --vault-password-file or set FLEET_VAULT_PASSWORD_FILE"
            )
        from ansible.errors import AnsibleError

        try:
            raw = _vault(password).decrypt(raw)
        except AnsibleError as exc:
            raise BadInput(f"{path}: cannot decrypt with this vault password: {exc}") from None
    try:
        data = yaml.safe_load(raw.decode("utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a mapping of variables")
    return data


def _get(data: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def missing(registry: Registry, uai: str, password: bytes | None, overlay: dict | None = None,
            root: Path | None = None) -> list[Secret]:  # fmt: skip
    """Needed secrets absent (or empty) in the site's vault file."""
    needed = required(registry, uai, overlay, root)
    if not needed:
        return []
    data = read_vault(registry.vault_file(uai), password)
    return [s for s in needed if not _get(data, s.path)]


def new_password(length: int = PASSWORD_LENGTH) -> str:
    """Random, with upper and lower case letters, digits and a symbol (Samba's complexity)."""
    alphabet = string.ascii_letters + string.digits + SYMBOLS
    while True:
        value = "".join(random.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in value)
            and any(c.isupper() for c in value)
            and any(c.isdigit() for c in value)
            and any(c in SYMBOLS for c in value)
        ):
            return value


def generate(registry: Registry, uai: str, password: bytes, overlay: dict | None = None,
             root: Path | None = None) -> tuple[list[str], list[Secret]]:  # fmt: skip
    """Add every missing generatable secret to the site's vault file (encrypted, atomically).
    Returns (names added, secrets still missing that fleet cannot make). Values never leave."""
    path = registry.vault_file(uai)
    data = read_vault(path, password)
    added, cannot = [], []
    for secret in required(registry, uai, overlay, root):
        if _get(data, secret.path):
            continue
        if not secret.generate:
            cannot.append(secret)
            continue
        target = data
        for key in secret.path[:-1]:
            target = target.setdefault(key, {})
        target[secret.path[-1]] = new_password()
        added.append(secret.name)
    if added:
        text = yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
        encrypted = _vault(password).encrypt(text).decode("ascii")
        atomic_write(path, encrypted, mode=0o600)
    return added, cannot
