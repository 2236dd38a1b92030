"""An in-process client for a PVE device (tests, benchmarks): builds `Request`s the way an HTTP
client would send them and decodes the JSON envelope. No sockets."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from ..base import Request, Response


class Reply:
    def __init__(self, response: Response):
        self.response = response
        self.status = response.status
        self.reason = response.reason
        self.body = json.loads(response.body) if response.body else None

    @property
    def data(self) -> Any:
        return self.body["data"]

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.reason!r} {self.body!r}>"


class LocalClient:
    def __init__(self, device, auth: dict[str, str] | None = None):
        self.device = device
        if auth is None:
            creds = device.credentials()
            auth = {"authorization": f"PVEAPIToken={creds['token_id']}={creds['token_secret']}"}
        self.headers = dict(auth)

    def request(self, method: str, path: str, params: dict[str, Any] | None = None,
                json_body: bool = False, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> Reply:  # fmt: skip
        hdrs = {**self.headers, **(headers or {})}
        query: dict[str, list[str]] = {}
        payload = b"" if body is None else body
        if params and method in ("GET", "DELETE"):
            query = {k: [str(v)] for k, v in params.items()}
        elif params and json_body:
            payload = json.dumps(params).encode()
            hdrs["content-type"] = "application/json"
        elif params:
            payload = urlencode(params).encode()
            hdrs["content-type"] = "application/x-www-form-urlencoded"
        request = Request(method, f"/api2/json{path}", query=query, headers=hdrs, body=payload)
        return Reply(self.device.handle(request))

    def get(self, path: str, /, **params: Any) -> Reply:
        return self.request("GET", path, params)

    def post(self, path: str, /, **params: Any) -> Reply:
        return self.request("POST", path, params)

    def put(self, path: str, /, **params: Any) -> Reply:
        return self.request("PUT", path, params)

    def delete(self, path: str, /, **params: Any) -> Reply:
        return self.request("DELETE", path, params)
