"""Naming rules for a site's Active Directory: realm, NetBIOS name, OU names and the OU tree.

Standard library only, no fleet imports: the same file is shipped to the DC as the Ansible
module_utils `fleet_samba_naming` (plugins/module_utils/fleet_samba_naming.py is a symlink to it),
so the registry validator and the modules apply exactly the same rules.

Every check returns a list of messages (empty = valid) so callers can wrap them in their own
error type: fleet.errors.Problem on the controller, module.fail_json on the DC.
"""

from __future__ import annotations

import re

# Characters that must be escaped in an LDAP RDN (RFC 4514) plus "/" (used as our path separator).
OU_FORBIDDEN = ',+"\\<>;=/#'
OU_MAX_LENGTH = 64  # the schema's rangeUpper for "ou"
NETBIOS_MAX_LENGTH = 15
_NETBIOS = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")

# OU keys understood in a tree entry; "per" expands one child per class or room.
TREE_KEYS = {"name", "description", "children", "per"}
PER_VALUES = ("classes", "rooms")
# Top-level OUs that get one child per class or per room when the tree gives plain names (the
# registry's flat lists). The role's default samba_ad_ou_per holds the same mapping.
DEFAULT_OU_PER = {
    "Eleves": "classes",
    "Apprentis": "classes",
    "Etudiants": "classes",
    "Ordinateurs": "rooms",
}


def check_realm(realm: str, dns_domain: str) -> list[str]:
    """The realm must be the site's DNS domain (or a sub-domain of it), written in capitals."""
    problems = []
    if not realm:
        return [
            "the realm is empty; expected the site's DNS domain in capitals, e.g. "
            + (dns_domain.upper() or "SITE.EXAMPLE.ORG")
        ]
    lowered = realm.lower()
    labels = lowered.split(".")
    if len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
        problems.append(
            f"realm {realm!r} is not a DNS name (letters, digits and '-' between dots, at least two labels)"
        )
    if realm != realm.upper():
        problems.append(f"realm {realm!r} must be written in capitals: {realm.upper()!r}")
    domain = dns_domain.lower().rstrip(".")
    if domain and lowered != domain and not lowered.endswith("." + domain):
        problems.append(
            f"realm {realm!r} does not match the site's DNS domain {domain!r}; "
            f"expected {domain.upper()!r} or a sub-domain of it"
        )
    return problems


def check_netbios(name: str, hostname: str = "", taken: dict[str, str] | None = None) -> list[str]:
    """NetBIOS domain name: 1-15 of A-Z 0-9 '-', not the DC's own host name, not used by another site.

    `taken` maps NetBIOS names already used elsewhere to who uses them (e.g. a site UAI).
    """
    problems = []
    if not name:
        return ["the NetBIOS name is empty"]
    if len(name) > NETBIOS_MAX_LENGTH:
        problems.append(
            f"NetBIOS name {name!r} is {len(name)} characters long; at most {NETBIOS_MAX_LENGTH} are allowed"
        )
    if not _NETBIOS.match(name):
        problems.append(
            f"NetBIOS name {name!r} may only hold capitals, digits and '-' and must not start with '-'"
        )
    elif name.isdigit():
        problems.append(f"NetBIOS name {name!r} must not be only digits")
    if hostname and name.upper() == hostname.split(".")[0].upper():
        problems.append(f"NetBIOS name {name!r} clashes with the DC's host name {hostname!r}")
    owner = (taken or {}).get(name.upper())
    if owner:
        problems.append(f"NetBIOS name {name!r} is already used by {owner}")
    return problems


def check_ou_name(name: object) -> list[str]:
    """One OU name (a single RDN value, not a path)."""
    if not isinstance(name, str) or not name:
        return [f"OU name {name!r} must be a non-empty string"]
    problems = []
    bad = sorted({c for c in name if c in OU_FORBIDDEN or ord(c) < 32})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        problems.append(
            f"OU name {name!r} holds forbidden character(s) {shown}; forbidden: {OU_FORBIDDEN} and control characters"
        )
    if name != name.strip():
        problems.append(f"OU name {name!r} starts or ends with a space")
    if len(name) > OU_MAX_LENGTH:
        problems.append(f"OU name {name!r} is longer than {OU_MAX_LENGTH} characters")
    return problems


def ou_paths(
    tree: list,
    classes: list | None = None,
    rooms: list | None = None,
    per: dict | None = None,
) -> tuple[list[tuple[str, str]], list[str]]:
    """Flatten an OU tree into (path, description) pairs, parents first, and collect problems.

    A path is the OU names from the top down joined by "/", e.g. "Eleves/2NDE1".
    A tree entry is {name, description?, children?, per?: classes|rooms}; "per" adds one child
    OU per class (or room) under that entry.
    """
    out: list[tuple[str, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    expand = {"classes": list(classes or []), "rooms": list(rooms or [])}
    per_top = dict(per or {})

    def walk(entries: object, parent: str, where: str) -> None:
        if not isinstance(entries, list):
            problems.append(f"{where}: expected a list of OUs, got {type(entries).__name__}")
            return
        for index, entry in enumerate(entries):
            here = f"{where}[{index}]"
            if isinstance(entry, str):
                entry = {"name": entry}
                if not parent and entry["name"] in per_top:
                    entry["per"] = per_top[entry["name"]]
            if not isinstance(entry, dict):
                problems.append(f"{here}: expected a mapping with a 'name', got {entry!r}")
                continue
            unknown = sorted(set(entry) - TREE_KEYS)
            if unknown:
                problems.append(
                    f"{here}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(TREE_KEYS))}"
                )
            name = entry.get("name")
            name_problems = check_ou_name(name)
            problems.extend(f"{here}.name: {p}" for p in name_problems)
            if name_problems:
                continue
            path = f"{parent}/{name}" if parent else name
            if path.lower() in seen:
                problems.append(f"{here}.name: OU {path!r} is listed twice")
                continue
            seen.add(path.lower())
            out.append((path, str(entry.get("description") or "")))
            kind = entry.get("per")
            if kind is not None:
                if kind not in PER_VALUES:
                    problems.append(f"{here}.per: {kind!r} is not one of {', '.join(PER_VALUES)}")
                else:
                    walk([{"name": child} for child in expand[kind]], path, f"{here}.per={kind}")
            if entry.get("children") is not None:
                walk(entry["children"], path, f"{here}.children")

    walk(tree, "", "ou_tree")
    return out, problems


def path_to_dn(path: str, base_dn: str) -> str:
    """ "Eleves/2NDE1" + "DC=x,DC=y" -> "OU=2NDE1,OU=Eleves,DC=x,DC=y" (names already checked)."""
    parts = [p for p in path.split("/") if p]
    rdns = ",".join(f"OU={p}" for p in reversed(parts))
    return f"{rdns},{base_dn}" if rdns else base_dn


def realm_to_base_dn(realm: str) -> str:
    return ",".join(f"DC={label}" for label in realm.lower().split("."))
