"""Reading a `.opsi` package: the outer archive (uncompressed tar, or legacy cpio) holding
`OPSI.tar.<zstd|gz|bz2>` (control or control.toml) and `CLIENT_DATA.tar.<…>`, and the control
file in both syntaxes, turned into opsi objects (Product, ProductDependency, ProductProperty)
plus the package dependencies. Everything happens in memory: a device never touches disk.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import re
import tarfile
import tomllib
from dataclasses import dataclass, field
from typing import Any

from . import objects
from .errors import BackendBadValueError, BackendIOError, OpsiError

# Product script attributes a package's control file may set (TOML and INI forms alike).
PRODUCT_SCRIPTS = (*objects.PRODUCT_SCRIPTS, "userLoginScript", "pxeConfigTemplate")

MAX_MEMBER = 64 * 1024 * 1024  # refuse archive bombs: no inner archive beyond this when unpacked


@dataclass
class PackageDependency:
    package: str
    condition: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        if self.version:
            return f"{self.package} ({self.condition or '='} {self.version})"
        return self.package


@dataclass
class OpsiPackage:
    product: dict[str, Any]
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)
    package_dependencies: list[PackageDependency] = field(default_factory=list)
    client_data: list[tuple[str, int]] = field(
        default_factory=list
    )  # (path, size) of CLIENT_DATA files


# archive -------------------------------------------------------------------------------


def _decompress(name: str, data: bytes) -> bytes:
    if name.endswith(".zst"):
        try:
            import zstandard
        except ImportError:  # pragma: no cover - zstandard is a lab dependency
            raise BackendIOError(
                "zstd compressed package, but zstandard is not installed"
            ) from None
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".bz2"):
        return bz2.decompress(data)
    return data


def _cpio_members(data: bytes) -> dict[str, bytes]:
    """newc/crc ("070701"/"070702") and odc ("070707") cpio archives."""
    out: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        magic = data[pos : pos + 6]
        if magic in (b"070701", b"070702"):
            head = data[pos : pos + 110]
            namesize = int(head[94:102], 16)
            filesize = int(head[54:62], 16)
            name_start = pos + 110
            name = data[name_start : name_start + namesize - 1].decode()
            body_start = (name_start + namesize + 3) & ~3
            body = data[body_start : body_start + filesize]
            pos = (body_start + filesize + 3) & ~3
        elif magic == b"070707":
            head = data[pos : pos + 76]
            namesize = int(head[59:65], 8)
            filesize = int(head[65:76], 8)
            name = data[pos + 76 : pos + 76 + namesize - 1].decode()
            body = data[pos + 76 + namesize : pos + 76 + namesize + filesize]
            pos = pos + 76 + namesize + filesize
        else:
            raise BackendBadValueError("Unknown archive format")
        if name == "TRAILER!!!":
            break
        out[name.lstrip("./")] = body
    return out


def _outer_members(data: bytes) -> dict[str, bytes]:
    if data[:6] in (b"070701", b"070702", b"070707"):
        return _cpio_members(data)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            return {
                m.name.lstrip("./"): tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers()
                if m.isfile()
            }
    except tarfile.TarError as err:
        raise BackendBadValueError(f"Invalid opsi package archive: {err}") from None


def _inner_files(name: str, data: bytes) -> dict[str, bytes]:
    raw = _decompress(name, data)
    if len(raw) > MAX_MEMBER:
        raise BackendBadValueError(f"Archive member {name!r} too large")
    stem = name.split(".")[0]
    if ".cpio" in name:
        files = _cpio_members(raw)
    else:
        try:
            with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
                files = {
                    m.name.lstrip("./"): tar.extractfile(m).read()  # type: ignore[union-attr]
                    for m in tar.getmembers()
                    if m.isfile()
                }
        except tarfile.TarError as err:
            raise BackendBadValueError(f"Invalid archive {name!r}: {err}") from None
    # members may or may not carry the directory name (OPSI/control or control)
    out = {}
    for path, body in files.items():
        parts = path.split("/")
        if parts[0] == stem and len(parts) > 1:
            path = "/".join(parts[1:])
        out[path] = body
    return out


def read_package(data: bytes, force_product_id: str | None = None) -> OpsiPackage:
    """Parse a .opsi file's bytes. Raises an OpsiError (never another exception) on bad input."""
    try:
        members = _outer_members(data)
        opsi_name = next((n for n in members if n.split(".")[0] == "OPSI"), None)
        if opsi_name is None:
            raise BackendBadValueError("Invalid opsi package: no OPSI archive found")
        opsi_files = _inner_files(opsi_name, members[opsi_name])
        client_name = next((n for n in members if n.split(".")[0] == "CLIENT_DATA"), None)
        client_files = _inner_files(client_name, members[client_name]) if client_name else {}
        pkg = parse_control(opsi_files, force_product_id)
        pkg.client_data = sorted((path, len(body)) for path, body in client_files.items())
        return pkg
    except OpsiError:
        raise
    except (
        ValueError,
        KeyError,
        EOFError,
        OSError,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
    ) as err:
        raise BackendBadValueError(f"Invalid opsi package: {err}") from None
    except Exception as err:  # zstandard.ZstdError and friends; never a traceback to the client
        raise BackendBadValueError(f"Invalid opsi package: {err}") from None


