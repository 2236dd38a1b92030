# ruff: noqa: UP031
"""Shared code for the fleet_samba_* modules: the local sam.ldb through Samba's own bindings.

The modules run on the DC with /usr/bin/python3 (python3-samba). Reading and writing the
directory through SamDB instead of shelling out to samba-tool gives exact before/after state
for check mode and diffs, and keeps passwords off every command line (they travel as module
parameters over Ansible's stdin and are written with an LDAP modify).
"""

from __future__ import annotations

import os
import secrets
import struct

SAM_LDB = "/var/lib/samba/private/sam.ldb"
MARKER = "[fleet]"  # description prefix of the objects fleet manages
UF_ACCOUNTDISABLE = 0x2
UF_DONT_EXPIRE_PASSWD = 0x10000


class NotProvisioned(Exception):
    """The DC has no domain yet (first run in check mode): callers report 'would create'."""


def provisioned() -> bool:
    return os.path.exists(SAM_LDB)


def open_samdb(module):
    """SamDB on the local sam.ldb with the system session (what samba-tool does locally)."""
    if not provisioned():
        raise NotProvisioned()
    try:
        from samba.auth import system_session
        from samba.param import LoadParm
        from samba.samdb import SamDB
    except ImportError as exc:
        module.fail_json(
            msg=f"python3-samba is not importable on the DC ({exc}); install the samba_ad_dc role's packages "
            "and run the module with ansible_python_interpreter=/usr/bin/python3"
        )
    lp = LoadParm()
    lp.load_default()
    return SamDB(url=SAM_LDB, session_info=system_session(), lp=lp)


def ldb_module():
    import ldb

    return ldb


def escape(value: str) -> str:
    """Escape a value for an LDAP filter."""
    return ldb_module().binary_encode(value)


def first(msg, attr: str, default: str = "") -> str:
    if attr not in msg or len(msg[attr]) == 0:
        return default
    value = msg[attr][0]
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def values(msg, attr: str) -> list[str]:
    if attr not in msg:
        return []
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in msg[attr]]


def replace(samdb, dn: str, changes: dict) -> None:
    """One LDAP modify replacing (or, for None, deleting) the given attributes."""
    ldb = ldb_module()
    message = ldb.Message()
    message.dn = ldb.Dn(samdb, dn)
    for attr, value in changes.items():
        if value is None or value == "":
            message[attr] = ldb.MessageElement([], ldb.FLAG_MOD_DELETE, attr)
        else:
            message[attr] = ldb.MessageElement(str(value), ldb.FLAG_MOD_REPLACE, attr)
    samdb.modify(message)


def set_members(samdb, group_dn: str, add: list[str], remove: list[str]) -> None:
    """Add/remove member DNs of a group in one modify."""
    ldb = ldb_module()
    message = ldb.Message()
    message.dn = ldb.Dn(samdb, group_dn)
    if add:
        message["add"] = ldb.MessageElement(sorted(add), ldb.FLAG_MOD_ADD, "member")
    if remove:
        message["del"] = ldb.MessageElement(sorted(remove), ldb.FLAG_MOD_DELETE, "member")
    if add or remove:
        samdb.modify(message)


def find_account(samdb, login: str, attrs=None):
    """The user or group whose sAMAccountName is `login` (case-insensitive), or None."""
    ldb = ldb_module()
    found = samdb.search(
        base=samdb.domain_dn(),
        scope=ldb.SCOPE_SUBTREE,
        expression=f"(sAMAccountName={escape(login)})",
        attrs=attrs or ["*"],
    )
    return found[0] if found else None


def parent_dn(dn: str) -> str:
    """Parent of a DN whose RDN holds no escaped comma (fleet's names never do)."""
    return str(dn).split(",", 1)[1]


def dn_to_path(dn: str, base_dn: str) -> str:
    """ "OU=2NDE1,OU=Eleves,DC=x" -> "Eleves/2NDE1"; containers keep their CN ("Users")."""
    rest = (
        str(dn)[: -len(base_dn) - 1] if str(dn).lower().endswith("," + base_dn.lower()) else str(dn)
    )
    parts = [rdn.split("=", 1)[1] for rdn in rest.split(",") if "=" in rdn]
    return "/".join(reversed(parts))


def nt_hash(password: str) -> bytes:
    """MD4 of the UTF-16LE password: what AD stores in unicodePwd (RFC 1320, written here
    because OpenSSL 3 hides MD4 in its legacy provider)."""
    data = password.encode("utf-16-le")
    try:
        import hashlib

        return hashlib.new("md4", data).digest()
    except (ValueError, TypeError):
        pass
    mask = 0xFFFFFFFF

    def rotl(x, n):
        return ((x << n) | (x >> (32 - n))) & mask

    length = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    data += b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", length)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for offset in range(0, len(data), 64):
        x = struct.unpack("<16I", data[offset : offset + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in range(16):  # round 1
            k, s = i, (3, 7, 11, 19)[i % 4]
            f = (b & c) | (~b & d)
            a, b, c, d = d, rotl((a + f + x[k]) & mask, s), b, c
        for i in range(16):  # round 2
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            g = (b & c) | (b & d) | (c & d)
            a, b, c, d = d, rotl((a + g + x[k] + 0x5A827999) & mask, s), b, c
        for i in range(16):  # round 3
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            s = (3, 9, 11, 15)[i % 4]
            h = b ^ c ^ d
            a, b, c, d = d, rotl((a + h + x[k] + 0x6ED9EBA1) & mask, s), b, c
        a, b, c, d = (a + aa) & mask, (b + bb) & mask, (c + cc) & mask, (d + dd) & mask
    return struct.pack("<4I", a, b, c, d)


def password_matches(samdb, dn: str, password: str) -> bool:
    """True when the account's stored NT hash is the hash of `password` (read locally)."""
    ldb = ldb_module()
    found = samdb.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["unicodePwd"])
    if not found or "unicodePwd" not in found[0]:
        return False
    return bytes(found[0]["unicodePwd"][0]) == nt_hash(password)


def set_password(samdb, login: str, password: str, must_change: bool = False) -> None:
    samdb.setpassword(
        f"(sAMAccountName={escape(login)})", password, force_change_at_next_login=must_change
    )


def random_password(length: int = 14) -> str:
    """A password that passes AD complexity: every class present, no ambiguous characters."""
    classes = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "-_.!+=")
    chars = [secrets.choice(c) for c in classes]
    alphabet = "".join(classes)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def marked(description: str, text: str = "") -> str:
    return f"{MARKER} {text}".strip() if text else MARKER


def is_marked(description: str) -> bool:
    return description.startswith(MARKER)


__all__ = [
    "MARKER",
    "NotProvisioned",
    "UF_ACCOUNTDISABLE",
    "UF_DONT_EXPIRE_PASSWD",
    "dn_to_path",
    "escape",
    "find_account",
    "first",
    "is_marked",
    "marked",
    "nt_hash",
    "open_samdb",
    "parent_dn",
    "password_matches",
    "provisioned",
    "random_password",
    "replace",
    "set_members",
    "set_password",
    "values",
]
