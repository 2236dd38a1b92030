"""`.opsi` package files: build one (deterministic bytes, so a sha256 names one package) and
read one back into the catalogue lock's terms.

A package is an uncompressed tar holding `OPSI.tar.gz` (the legacy `control` file, or
`control.toml`) and `CLIENT_DATA.tar.gz` (the files the workstations run), as the reference's
package format says. Standard library only: the Ansible modules use this file too (through the
module_utils symlink).
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import re
import tarfile
from typing import Any

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover
    tomllib = None  # type: ignore[assignment]

SCRIPTS = (
    "setupScript",
    "uninstallScript",
    "updateScript",
    "alwaysScript",
    "onceScript",
    "customScript",
    "userLoginScript",
)
MAX_MEMBER = 64 * 1024 * 1024


class PackageError(ValueError):
    """A file that is not a readable .opsi package; the message says why."""


def file_name(product_id: str, version: str) -> str:
    """`firefox`, `2024.8-3` → `firefox_2024.8-3.opsi`."""
    return f"{product_id}_{version}.opsi"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# building ----------------------------------------------------------------------------------


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0
            info.mode = 0o644
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(files[name]))
    return buf.getvalue()


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return "" if value is None else str(value)


def control_text(product: dict[str, Any], dependencies: list[dict], properties: list[dict]) -> str:
    """The legacy `control` file of a product given as opsi objects (Product,
    ProductDependency, ProductProperty dicts, as JSON-RPC returns them)."""
    kind = "netboot" if str(product.get("type", "")).startswith("Netboot") else "localboot"
    lines = ["[Package]", f"version: {product['packageVersion']}", "depends: ", ""]
    lines += [
        "[Product]",
        f"type: {kind}",
        f"id: {product['id']}",
        f"name: {product.get('name') or product['id']}",
    ]
    description = str(product.get("description") or "").splitlines() or [""]
    lines.append(f"description: {description[0]}")
    lines += [f" {line}" for line in description[1:]]
    lines += [
        f"advice: {product.get('advice') or ''}",
        f"version: {product['productVersion']}",
        f"priority: {int(product.get('priority') or 0)}",
        f"licenseRequired: {_value(bool(product.get('licenseRequired')))}",
        f"productClasses: {', '.join(product.get('productClassIds') or [])}",
    ]
    lines += [
        f"{s}: {product.get(s) or ''}"
        for s in SCRIPTS
        if kind == "localboot" or s != "userLoginScript"
    ]
    lines.append("")
    for dep in dependencies:
        lines += [
            "[ProductDependency]",
            f"action: {dep.get('productAction') or 'setup'}",
            f"requiredProduct: {dep['requiredProductId']}",
            f"requiredProductVersion: {_value(dep.get('requiredProductVersion'))}",
            f"requiredPackageVersion: {_value(dep.get('requiredPackageVersion'))}",
            f"requiredAction: {_value(dep.get('requiredAction'))}",
            f"requiredStatus: {_value(dep.get('requiredInstallationStatus'))}",
            f"requirementType: {_value(dep.get('requirementType'))}",
            "",
        ]
    for prop in properties:
        is_bool = str(prop.get("type", "")).startswith("Bool")
        lines += ["[ProductProperty]", f"type: {'bool' if is_bool else 'unicode'}"]
        lines += [f"name: {prop['propertyId']}", f"description: {prop.get('description') or ''}"]
        if not is_bool:
            lines += [
                f"multivalue: {_value(bool(prop.get('multiValue')))}",
                f"editable: {_value(bool(prop.get('editable')))}",
                f"values: {json.dumps(prop.get('possibleValues') or [], ensure_ascii=False)}",
            ]
        lines += [f"default: {json.dumps(prop.get('defaultValues') or [], ensure_ascii=False)}", ""]
    lines += ["[Changelog]", str(product.get("changelog") or "").rstrip("\n"), ""]
    return "\n".join(lines)


def build(
    product: dict[str, Any],
    dependencies: list[dict] | None = None,
    properties: list[dict] | None = None,
    client_data: dict[str, bytes] | None = None,
) -> bytes:
    """A `.opsi` file for a product given as opsi objects. The same input gives the same bytes
    (no timestamps, sorted members), so its sha256 identifies the package."""
    control = control_text(product, dependencies or [], properties or [])
    files = client_data
    if files is None:
        script = product.get("setupScript") or "setup.opsiscript"
        body = (
            f"; {product['id']} {product['productVersion']}-{product['packageVersion']}\n"
            '[Actions]\nrequiredWinstVersion >= "4.12"\n'
            f'Message "Installing {product.get("name") or product["id"]}"\n'
        )
        files = {script: body.encode()}
    opsi = _tar({"OPSI/control": control.encode()})
    client = _tar({f"CLIENT_DATA/{k}": v for k, v in files.items()})
    return _tar(
        {
            "OPSI.tar.gz": gzip.compress(opsi, mtime=0),
            "CLIENT_DATA.tar.gz": gzip.compress(client, mtime=0),
        }
    )


# reading -----------------------------------------------------------------------------------


def _members(data: bytes, what: str) -> dict[str, bytes]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            out = {}
            for member in tar.getmembers():
                if member.isfile():
                    if member.size > MAX_MEMBER:
                        raise PackageError(f"{what}: member {member.name!r} is too large")
                    out[member.name.lstrip("./")] = tar.extractfile(member).read()  # type: ignore[union-attr]
            return out
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise PackageError(f"{what} is not a tar archive ({exc})") from None


def _inner(name: str, data: bytes) -> dict[str, bytes]:
    try:
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        elif name.endswith(".bz2"):
            data = bz2.decompress(data)
        elif name.endswith(".zst"):
            try:
                import zstandard  # type: ignore[import-not-found]
            except ImportError:
                raise PackageError(
                    f"{name} is zstd-compressed and zstandard is not installed"
                ) from None
            data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except (OSError, EOFError, ValueError) as exc:
        raise PackageError(f"{name} cannot be decompressed ({exc})") from None
    files = _members(data, name)
    stem = name.split(".")[0]
    return {
        (p.split("/", 1)[1] if p.startswith(stem + "/") else p): body for p, body in files.items()
    }


_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\s*:\s?(.*)$")


def _legacy(text: str) -> list[tuple[str, dict[str, str]]]:
    sections: list[tuple[str, dict[str, str]]] = []
    key = None
    for number, line in enumerate(text.splitlines(), 1):
        head = _SECTION.match(line)
        if head:
            name = head.group(1).strip().lower()
            if name == "changelog":
                break
            sections.append((name, {}))
            key = None
            continue
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        if line[0].isspace() and key is not None and sections:
            sections[-1][1][key] += "\n" + line.strip()
            continue
        match = _KEY.match(line)
        if not match or not sections:
            raise PackageError(f"control line {number}: cannot parse {line.strip()[:60]!r}")
        key = match.group(1).lower()
        sections[-1][1][key] = match.group(2).strip()
    return sections


def _list(text: str) -> list:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            raise PackageError(f"property values {text[:60]!r} are not a JSON list") from None
        return value if isinstance(value, list) else [value]
    if text.lower() in ("true", "false"):
        return [text.lower() == "true"]
    return [p.strip() for p in text.split(",") if p.strip()]


def _condition(version: str, package: str) -> str | None:
    if version and package:
        return f"= {version}-{package}"
    return f"= {version}" if version else None


_DEPENDS = re.compile(r"^\s*([^\s(]+)\s*(?:\(\s*(=|==|<=|>=|<|>)?\s*([^)\s]+)\s*\))?\s*$")


def _from_legacy(text: str) -> dict[str, Any]:
    sections = _legacy(text)
    package = next((s for n, s in sections if n == "package"), {})
    product = next((s for n, s in sections if n == "product"), None)
    if product is None:
        raise PackageError("control file has no [Product] section")
    if not product.get("id"):
        raise PackageError("control file: [Product] has no id")
    entry: dict[str, Any] = {
        "id": product["id"].lower(),
        "type": "netboot" if product.get("type", "").lower().startswith("netboot") else "localboot",
        "version": f"{product.get('version') or '1.0'}-{package.get('version') or product.get('packageversion') or '1'}",
        "dependencies": [],
        "properties": {},
    }
    for name, sec in sections:
        if name == "productdependency":
            if not sec.get("requiredproduct"):
                raise PackageError(f"{entry['id']}: a [ProductDependency] has no requiredProduct")
            if not sec.get("requiredaction") and not sec.get("requiredstatus"):
                raise PackageError(
                    f"{entry['id']}: dependency on {sec['requiredproduct']} sets neither "
                    "requiredAction nor requiredStatus"
                )
            entry["dependencies"].append(
                _dependency(
                    sec["requiredproduct"],
                    sec.get("action") or "setup",
                    sec.get("requiredaction") or None,
                    sec.get("requiredstatus") or None,
                    _condition(
                        sec.get("requiredproductversion", ""), sec.get("requiredpackageversion", "")
                    ),
                    sec.get("requirementtype") or None,
                )
            )
        elif name == "productproperty":
            if not sec.get("name"):
                raise PackageError(f"{entry['id']}: a [ProductProperty] has no name")
            entry["properties"][sec["name"]] = _list(sec.get("default", ""))
    for part in [p.strip() for p in package.get("depends", "").split(",") if p.strip()]:
        match = _DEPENDS.match(part)
        if not match:
            raise PackageError(f"{entry['id']}: bad package dependency {part!r}")
        name, op, version = match.groups()
        entry["dependencies"].append(
            _dependency(
                name,
                "install",
                None,
                "installed",
                f"{'=' if op in (None, '==') else op} {version}" if version else None,
                "before",
            )
        )
    return entry


def _from_toml(text: str) -> dict[str, Any]:
    if tomllib is None:  # pragma: no cover
        raise PackageError("control.toml needs Python 3.11")
    try:
        doc = tomllib.loads(text)
    except ValueError as exc:
        raise PackageError(f"control.toml: {exc}") from None
    package, product = doc.get("Package", {}), doc.get("Product", {})
    if not product.get("id"):
        raise PackageError("control.toml: [Product] has no id")
    entry: dict[str, Any] = {
        "id": str(product["id"]).lower(),
        "type": "netboot"
        if str(product.get("type", "")).lower().startswith("netboot")
        else "localboot",
        "version": f"{product.get('version', '1.0')}-{package.get('version', '1')}",
        "dependencies": [],
        "properties": {},
    }
    for dep in doc.get("ProductDependency", []):
        entry["dependencies"].append(
            _dependency(
                dep.get("requiredProduct", ""),
                dep.get("action") or "setup",
                dep.get("requiredAction"),
                dep.get("requiredStatus"),
                _condition(
                    str(dep.get("requiredProductVersion") or ""),
                    str(dep.get("requiredPackageVersion") or ""),
                ),
                dep.get("requirementType", "before") or None,
            )
        )
    for prop in doc.get("ProductProperty", []):
        entry["properties"][prop.get("name")] = list(prop.get("default", []))
    for dep in package.get("depends", []):
        cond = f"{dep.get('condition') or '='} {dep['version']}" if dep.get("version") else None
        entry["dependencies"].append(
            _dependency(dep.get("package", ""), "install", None, "installed", cond, "before")
        )
    return entry


def _dependency(
    product, action, required_action, required_status, version, order
) -> dict[str, Any]:
    dep: dict[str, Any] = {"product": str(product).lower(), "action": action}
    if required_action:
        dep["required_action"] = required_action
    if required_status:
        dep["required_status"] = required_status
    if version:
        dep["version"] = version
    if order:
        dep["order"] = order
    return dep


def read(data: bytes) -> dict[str, Any]:
    """A package's lock entry (id, type, version, dependencies, property defaults, file,
    sha256). Raises PackageError saying what is wrong with it."""
    outer = _members(data, "the package")
    opsi_name = next((n for n in outer if n.split(".")[0] == "OPSI"), None)
    if opsi_name is None:
        raise PackageError("no OPSI archive (OPSI.tar.*) in the package")
    if not any(n.split(".")[0] == "CLIENT_DATA" for n in outer):
        raise PackageError("no CLIENT_DATA archive in the package")
    files = _inner(opsi_name, outer[opsi_name])
    try:
        if "control.toml" in files:
            entry = _from_toml(files["control.toml"].decode("utf-8"))
        elif "control" in files:
            entry = _from_legacy(files["control"].decode("utf-8"))
        else:
            raise PackageError("no control file in OPSI archive")
    except UnicodeDecodeError as exc:
        raise PackageError(f"control file is not UTF-8 ({exc.reason})") from None
    entry["file"] = file_name(entry["id"], entry["version"])
    entry["sha256"] = sha256(data)
    return entry
