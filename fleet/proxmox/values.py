"""PVE's value forms turned into one comparable form, so that a converged object compares
equal to its desired state whatever PVE did to it on the way in: property strings re-printed
in canonical order with a generated MAC (`virtio=BC:24:11:..,bridge=vmbr0,tag=20`), disks as
`local-lvm:vm-101-disk-0,iothread=1,size=64G`, booleans as 0/1 or `enabled=1,...`, numbers as
strings, URL-encoded SSH keys, `;`-separated tags, keys left out when default (pure)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
TAG_SPLIT = re.compile(r"[;, ]+")
MARK = "[fleet]"
TAG = "fleet"


def props(value: Any) -> dict[str, str]:
    """A property string as a dict; a bare first item is kept under '' (the default key)."""
    out: dict[str, str] = {}
    for part in str(value or "").split(","):
        if not part:
            continue
        key, sep, val = part.partition("=")
        if sep:
            out[key.strip()] = val.strip()
        else:
            out[""] = key.strip()
    return out


def first(value: Any) -> str:
    """The default key's value of a property string (`current=4096` → 4096, `1,fstrim..` → 1)."""
    text = str(value if value is not None else "").split(",", 1)[0]
    return (
        text.split("=", 1)[1]
        if "=" in text and text.split("=")[0] in ("current", "enabled")
        else text
    )


def boolean(value: Any) -> bool:
    return first(value).strip().lower() in ("1", "true", "yes", "on", "enabled=1")


def size_bytes(text: Any) -> int:
    """`64G`, `512M`, `1.5T`, `1073741824` (bytes) → bytes."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT])?", str(text).strip())
    if not m:
        raise ValueError(f"not a disk size: {text!r}")
    return int(float(m.group(1)) * UNITS[m.group(2)]) if m.group(2) else int(m.group(1))


def size_text(n: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if n and n % UNITS[unit] == 0:
            return f"{n // UNITS[unit]}{unit}"
    return str(n)


def nic(value: Any) -> dict[str, str]:
    """net0 as {model, macaddr?, bridge, tag, ...}: `virtio=MAC` and `model=virtio,macaddr=MAC`
    are the same NIC."""
    data = props(value)
    out: dict[str, str] = {}
    for key, val in data.items():
        if key == "":
            out["model"] = val
        elif MAC.match(val) and key not in ("macaddr",):
            out["model"], out["macaddr"] = key, val.upper()
        else:
            out[key] = val
    if "macaddr" in out:
        out["macaddr"] = out["macaddr"].upper()
    return out


def nic_text(data: dict[str, str]) -> str:
    """A NIC as PVE prints it: model=MAC first, then the other keys sorted."""
    head = data["model"] + (f"={data['macaddr']}" if data.get("macaddr") else "")
    rest = [f"{k}={data[k]}" for k in sorted(data) if k not in ("model", "macaddr")]
    return ",".join([head, *rest])


def tags(value: Any) -> set[str]:
    return {t for t in TAG_SPLIT.split(str(value or "")) if t}


def sshkeys(value: Any) -> str:
    """SSH keys as text: PVE keeps them URL-encoded."""
    return "\n".join(line.strip() for line in unquote(str(value or "")).strip().splitlines())


def encode_sshkeys(text: str) -> str:
    return quote(text.strip() + "\n", safe="")


def same(key: str, current: Any, wanted: Any) -> bool:
    """Does a guest config value equal the wanted one after PVE's normalisation?"""
    if key.startswith("net"):
        have, want = nic(current), nic(wanted)
        return all(have.get(k) == v for k, v in want.items() if k != "macaddr") and (
            have.get("tag") == want.get("tag")
        )
    if key in ("onboot", "agent", "protection"):
        return current is not None and boolean(current) == boolean(wanted)
    if key in ("memory", "cores", "sockets", "balloon"):
        return current is not None and first(current) == first(wanted)
    if key == "tags":
        return tags(wanted) <= tags(current)
    if key == "sshkeys":
        return sshkeys(current) == sshkeys(wanted)
    if key.startswith("ipconfig"):
        return props(current) == props(wanted)
    if key == "description":
        return str(current or "").strip() == str(wanted or "").strip()
    return str(current if current is not None else "") == str(wanted)


def shown(key: str, value: Any) -> Any:
    """A value as a diff shows it (keys decoded, MACs left out of NICs)."""
    if value is None:
        return None
    if key == "sshkeys":
        return sshkeys(value)
    if key.startswith("net"):
        data = nic(value)
        data.pop("macaddr", None)
        return nic_text(data)
    if key in ("onboot", "agent"):
        return boolean(value)
    if key in ("memory", "cores"):
        return int(first(value)) if first(value).isdigit() else value
    return value


def managed_guest(entry: dict[str, Any]) -> bool:
    """Is this guest fleet's? The `fleet` tag marks it (cluster resources carry tags)."""
    return TAG in tags(entry.get("tags"))


def marked(text: Any) -> bool:
    return str(text or "").startswith(MARK)