# control files -------------------------------------------------------------------------


def parse_control(opsi_files: dict[str, bytes], force_product_id: str | None = None) -> OpsiPackage:
    toml_text = opsi_files.get("control.toml")
    legacy_text = opsi_files.get("control")
    if toml_text is not None:
        data = _from_toml(tomllib.loads(toml_text.decode("utf-8")), opsi_files.get("changelog.txt"))
        if legacy_text is not None:
            legacy = _from_legacy(legacy_text.decode("utf-8", errors="replace"))
            new = _version_key(
                legacy["product"]["productVersion"], legacy["product"]["packageVersion"]
            )
            old = _version_key(data["product"]["productVersion"], data["product"]["packageVersion"])
            if new > old:
                raise BackendBadValueError(
                    "Control file is newer. Please update the control.toml file."
                )
    elif legacy_text is not None:
        data = _from_legacy(legacy_text.decode("utf-8", errors="replace"))
    else:
        raise BackendBadValueError("No control file found in OPSI archive")
    return _objects(data, force_product_id)


def _version_key(product_version: str, package_version: str) -> tuple:
    parts = re.findall(r"\d+|[a-zA-Z]+", f"{product_version}.{package_version}")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _none_empty(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == "none":
        return ""
    return value


def _from_toml(doc: dict[str, Any], changelog: bytes | None) -> dict[str, Any]:
    package = doc.get("Package", {})
    product = doc.get("Product", {})
    ptype = product.get("type", "LocalbootProduct")
    out_product = {
        "type": "NetbootProduct"
        if str(ptype).lower().startswith("netboot")
        else "LocalbootProduct",
        "id": product.get("id"),
        "name": product.get("name", ""),
        "description": product.get("description", ""),
        "advice": product.get("advice", ""),
        "productVersion": str(product.get("version", "1.0")),
        "packageVersion": str(package.get("version", "1")),
        "priority": product.get("priority", 0),
        "licenseRequired": product.get("licenseRequired", False),
        "productClassIds": product.get("productClasses", []),
        "windowsSoftwareIds": product.get("windowsSoftwareIds", []),
        "changelog": (changelog or b"").decode("utf-8", errors="replace")
        or str(doc.get("changelog", {}).get("changelog", "")),
    }
    for script in PRODUCT_SCRIPTS:
        if script in product:
            out_product[script] = product[script]
    props = []
    for prop in doc.get("ProductProperty", []):
        ptype = str(prop.get("type", "UnicodeProductProperty")).lower()
        props.append(
            {
                "type": "BoolProductProperty"
                if ptype.startswith("bool")
                else "UnicodeProductProperty",
                "propertyId": prop.get("name"),
                "description": prop.get("description", ""),
                "possibleValues": prop.get("values", []),
                "defaultValues": prop.get("default", []),
                "editable": prop.get("editable"),
                "multiValue": prop.get("multivalue"),
            }
        )
    deps = []
    for dep in doc.get("ProductDependency", []):
        deps.append(
            {
                "productAction": dep.get("action"),
                "requiredProductId": dep.get("requiredProduct"),
                "requiredProductVersion": dep.get("requiredProductVersion"),
                "requiredPackageVersion": dep.get("requiredPackageVersion"),
                "requiredAction": dep.get("requiredAction"),
                "requiredInstallationStatus": dep.get("requiredStatus"),
                "requirementType": dep.get("requirementType", "before"),
            }
        )
    pdeps = [
        PackageDependency(d.get("package"), d.get("condition"), d.get("version"))
        for d in package.get("depends", [])
    ]
    return {
        "product": out_product,
        "properties": props,
        "dependencies": deps,
        "package_depends": pdeps,
    }


_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEYVAL = re.compile(r"^([^:\s][^:]*?)\s*:\s?(.*)$")
_SECTIONS = ("package", "product", "windows", "productdependency", "productproperty", "changelog")


def _from_legacy(text: str) -> dict[str, Any]:
    sections: list[tuple[str, dict[str, str]]] = []
    changelog: list[str] = []
    current: dict[str, str] | None = None
    last_key: str | None = None
    in_changelog = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if in_changelog:
            changelog.append(line)
            continue
        head = _SECTION.match(line)
        if head:
            name = head.group(1).strip().lower()
            if name not in _SECTIONS:
                raise BackendBadValueError(
                    f"Parse error in line {lineno}: unknown section '{head.group(1)}'"
                )
            if name == "changelog":
                in_changelog = True
                continue
            current = {}
            sections.append((name, current))
            last_key = None
            continue
        if not line.strip() or line.lstrip().startswith(";") or line.lstrip().startswith("#"):
            if current is not None and last_key == "description" and not line.strip():
                current[last_key] += "\n"
            continue
        if line[0] in " \t" and current is not None and last_key:
            current[last_key] += "\n" + line.strip()
            continue
        match = _KEYVAL.match(line)
        if not match or current is None:
            raise BackendBadValueError(f"Parse error in line {lineno}: {line!r}")
        last_key = match.group(1).strip().lower()
        current[last_key] = match.group(2).strip()
    package = next((s for n, s in sections if n == "package"), {})
    product = next((s for n, s in sections if n == "product"), None)
    if product is None:
        raise BackendBadValueError("Control file has no [Product] section")
    windows = next((s for n, s in sections if n == "windows"), {})
    ptype = product.get("type", "localboot").lower()
    out_product: dict[str, Any] = {
        "type": "NetbootProduct" if ptype.startswith("netboot") else "LocalbootProduct",
        "id": product.get("id"),
        "name": product.get("name", ""),
        "description": product.get("description", "").strip("\n"),
        "advice": _none_empty(product.get("advice", "")),
        "productVersion": product.get("version") or "1.0",
        "packageVersion": package.get("version") or product.get("packageversion") or "1",
        "priority": product.get("priority") or 0,
        "licenseRequired": product.get("licenserequired") or False,
        "productClassIds": _csv(product.get("productclasses", "")),
        "windowsSoftwareIds": _csv(windows.get("softwareids", "")),
        "changelog": "\n".join(changelog).strip("\n"),
    }
    for script in PRODUCT_SCRIPTS:
        if script.lower() in product:
            out_product[script] = _none_empty(product[script.lower()])
    props = []
    for name, sec in sections:
        if name != "productproperty":
            continue
        is_bool = sec.get("type", "unicode").strip().lower() == "bool"
        values = _json_or_csv(sec.get("values", ""))
        default = _json_or_csv(sec.get("default", ""))
        prop: dict[str, Any] = {
            "type": "BoolProductProperty" if is_bool else "UnicodeProductProperty",
            "propertyId": sec.get("name"),
            "description": sec.get("description", ""),
            "defaultValues": default,
        }
        if not is_bool:
            prop["possibleValues"] = values
            editable = sec.get("editable")
            prop["editable"] = (not values) if editable is None else editable
            prop["multiValue"] = sec.get("multivalue", False)
        props.append(prop)
    deps = []
    for name, sec in sections:
        if name != "productdependency":
            continue
        deps.append(
            {
                "productAction": sec.get("action"),
                "requiredProductId": sec.get("requiredproduct"),
                "requiredProductVersion": sec.get("requiredproductversion") or None,
                "requiredPackageVersion": sec.get("requiredpackageversion") or None,
                "requiredAction": sec.get("requiredaction") or None,
                "requiredInstallationStatus": sec.get("requiredstatus") or None,
                "requirementType": sec.get("requirementtype") or None,
            }
        )
    return {
        "product": out_product,
        "properties": props,
        "dependencies": deps,
        "package_depends": _package_depends(package.get("depends", "")),
    }


def _csv(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _json_or_csv(text: str) -> list:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
            return value if isinstance(value, list) else [value]
        except json.JSONDecodeError:
            pass
    if text.lower() in ("true", "false"):
        return [text.lower() == "true"]
    return _csv(text)


_DEPENDS = re.compile(r"^\s*([^\s(]+)\s*(?:\(\s*(=|==|<=|>=|<|>)?\s*([^)\s]+)\s*\))?\s*$")


def _package_depends(text: str) -> list[PackageDependency]:
    out = []
    for part in _csv(text):
        match = _DEPENDS.match(part)
        if not match:
            raise BackendBadValueError(f"Bad package dependency: {part!r}")
        name, cond, version = match.groups()
        out.append(PackageDependency(name, cond or ("=" if version else None), version))
    return out


def _objects(data: dict[str, Any], force_product_id: str | None) -> OpsiPackage:
    prod = dict(data["product"])
    if force_product_id:
        prod["id"] = force_product_id
    product = objects.set_defaults(objects.from_hash(prod, "Product"))
    common = {
        "productId": product["id"],
        "productVersion": product["productVersion"],
        "packageVersion": product["packageVersion"],
    }
    deps = []
    for dep in data["dependencies"]:
        if not dep.get("requiredAction") and not dep.get("requiredInstallationStatus"):
            raise BackendBadValueError(
                f"Dependency {dep.get('requiredProductId')!r} defines neither requiredAction "
                "nor requiredInstallationStatus"
            )
        deps.append(objects.from_hash({**dep, **common}, "ProductDependency"))
    props = [
        objects.set_defaults(objects.from_hash({**p, **common}, "ProductProperty"))
        for p in data["properties"]
    ]
    return OpsiPackage(product, deps, props, data["package_depends"])


# version comparison (package dependencies) ---------------------------------------------


def _legacy_parts(version: str) -> list:
    version = version.split("~")[0]
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.findall(r"\d+|[a-zA-Z]+", version)]


def compare_versions(available: str, condition: str, required: str) -> bool:
    left, right = _legacy_parts(available), _legacy_parts(required)
    length = max(len(left), len(right))
    left += [(0, 0)] * (length - len(left))
    right += [(0, 0)] * (length - len(right))
    ops = {
        "=": left == right,
        "==": left == right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }
    return ops.get(condition, left == right)
