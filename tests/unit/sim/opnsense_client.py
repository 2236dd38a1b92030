"""Test helper for the OPNsense device: requests through `device.handle()` with the device's
key/secret Basic auth, the query string parsed as the HTTP server parses it (blank values
kept)."""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Any

from fleet.lab.sim.base import Request, Response


class Api:
    def __init__(self, device):
        self.device = device
        c = device.credentials()
        self.auth = "Basic " + base64.b64encode(f"{c['key']}:{c['secret']}".encode()).decode()

    def raw(
        self, method: str, path: str, body: Any = None, headers: dict | None = None, data=b""
    ) -> Response:
        """The device's response; `body` is sent as JSON, else `data` as given."""
        h = {"authorization": self.auth}
        if body is not None:
            h["content-type"] = "application/json"
            data = json.dumps(body).encode()
        h.update(headers or {})
        path, _, qs = path.partition("?")
        query = urllib.parse.parse_qs(qs, keep_blank_values=True)
        return self.device.handle(Request(method, path, query, h, data or b""))

    def reply(self, method: str, path: str, body: Any = None, headers=None, data=b""):
        """(status, decoded JSON body or None) for tests of error answers."""
        r = self.raw(method, path, body, headers, data)
        return r.status, json.loads(r.body) if r.body else None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The decoded JSON of a 200 answer (anything else fails the test)."""
        r = self.raw(method, path, body)
        assert r.status == 200, (path, r.status, r.body)
        return json.loads(r.body)

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, body)
