"""Field definitions of OPNsense models and their value rules.

A field is built from the model entry of `opnsense-api.json` (type, Required, Default, options,
Mask, min/max, ValidationMessage, constraints). Validation reproduces the field classes of
OPNsense's MVC framework, including their default messages, because clients read these messages
back from the `validations` body.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

REQUIRED_MSG = "A value is required."

# Field classes whose `get*` output is an option map (BaseListField descendants).
LIST_KINDS = {
    "OptionField",
    "InterfaceField",
    "ModelRelationField",
    "JsonKeyValueStoreField",
    "VlanInterfaceField",
    "ProtocolField",
    "ScheduleField",
    "TosField",
}

DEFAULT_MESSAGES = {
    "BooleanField": "Value should be a boolean (0,1).",
    "IntegerField": "Invalid integer value.",
    "AutoNumberField": "Invalid integer value.",
    "FilterSequenceField": "Invalid integer value.",
    "NumericField": "Value should be numeric.",
    "TextField": "Text does not validate.",
    "StrictTextField": "Text does not validate.",
    "DescriptionField": "Description should be a string between 1 and 255 characters.",
    "NetworkField": "Please specify a valid network segment or IP address.",
    "HostnameField": "Please specify a valid IP address or hostname.",
    "MacAddressField": "Invalid MAC address.",
    "PortField": "Please specify a valid port number (1-65535).",
    "Base64Field": "Invalid base64 value.",
}


@dataclass(frozen=True)
class Field:
    name: str  # path relative to the item, dotted for containers ("option_data.routers")
    kind: str  # OPNsense field class without namespace ("OptionField", "AliasNameField")
    required: bool = False
    default: str = ""
    options: dict[str, str] | None = None  # static options (OptionField)
    multiple: bool = False
    as_list: bool = False
    blank_desc: str | None = None
    mask: re.Pattern[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    message: str | None = None  # the model's ValidationMessage
    constraints: tuple[dict[str, Any], ...] = ()
    volatile: bool = False
    attrs: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def leaf(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def is_list(self) -> bool:
        return self.kind in LIST_KINDS

    def msg(self) -> str:
        return self.message or DEFAULT_MESSAGES.get(self.kind, "Validation failed.")


def _php_mask(mask: str) -> re.Pattern[str]:
    """Turn a PCRE mask like `/^...$/iu` into a Python pattern."""
    mask = mask.strip()
    body, _, mods = mask[1:].rpartition(mask[0])
    flags = re.IGNORECASE if "i" in mods else 0
    return re.compile(body, flags)


def build_fields(spec: dict[str, Any], prefix: str = "") -> list[Field]:
    """Fields of one model item from its reference entry (containers are flattened)."""
    out: list[Field] = []
    for name, f in spec.items():
        path = f"{prefix}{name}"
        kind = f["type"].replace(".\\", "").lstrip("\\")
        if kind == "container":
            out.extend(build_fields(f["fields"], prefix=f"{path}."))
            continue
        out.append(
            Field(
                name=path,
                kind=kind,
                required=f.get("Required") == "Y",
                default=f.get("Default", ""),
                options=f.get("options"),
                multiple=f.get("Multiple") == "Y",
                as_list=f.get("AsList") == "Y",
                blank_desc=f.get("BlankDesc"),
                mask=_php_mask(f["Mask"]) if "Mask" in f else None,
                minimum=float(f["MinimumValue"]) if "MinimumValue" in f else None,
                maximum=float(f["MaximumValue"]) if "MaximumValue" in f else None,
                message=f.get("ValidationMessage"),
                constraints=tuple(f.get("constraints", ())),
                volatile=f.get("volatile") == "true",
                attrs={k: v for k, v in f.items() if isinstance(v, str)},
            )
        )
    return out


# --- value helpers -------------------------------------------------------------------------


def normalise(f: Field, value: str) -> str:
    """What the field class stores for an incoming value (setValue filters)."""
    if f.kind == "NetworkField":
        return value.strip().lower()
    if f.kind in ("HostnameField", "MacAddressField"):
        return value.strip()
    return value


def split_list(value: str) -> list[str]:
    return [v for v in value.split(",") if v != ""]


def is_ip(value: str, family: str | None = None) -> bool:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    return family is None or (family == "ipv4") == (addr.version == 4)


def is_network(value: str, family: str | None = None, mask_required=False, mask_allowed=True):
    """NetworkField.isValidInput: an address, optionally with a prefix length."""
    if "/" in value:
        if not mask_allowed:
            return False
        addr, _, bits = value.partition("/")
        if not bits.isdigit() or "/" in bits:
            return False
        limit = 128 if ":" in addr else 32
        if int(bits) > limit:
            return False
        return is_ip(addr, family)
    if mask_required:
        return False
    return is_ip(value, family)


_LABEL = re.compile(r"^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")


def is_domain(value: str, hostname_rules: bool = True) -> bool:
    """PHP FILTER_VALIDATE_DOMAIN (with FILTER_FLAG_HOSTNAME unless a DNS name)."""
    if not value or len(value) > 253:
        return False
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    for label in labels:
        if not 0 < len(label) <= 63:
            return False
        if hostname_rules and not _LABEL.match(label):
            return False
    return True


def is_hostname_value(f: Field, value: str) -> bool:
    a = f.attrs
    dns_name = a.get("IsDNSName") == "Y"
    ip_allowed = a.get("IpAllowed", "Y") != "N"
    val_is_ip = is_ip(value)
    if a.get("FqdnWildcardAllowed") == "Y" and value.startswith("*."):
        value = value[2:]
    if a.get("HostWildcardAllowed") == "Y" and value == "*":
        return True
    if ip_allowed and val_is_ip:
        return True
    return is_domain(value, hostname_rules=not dns_name) and not val_is_ip


_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$")


def is_mac(value: str) -> bool:
    return bool(_MAC.match(value))


WELL_KNOWN_PORTS = {
    "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "dns": 53, "tftp": 69,
    "http": 80, "kerberos": 88, "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161,
    "ldap": 389, "https": 443, "microsoft-ds": 445, "smb": 445, "syslog": 514, "submission": 587,
    "ldaps": 636, "imaps": 993, "pop3s": 995, "openvpn": 1194, "ms-sql-s": 1433, "radius": 1812,
    "nfsd": 2049, "mysql": 3306, "rdp": 3389, "ms-wbt-server": 3389, "sip": 5060,
    "postgresql": 5432, "squid": 3128,
}  # fmt: skip


def is_port(value: str, ranges=False, well_known=False, aliases: Iterable[str] = ()) -> bool:
    if value.isdigit():
        return 1 <= int(value) <= 65535
    if ranges:
        for sep in ("-", ":"):
            lo, s, hi = value.partition(sep)
            if s and lo.isdigit() and hi.isdigit():
                return 1 <= int(lo) <= 65535 and 1 <= int(hi) <= 65535
    if well_known and value.lower() in WELL_KNOWN_PORTS:
        return True
    return value in set(aliases)


def _is_int(value: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", value))


def _is_number(value: str) -> bool:
    return bool(re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", value))


# --- validation ----------------------------------------------------------------------------

OptionsFn = Callable[[Field], dict[str, str]]


def check_value(f: Field, value: str, options: OptionsFn) -> list[str]:
    """Messages for one field's value (type rules only; constraints are checked per model)."""
    msgs: list[str] = []
    if f.required and value == "":
        msgs.append(REQUIRED_MSG)
    if value == "":
        return msgs
    k = f.kind
    if k == "BooleanField":
        if value not in ("0", "1"):
            msgs.append(f.msg())
    elif f.is_list:
        opts = options(f)
        items = value.split(",") if f.multiple else [value]
        if any(i not in opts for i in items):
            msgs.append(f.msg() if f.message else "Option not in list.")
    elif k in ("IntegerField", "AutoNumberField", "FilterSequenceField", "NumericField"):
        ok = _is_int(value) if k != "NumericField" else _is_number(value)
        if ok:
            n = float(value)
            ok = (f.minimum is None or n >= f.minimum) and (f.maximum is None or n <= f.maximum)
        if not ok:
            msgs.append(f.msg())
    elif k in ("TextField", "StrictTextField", "UniqueIdField", "UpdateOnlyTextField"):
        if f.mask is not None and not f.mask.search(value):
            msgs.append(f.msg())
    elif k == "DescriptionField":
        if f.mask is not None and not f.mask.search(value):
            msgs.append(f.msg())
        if not re.fullmatch(r"[^\n]{1,255}", value):
            msgs.append(DEFAULT_MESSAGES["DescriptionField"] if not f.message else f.msg())
    elif k == "NetworkField":
        family = f.attrs.get("AddressFamily")
        items = value.split(",") if f.as_list else [value]
        if value != "any" and not all(
            is_network(
                i,
                family,
                mask_required=f.attrs.get("NetMaskRequired") == "Y",
                mask_allowed=f.attrs.get("NetMaskAllowed", "Y") != "N",
            )
            for i in items
        ):
            msgs.append(f.msg())
    elif k == "HostnameField":
        items = value.split(",") if f.as_list else [value]
        if not all(is_hostname_value(f, i) for i in items):
            msgs.append(f.msg())
    elif k == "MacAddressField":
        if not all(is_mac(i) for i in (value.split(",") if f.as_list else [value])):
            msgs.append(f.msg())
    elif k == "PortField":
        ok = is_port(
            value,
            ranges=f.attrs.get("EnableRanges") == "Y",
            well_known=f.attrs.get("EnableWellKnown") == "Y",
            aliases=options(f) if f.attrs.get("EnableAlias") == "Y" else (),
        )
        if not ok:
            msgs.append(f.msg())
    elif k == "Base64Field" and (
        not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", value) or len(value) % 4
    ):
        msgs.append(f.msg())
    masked = k not in ("TextField", "StrictTextField", "DescriptionField")
    if masked and f.mask is not None and not f.mask.search(value) and f.msg() not in msgs:
        msgs.append(f.msg())
    return msgs


# --- get* rendering ------------------------------------------------------------------------


def option_map(f: Field, value: str, options: dict[str, str]) -> dict[str, dict[str, Any]]:
    """BaseListField::getNodeOptions: every option with its label and selection."""
    out: dict[str, dict[str, Any]] = {}
    if not f.required and not f.multiple:
        out[""] = {"value": f.blank_desc or "None", "selected": 1 if value in ("", "0") else 0}
    chosen = value.split(",")
    for key, label in options.items():
        out[key] = {"value": label, "selected": 1 if key in chosen else 0}
    # values that are no longer valid options stay visible, as OPNsense shows stale keys
    return out


def list_map(value: str, sep: str = ",") -> dict[str, dict[str, Any]]:
    """AsList rendering: the current items, all selected (PHP explode keeps one empty item)."""
    return {item: {"value": item, "selected": 1} for item in value.split(sep)}


def describe(f: Field, value: str, options: dict[str, str]) -> str:
    """getDescription(): option labels joined by ', ' (raw value for plain fields)."""
    if not f.is_list:
        return value
    return ", ".join(options.get(v, v) for v in split_list(value))
