"""Request parsing and response bodies the way OPNsense's api.php and ApiControllerBase do it."""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fleet.lab.sim.base import Response

JSON_TYPE = "application/json; charset=UTF-8"


class ApiError(Exception):
    """An answer other than a normal 200 JSON body."""

    def __init__(self, status: int, body: Any):
        super().__init__(status)
        self.status = status
        self.body = body


def user_exception(message: str, title: str) -> ApiError:
    """OPNsense UserException: HTTP 500 with the message and title (errorLevel since 26.7)."""
    return ApiError(500, {"errorMessage": message, "errorTitle": title, "errorLevel": "error"})


def unexpected() -> ApiError:
    return ApiError(500, {"errorMessage": "Unexpected error, check log for details"})


NOT_FOUND = {"errorMessage": "Endpoint not found"}
AUTH_FAILED = {"status": 401, "message": "Authentication Failed"}
FORBIDDEN = {"status": 403, "message": "Forbidden"}
INVALID_JSON = {"status": 400, "message": "Invalid JSON syntax"}


def php_json(data: Any) -> Any:
    """PHP has only arrays: an empty map is encoded as `[]`, like an empty list."""
    if isinstance(data, dict):
        if not data:
            return []
        return {k: php_json(v) if type(v) in _NESTED else v for k, v in data.items()}
    if isinstance(data, list):
        return [php_json(v) if type(v) in _NESTED else v for v in data]
    return data


_NESTED = (dict, list)


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(php_json(data), separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status=status, body=body, headers={"Content-Type": JSON_TYPE})


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def php_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """PHP's parsing of `a[b][]=v` query/form keys into nested arrays."""
    out: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        if not head:
            continue
        keys = [head] + (_BRACKETS.findall("[" + rest) if rest else [])
        node: Any = out
        for i, k in enumerate(keys):
            last = i == len(keys) - 1
            if isinstance(node, list):
                if k == "" or last:
                    if last:
                        node.append(value)
                        break
                    node.append({})
                    node = node[-1]
                    continue
                node = {str(j): v for j, v in enumerate(node)}
            if last:
                node[k] = value
            else:
                nxt = keys[i + 1]
                if k not in node or not isinstance(node[k], dict | list):
                    node[k] = [] if nxt == "" else {}
                node = node[k]
    return out


@dataclass
class Call:
    """One API call after routing: what an OPNsense action sees."""

    method: str
    params: list[str]  # extra path segments (uuid, enabled, …)
    query: dict[str, Any] = field(default_factory=dict)
    post: dict[str, Any] = field(default_factory=dict)
    username: str = "root"
    remote: str = "127.0.0.1"
    path: str = ""

    @property
    def is_post(self) -> bool:
        return self.method == "POST"

    def get(self, name: str, default: Any = None) -> Any:
        """Phalcon request->get(): POST data over the query string."""
        if name in self.post:
            return self.post[name]
        return self.query.get(name, default)

    def param(self, i: int, default: str | None = None) -> str | None:
        return self.params[i] if len(self.params) > i else default


def parse_body(method: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """POST data: JSON (400 on bad syntax) or form encoding."""
    ctype = headers.get("content-type", "")
    if ctype.lower().startswith("application/json"):
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, INVALID_JSON) from None
        if isinstance(data, dict):
            return data
        if isinstance(data, list):  # a JSON list becomes a PHP array with numeric keys
            return {str(i): v for i, v in enumerate(data)}
        raise ApiError(400, INVALID_JSON)
    if method != "POST" or not body:
        return {}
    pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return php_params(pairs)


def to_php_string(value: Any) -> str:
    """(string)$value for a scalar leaf; arrays as leaves are an error in OPNsense."""
    if isinstance(value, bool):
        return "1" if value else ""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict | list):
        raise unexpected()
    return str(value)


LOGIN_PAGE = """<!doctype html>
<html lang="en-US" class="no-js">
  <head>
    <meta charset="UTF-8" />
    <meta name="robots" content="noindex, nofollow" />
    <title>Login | OPNsense</title>
  </head>
  <body class="page-login">
    <div class="container">
      <main class="login-modal-container">
        <header class="login-modal-head"><div class="navbar-brand">OPNsense</div></header>
        <div class="login-modal-content">
          <form class="clearfix" id="iform" name="iform" method="post" autocomplete="off">
            <input id="usernamefld" type="text" name="usernamefld" class="form-control user" />
            <input id="passwordfld" type="password" name="passwordfld" class="form-control pwd" />
            <button type="submit" name="login" value="1" class="btn btn-primary">Login</button>
          </form>
        </div>
      </main>
      <div class="login-foot text-center">
        <a target="_blank" href="https://opnsense.org/">OPNsense</a> (c) 2014-2026
        <a target="_blank" href="https://www.deciso.com/">Deciso B.V.</a>
      </div>
    </div>
  </body>
</html>
"""


def login_page(version: str) -> Response:
    """`GET /` of the web UI when not logged in: 200 with the login form, never a redirect
    (reference: conventions.web_ui_root)."""
    session = hashlib.sha256(f"{version}:{time.time_ns()}".encode()).hexdigest()
    return Response(
        body=LOGIN_PAGE.encode(),
        headers={
            "Content-Type": "text/html; charset=UTF-8",
            "Server": "OPNsense",
            "Set-Cookie": f"PHPSESSID={session[:26]}; path=/; secure; HttpOnly; SameSite=Lax",
        },
    )
