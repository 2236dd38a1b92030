"""config.xml with its secrets masked, for the configuration backup repository (fleet.backups).

The file is kept byte for byte apart from the masked values, so `git log -p` shows real
changes. Masked: the text of every element whose name says it holds a secret (API keys and
secrets, passwords and their hashes, pre-shared keys, private keys, TLS keys, SNMP
communities, RADIUS/LDAP bind secrets…), and any PEM private key or OpenVPN static key block
wherever it appears. A masked value becomes `[masked by fleet]`, the same whatever it was.
"""

from __future__ import annotations

import re

MASK = "[masked by fleet]"
# element names whose text is a secret (case-insensitive, whole name)
SECRET_ELEMENTS = (
    "key", "secret", "password", "passwd", "bcrypt-hash", "sha512-hash", "md5-hash",
    "pre-shared-key", "presharedkey", "psk", "pskey", "prv", "private-key", "privatekey",
    "tls", "tlsauth", "shared_key", "sharedkey", "ldap_bindpw", "radius_secret",
    "radius_secret2", "authkey", "auth_pass", "otp_seed", "rocommunity", "community",
    "ipsec_psk", "encryption_password", "apikey", "api_key", "token",
)  # fmt: skip
_ELEMENT = re.compile(
    r"<(?P<tag>(?:" + "|".join(re.escape(n) for n in SECRET_ELEMENTS) + r"))(?P<attrs>(\s[^>]*)?)>"
    r"(?P<text>[^<]+)</(?P=tag)>",
    re.IGNORECASE,
)
_PEM = re.compile(
    r"-----BEGIN ((?:[A-Z]+ )?PRIVATE KEY|OpenVPN Static key V1)-----.*?-----END \1-----",
    re.DOTALL,
)


def mask(xml: str) -> tuple[str, int]:
    """(the configuration with its secrets masked, how many values were masked)."""
    count = 0

    def element(match: re.Match[str]) -> str:
        nonlocal count
        if match["text"].strip() in ("", MASK):
            return match[0]
        count += 1
        return f"<{match['tag']}{match['attrs'] or ''}>{MASK}</{match['tag']}>"

    def pem(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return MASK

    masked = _ELEMENT.sub(element, xml)
    masked = _PEM.sub(pem, masked)
    return masked, count


def revision(xml: str) -> dict[str, str]:
    """The `<revision>` of a config.xml: who saved it, when, why (for the commit message)."""
    block = re.search(r"<revision>(.*?)</revision>", xml, re.DOTALL)
    found: dict[str, str] = {}
    if block:
        for name in ("username", "time", "description"):
            value = re.search(rf"<{name}>(.*?)</{name}>", block[1], re.DOTALL)
            if value:
                found[name] = " ".join(value[1].split())
    return found
