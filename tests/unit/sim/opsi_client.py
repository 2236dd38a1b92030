"""Test helpers for the opsi device: JSON-RPC calls through `device.handle()` and a small
`.opsi` package builder written from the format description (outer uncompressed tar holding
OPSI.tar.<comp> and CLIENT_DATA.tar.<comp>), independent of the simulator's own parser."""

from __future__ import annotations

import base64
import gzip
import io
import json
import tarfile
from typing import Any

from fleet.lab.sim.base import Request
from fleet.lab.sim.opsi import factory


def new_device(name: str = "opsi-001", seed: int = 7, state: dict | None = None):
    return factory(name, 0, state, seed)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def admin_headers(dev) -> dict[str, str]:
    creds = dev.credentials()
    return {
        "authorization": basic(creds["username"], creds["password"]),
        "content-type": "application/json",
    }


def post(dev, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    hdrs = admin_headers(dev) if headers is None else headers
    resp = dev.handle(Request("POST", "/rpc", headers=hdrs, body=body))
    return resp, (json.loads(resp.body) if resp.body else None)


def call(
    dev, method: str, *params: Any, v2: bool = False, headers: dict[str, str] | None = None
) -> dict:
    payload: dict[str, Any] = {"id": 1, "method": method, "params": list(params)}
    if v2:
        payload["jsonrpc"] = "2.0"
    resp, body = post(dev, payload, headers)
    assert resp.status == 200, (resp.status, body)
    return body


def ok(dev, method: str, *params: Any) -> Any:
    body = call(dev, method, *params)
    assert body["error"] is None, body["error"]
    return body["result"]


def err(dev, method: str, *params: Any) -> dict:
    body = call(dev, method, *params)
    assert body["result"] is None and body["error"] is not None, body
    return body["error"]


def put_file(dev, name: str, data: bytes, headers: dict[str, str] | None = None):
    return dev.handle(
        Request("PUT", f"/repository/{name}", headers=headers or admin_headers(dev), body=data)
    )


def _tar(files: dict[str, bytes], compression: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    if compression == "gz":
        return gzip.compress(raw)
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(raw)
    return raw


def build_opsi(
    control: str,
    *,
    toml: bool = True,
    compression: str = "zstd",
    client_data: dict[str, bytes] | None = None,
) -> bytes:
    """A .opsi file: uncompressed tar with OPSI.tar.<ext> and CLIENT_DATA.tar.<ext>."""
    ext = {"zstd": "zst", "gz": "gz"}[compression]
    opsi_files = {"OPSI/control.toml" if toml else "OPSI/control": control.encode()}
    client = client_data or {"CLIENT_DATA/setup.opsiscript": b"[Actions]\nMessage 'demo'\n"}
    outer = {
        f"OPSI.tar.{ext}": _tar(opsi_files, compression),
        f"CLIENT_DATA.tar.{ext}": _tar(client, compression),
    }
    return _tar(outer, "none")


DEMO_TOML = """\
[Package]
version = "2"
depends = []

[Product]
type = "LocalbootProduct"
id = "demo-app"
name = "Demo App"
description = "Example"
advice = ""
version = "1.2.3"
priority = 10
licenseRequired = false
productClasses = []
setupScript = "setup.opsiscript"
uninstallScript = "uninstall.opsiscript"
updateScript = ""
alwaysScript = ""
onceScript = ""
customScript = ""
userLoginScript = ""
windowsSoftwareIds = []

[[ProductProperty]]
type = "UnicodeProductProperty"
name = "language"
multivalue = false
editable = false
description = "UI language"
values = ["de", "en"]
default = ["en"]

[[ProductProperty]]
type = "BoolProductProperty"
name = "desktop-link"
description = "Link on the desktop"
default = [true]

[[ProductDependency]]
action = "setup"
requiredProduct = "vcredist-2015-2022-x64"
requiredStatus = "installed"
requirementType = "before"
"""

LEGACY_CONTROL = """\
[Package]
version: 3
depends: firefox (>= 1.0-1)

[Product]
type: localboot
id: legacy-tool
name: Legacy Tool
description: A tool packaged
 with the legacy control syntax
advice: none
version: 4.5
priority: -5
licenseRequired: False
productClasses:
setupScript: setup.opsiscript
uninstallScript: uninstall.opsiscript
updateScript:
alwaysScript:
onceScript:
customScript:
userLoginScript:

[ProductProperty]
type: unicode
name: mode
multivalue: False
editable: False
description: How to run
values: ["fast", "safe"]
default: ["safe"]

[ProductProperty]
type: bool
name: autostart
description: Start with Windows
default: False

[ProductDependency]
action: setup
requiredProduct: 7zip
requiredAction: setup
requirementType: before

[Changelog]
legacy-tool (4.5-3) stable; urgency=low

  * first package
"""
