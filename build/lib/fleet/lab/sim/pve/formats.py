"""PVE value formats: named formats (pve-vmid, dns-name, …) and property strings.

Messages follow PVE::JSONSchema's wording where it is known ("value does not look like a valid
DNS name"); a named format the reference does not describe is accepted as a plain string.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

BOOL_TRUE = {"1", "true", "yes", "on"}
BOOL_FALSE = {"0", "false", "no", "off"}


class FormatError(ValueError):
    """A value does not match its format; str() is PVE's message."""


def parse_boolean(text: str) -> int | None:
    low = text.strip().lower()
    if low in BOOL_TRUE:
        return 1
    if low in BOOL_FALSE:
        return 0
    return None


def perl_regex(pattern: str) -> re.Pattern[str]:
    # PVE patterns come from Perl: "(?^:…)" is a non-capturing group with default flags.
    return re.compile(pattern.replace("(?^:", "(?:"))


def _rx(pattern: str, message: str, flags: int = 0) -> Callable[[str], None]:
    compiled = re.compile(pattern, flags)

    def check(value: str) -> None:
        if not compiled.fullmatch(value):
            raise FormatError(message.format(value=value))

    return check


def _ip(kind: type, message: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        try:
            kind(value)
        except ValueError:
            raise FormatError(message) from None

    return check


def _cidr(version: int | None, message: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if "/" not in value:
            raise FormatError(message)
        try:
            iface = ipaddress.ip_interface(value)
        except ValueError:
            raise FormatError(message) from None
        if version and iface.version != version:
            raise FormatError(message)

    return check


def _ipv4mask(value: str) -> None:
    try:
        ipaddress.IPv4Network(f"0.0.0.0/{value}")
    except ValueError:
        raise FormatError("value does not look like a valid IP netmask") from None


def _list(item: Callable[[str], None]) -> Callable[[str], None]:
    def check(value: str) -> None:
        for part in split_list(value):
            item(part)

    return check


def split_list(value: str) -> list[str]:
    return [p for p in re.split(r"[\0;,\s]+", value) if p]


_NODE = r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_DNS_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?"
_STORAGE = r"[a-z][a-z0-9\-_.]*[a-z0-9]"
_VOLUME = rf"{_STORAGE}:.+"
_CONTENT = {"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}

check_node = _rx(_NODE, "value does not look like a valid node name")
check_storage = _rx(_STORAGE, "storage ID '{value}' contains illegal characters")
check_configid = _rx(r"[a-z][a-z0-9_-]+", "invalid configuration ID '{value}'")
check_iface = _rx(r"[a-zA-Z][a-zA-Z0-9_.\-]{1,19}", "invalid network interface name '{value}'")
check_tag = _rx(r"[a-z0-9_][a-z0-9_\-+.]*", "invalid tag '{value}'", re.IGNORECASE)


def _content(value: str) -> None:
    if value not in _CONTENT:
        raise FormatError(f"invalid content type '{value}'")


def _volume_or_path(value: str) -> None:
    if value in ("none", "cdrom") or value.startswith("/") or re.fullmatch(_VOLUME, value):
        return
    raise FormatError(f"unable to parse volume ID '{value}'")


def _volume(value: str) -> None:
    if not re.fullmatch(_VOLUME, value):
        raise FormatError(f"unable to parse volume ID '{value}'")


def _vlan_range(value: str) -> None:
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", value)
    if not m or not all(2 <= int(x) <= 4094 for x in m.groups() if x):
        raise FormatError(f"invalid VLAN '{value}'")


NAMED: dict[str, Callable[[str], None]] = {
    "pve-node": check_node,
    "pve-vmid": _rx(r"[1-9][0-9]{2,8}", "value does not look like a valid VM ID"),
    "pve-storage-id": check_storage,
    "pve-configid": check_configid,
    "pve-configid-list": _list(check_configid),
    "pve-poolid": _rx(r"[A-Za-z0-9_\-/]+", "invalid pool ID '{value}'"),
    "pve-realm": _rx(r"[A-Za-z][A-Za-z0-9\.\-_]+", "value does not look like a valid realm"),
    "pve-userid": _rx(
        r"[^\s:/]+@[A-Za-z][A-Za-z0-9\.\-_]+", "value '{value}' does not look like a valid user ID"
    ),
    "pve-tokenid": _rx(r"[A-Za-z][A-Za-z0-9\.\-_]+", "invalid token ID '{value}'"),
    "pve-groupid-list": _list(_rx(r"[A-Za-z0-9\.\-_]+", "invalid group ID '{value}'")),
    "pve-iface": check_iface,
    "pve-iface-list": _list(check_iface),
    "pve-bridge-id": _rx(r"[-_.\w\d]+", "'{value}' is not a valid bridge name"),
    "pve-tag-list": _list(check_tag),
    "pve-storage-content": _content,
    "pve-storage-content-list": _list(_content),
    "pve-vlan-id-or-range-list": _list(_vlan_range),
    "pve-volume-id": _volume,
    "pve-volume-id-or-qm-path": _volume_or_path,
    "pve-volume-id-or-absolute-path": _volume_or_path,
    "dns-name": _rx(rf"({_DNS_LABEL}\.)*{_DNS_LABEL}", "value does not look like a valid DNS name"),
    "dns-name-list": _list(
        _rx(rf"({_DNS_LABEL}\.)*{_DNS_LABEL}", "value does not look like a valid DNS name")
    ),
    "mac-addr": _rx(
        r"[a-f0-9][02468ace](:[a-f0-9]{2}){5}",
        "value does not look like a valid unicast MAC address",
        re.IGNORECASE,
    ),
    "ipv4": _ip(ipaddress.IPv4Address, "value does not look like a valid IPv4 address"),
    "ipv6": _ip(ipaddress.IPv6Address, "value does not look like a valid IPv6 address"),
    "ipv4mask": _ipv4mask,
    "CIDRv4": _cidr(4, "value does not look like a valid IPv4 CIDR network"),
    "CIDRv6": _cidr(6, "value does not look like a valid IPv6 CIDR network"),
    "CIDR": _cidr(None, "value does not look like a valid CIDR network"),
    "address-list": _list(_ip(ipaddress.ip_address, "value does not look like a valid address")),
    "email-opt": _rx(
        r"([\w+\-~]+(\.[\w+\-~]+)*@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*)?",
        "value does not look like a valid email address",
    ),
    "disk-size": _rx(r"\d+(\.\d+)?[KMGT]?", "disk size '{value}' is not valid"),
    "urlencoded": _rx(r"[-%a-zA-Z0-9_.!~*'()]*", "invalid urlencoded string: {value}"),
}


def check_named(fmt: str, value: str) -> None:
    check = NAMED.get(fmt)
    if check:
        check(value)


# --- property strings ---------------------------------------------------------------------


def default_key(fmt: dict[str, Any]) -> str | None:
    for key, spec in fmt.items():
        if spec.get("default_key"):
            return key
    return None


def parse_property_string(fmt: dict[str, Any], value: str) -> dict[str, Any]:
    """Parse "virtio,bridge=vmbr0,firewall=1" into {model: virtio, bridge: vmbr0, firewall: 1}.

    Raises FormatError with PVE's message; sub-values are not type-checked here (see
    params.check_value, which validates each key against its own schema).
    """
    data: dict[str, Any] = {}
    dkey = default_key(fmt)
    for part in value.split(","):
        if part == "":
            continue
        if "=" in part:
            key, _, val = part.partition("=")
            if key == "":
                raise FormatError("missing key in comma-separated list property")
            spec = fmt.get(key)
            if spec and "alias" in spec:
                if "keyAlias" in spec:
                    if spec["keyAlias"] in data:
                        raise FormatError(
                            f"duplicate key in comma-separated list property: {spec['keyAlias']}"
                        )
                    data[spec["keyAlias"]] = key
                key = spec["alias"]
                spec = fmt.get(key)
            if spec is None:
                raise FormatError(f"invalid key in comma-separated list property: {key}")
            if key in data:
                raise FormatError(f"duplicate key in comma-separated list property: {key}")
            data[key] = val
        else:
            if dkey is None:
                raise FormatError("value without key, but schema does not define a default key")
            if dkey in data:
                raise FormatError(f"duplicate key in comma-separated list property: {dkey}")
            data[dkey] = part
    for key, val in list(data.items()):
        if fmt[key].get("type") == "boolean":
            parsed = parse_boolean(str(val))
            data[key] = parsed if parsed is not None else val
    return data


def print_property_string(fmt: dict[str, Any], data: dict[str, Any]) -> str:
    """PVE's canonical form: the default key's bare value first, then key=value sorted by key."""
    dkey = default_key(fmt)
    parts = []
    if dkey and dkey in data:
        parts.append(str(data[dkey]))
    parts += [f"{k}={data[k]}" for k in sorted(data) if k != dkey]
    return ",".join(parts)
