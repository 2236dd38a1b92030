"""Value checks and normalisation of opsi attributes (the rules of opsicommon/types.py as the
reference describes them). Each `force_*` returns the normalised value or raises
`OpsiValueError` with opsi's wording ("Bad product id: 'Foo Bar'")."""

from __future__ import annotations

import ipaddress
import re
import time
import uuid
from typing import Any

from .errors import OpsiValueError

_PRODUCT_ID = (re.compile(r"^[a-z0-9][a-z0-9-_. ]*$"), re.compile(r"^[a-z0-9-_\.]{1,128}$"))
_PRODUCT_VERSION = re.compile(r"^[a-zA-Z0-9.]{1,32}$")
_PACKAGE_VERSION = re.compile(r"^[a-zA-Z0-9.]{1,16}$")
_FQDN = re.compile(r"^[a-z0-9][a-z0-9\-]{,63}\.((\w+\-+)|(\w+\.))*\w{1,63}\.\w{2,16}\.?$")
_GROUP_ID = re.compile(r"^[a-z0-9][a-z0-9-_. ]*$")
_NO_SPACE = re.compile(r"^\S+$")
_HOST_KEY = re.compile(r"^[0-9a-f]{32}$")
_URL = re.compile(r"^[a-z0-9]+:\/\/[/a-zA-Z0-9@:%._\\+~#?&=-]+")
_TIMESTAMP = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})")
_MAC = re.compile(r"^([0-9a-f]{2})[:-]?" * 5 + r"([0-9a-f]{2})$")

ACTION_REQUESTS = ("setup", "uninstall", "update", "always", "once", "custom", "none")
INSTALLATION_STATUS = ("installed", "not_installed", "unknown")
ACTION_RESULTS = ("failed", "successful", "none")
TARGET_CONFIGURATIONS = ("installed", "always", "forbidden", "undefined")
REQUIREMENT_TYPES = ("before", "after")
PRODUCT_TYPES = ("LocalbootProduct", "NetbootProduct")
GROUP_TYPES = ("HostGroup", "ProductGroup")


def _bad(what: str, value: Any) -> OpsiValueError:
    return OpsiValueError(f"Bad {what}: {value!r}")


def force_str(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise _bad("string", value)
    return value if isinstance(value, str) else str(value)


def force_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def force_str_list(value: Any) -> list[str]:
    return [force_str(v) for v in force_list(value)]


def force_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0", ""):
            return False
    raise _bad("bool value", value)


def force_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad("int value", value) from None


def force_priority(value: Any) -> int:
    return max(-100, min(100, force_int(value)))


def force_product_id(value: Any) -> str:
    text = force_str(value).strip().lower()
    if not all(rx.match(text) for rx in _PRODUCT_ID):
        raise _bad("product id", value)
    return text


def force_product_version(value: Any) -> str:
    text = force_str(value).strip()
    if not _PRODUCT_VERSION.match(text):
        raise _bad("product version", value)
    return text


def force_package_version(value: Any) -> str:
    text = force_str(value).strip()
    if not _PACKAGE_VERSION.match(text):
        raise _bad("package version", value)
    return text


def force_fqdn(value: Any) -> str:
    text = force_str(value).strip().lower()
    if not _FQDN.match(text):
        raise _bad("fqdn", value)
    return text.rstrip(".")


def force_group_id(value: Any) -> str:
    text = force_str(value).strip().lower()
    if not _GROUP_ID.match(text):
        raise _bad("group id", value)
    return text


def force_object_id(value: Any) -> str:
    text = force_str(value).strip().lower()
    if not _GROUP_ID.match(text):
        raise _bad("object id", value)
    return text


def force_property_id(value: Any) -> str:
    text = force_str(value).strip().lower()
    if not _NO_SPACE.match(text):
        raise _bad("property id", value)
    return text


def force_config_id(value: Any) -> str:
    text = force_str(value).strip().lower()
    if not _NO_SPACE.match(text):
        raise _bad("config id", value)
    return text


def force_product_type(value: Any) -> str:
    low = force_str(value).strip().lower()
    if low in ("localboot", "localbootproduct"):
        return "LocalbootProduct"
    if low in ("netboot", "netbootproduct"):
        return "NetbootProduct"
    raise _bad("product type", value)


def force_group_type(value: Any) -> str:
    low = force_str(value).strip().lower()
    for name in GROUP_TYPES:
        if low == name.lower():
            return name
    raise _bad("group type", value)


def force_action_request(value: Any) -> str | None:
    low = force_str(value).strip().lower()
    if low == "undefined":
        return None
    if low not in ACTION_REQUESTS:
        raise OpsiValueError(f"Bad action request: {value!r}")
    return low


def _enum(what: str, allowed: tuple[str, ...], allow_empty: bool = True):
    def force(value: Any) -> str:
        low = force_str(value).strip().lower()
        if (allow_empty and low == "") or low in allowed:
            return low
        raise _bad(what, value)

    return force


force_installation_status = _enum("installation status", INSTALLATION_STATUS)
force_action_result = _enum("action result", ACTION_RESULTS)
force_target_configuration = _enum("target configuration", TARGET_CONFIGURATIONS)


def force_requirement_type(value: Any) -> str | None:
    low = force_str(value).strip().lower()
    if low == "":
        return None
    if low not in REQUIREMENT_TYPES:
        raise _bad("requirement type", value)
    return low


def force_host_key(value: Any) -> str:
    text = force_str(value).strip().lower()
    if not _HOST_KEY.match(text):
        raise _bad("opsi host key", value)
    return text


def force_hardware_address(value: Any) -> str:
    text = force_str(value).strip().lower()
    if text == "":
        return ""
    match = _MAC.match(text)
    if not match:
        raise _bad("hardware address", value)
    return ":".join(match.groups())


def force_ip_address(value: Any) -> str:
    text = force_str(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise _bad("ip address", value) from None


def force_network_address(value: Any) -> str:
    text = force_str(value).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise _bad("network address", value) from None


def force_url(value: Any) -> str:
    text = force_str(value).strip()
    if not _URL.match(text):
        raise _bad("url", value)
    return text


def force_uuid(value: Any) -> str:
    text = force_str(value).strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise _bad("uuid", value) from None


def force_timestamp(value: Any) -> str:
    text = force_str(value).strip()
    match = _TIMESTAMP.match(text)
    if not match:
        raise _bad("timestamp", value)
    y, mo, d, h, mi, s = match.groups()
    return f"{y}-{mo}-{d} {h}:{mi}:{s}"


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
