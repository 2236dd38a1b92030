"""Samba AD helpers for the controller side: validate a site's AD settings and user export.

The rules themselves live in naming.py and userscsv.py (standard library only, shared with the
Ansible modules through module_utils symlinks); this module turns their findings into
fleet.errors.ValidationFailed so the CLI exits 3 with file, field and line.
"""

from __future__ import annotations

from pathlib import Path

from fleet.errors import Problem, ValidationFailed
from fleet.samba import naming
from fleet.samba.userscsv import (
    DEFAULT_CLASS_PROFILES,
    DEFAULT_PROFILES,
    ParsedCsv,
    parse_users_csv,
)


def load_users_csv(
    path: Path,
    classes: list[str] | None = None,
    profiles=DEFAULT_PROFILES,
    class_profiles=DEFAULT_CLASS_PROFILES,
    encoding: str = "auto",
) -> ParsedCsv:
    """Read and validate a user export; raise ValidationFailed naming the file, line and column."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationFailed(
            [Problem(str(path), "", f"cannot read the file: {exc.strerror}")]
        ) from exc
    parsed = parse_users_csv(data, classes, profiles, class_profiles, encoding)
    if parsed.problems:
        raise ValidationFailed(
            [
                Problem(str(path), column, message, line or None)
                for line, column, message in parsed.problems
            ]
        )
    return parsed


def site_problems(
    file: str,
    realm: str,
    netbios: str,
    dns_domain: str,
    dc_hostname: str = "",
    taken_netbios: dict[str, str] | None = None,
    ou_tree: list | None = None,
    classes: list[str] | None = None,
    rooms: list[str] | None = None,
) -> list[Problem]:
    """Problems in one site's samba_ad settings (for the registry validator)."""
    problems = [Problem(file, "samba_ad.realm", m) for m in naming.check_realm(realm, dns_domain)]
    problems += [
        Problem(file, "samba_ad.netbios", m)
        for m in naming.check_netbios(netbios, dc_hostname, taken_netbios)
    ]
    if ou_tree is not None:
        _, tree_problems = naming.ou_paths(ou_tree, classes, rooms, naming.DEFAULT_OU_PER)
        problems += [Problem(file, "samba_ad.ous", m) for m in tree_problems]
    return problems


__all__ = ["ParsedCsv", "load_users_csv", "naming", "parse_users_csv", "site_problems"]
