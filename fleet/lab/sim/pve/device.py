"""One simulated Proxmox VE node: request → auth → route → validate → handler → PVE envelope.

The device is pure (no I/O); time comes from an injectable clock so tasks are testable. A
mutating request runs on a copy of the state that replaces it only on success, so bad input
never leaves a half-changed state behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from ..base import Request, Response
from ..store import clone, encode
from . import tasks
from .auth import AuthFailed, Identity, authenticate, check_csrf, check_permissions
from .context import Ctx, Reply
from .errors import ApiError, ParamError
from .params import validate
from .schema import Endpoint, load

API_PREFIX = "/api2/json"
PUBLIC = {("GET", "/access/ticket"), ("POST", "/access/ticket")}
JSON_TYPE = "application/json;charset=UTF-8"


def _body_params(request: Request) -> dict[str, str]:
    ctype = (request.header("content-type") or "").split(";")[0].strip().lower()
    if not request.body:
        return {}
    if ctype == "application/json":
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as err:
            raise ApiError(f"failed to parse JSON body - {err}", 400) from None
        if not isinstance(data, dict):
            raise ApiError("JSON body must be an object", 400)
        out = {}
        for key, val in data.items():
            if val is None:
                continue
            if isinstance(val, bool):
                out[key] = "1" if val else "0"
            elif isinstance(val, (int, float, str)):
                out[key] = str(val)
            else:
                out[key] = json.dumps(val)
        return out
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("unable to decode request body as UTF-8", 400) from None
    return _join(parse_qsl(text, keep_blank_values=True))


def _join(pairs) -> dict[str, str]:
    # pve-http-server joins repeated parameters with NUL; validation then sees one value.
    out: dict[str, str] = {}
    for key, val in pairs:
        out[key] = f"{out[key]}\0{val}" if key in out else val
    return out


def _query_params(request: Request) -> dict[str, str]:
    return _join((k, v) for k, vals in request.query.items() for v in vals)


def _json(status: int, reason: str, body: Any, headers: dict[str, str] | None = None):
    raw = encode(body)
    return Response(
        status=status,
        body=raw,
        headers={"Content-Type": JSON_TYPE, **(headers or {})},
        reason=reason,
    )


def error_reply(err: ApiError) -> Response:
    body: dict[str, Any] = {"data": None}
    if isinstance(err, ParamError):
        body["errors"] = err.errors
    body["message"] = err.message
    return _json(err.status, err.message.split("\n", 1)[0].strip(), body)


class PveDevice:
    def __init__(
        self,
        name: str,
        state: dict[str, Any],
        clock: Callable[[], float],
        handlers: dict[str, Callable[..., Any]],
        effects: dict[str, Callable[..., None]],
    ):
        self.name = name
        self.state = state
        self.clock = clock
        self.schema = load()
        self.handlers = handlers
        self.effects = effects

    # --- Device protocol -------------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        root = self.state["users"]["root@pam"]
        return {
            "token_id": "root@pam!fleet",
            "token_secret": root["tokens"]["fleet"]["secret"],
            "username": "root@pam",
            "password": root["password"],
            "node": self.state["node"]["name"],
        }

    def snapshot(self) -> dict[str, Any]:
        self.settle()
        return self.state  # the server encodes it at once, before anything else runs

    def error_response(self, status: int) -> Response:
        messages = {
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }
        reason = messages.get(status, "Error")
        return _json(status, reason, {"data": None, "message": f"{reason}\n"})

    def handle(self, request: Request) -> Response:
        try:
            return self._handle(request)
        except ApiError as err:
            return error_reply(err)
        except Exception as err:  # a simulator bug must still look like a PVE error
            return error_reply(ApiError(f"internal error: {type(err).__name__}"))

    # --- tasks ---------------------------------------------------------------------------

    def settle(self) -> None:
        """Finish every task whose time is up, applying its effect."""
        now = self.clock()
        for upid in tasks.due(self.state, now):
            task = self.state["tasks"][upid]
            error = task.get("error")
            if error is None and task.get("effect"):
                effect = task["effect"]
                work = clone(self.state)
                try:
                    ctx = Ctx(work, self.clock(), None)
                    self.effects[effect["kind"]](ctx, effect)
                except ApiError as err:
                    error = err.message
                else:
                    work["tasks"] = self.state["tasks"]
                    self.state.clear()
                    self.state.update(work)
                    task = self.state["tasks"][upid]
            tasks.finish(task, error)

    # --- request pipeline ----------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        self.settle()
        method = request.method.upper()
        if not request.path.startswith(API_PREFIX + "/") and request.path != API_PREFIX:
            return Response(status=404, body=b"", reason="Not Found")
        rel = request.path[len(API_PREFIX) :] or "/"
        rel = "/" + "/".join(unquote(p) for p in rel.split("/") if p)
        ident = None
        if (method, rel) not in PUBLIC:
            try:
                ident = authenticate(self.state, request.headers, self.clock())
            except AuthFailed as err:
                return Response(status=401, body=b"", reason=err.reason)
        endpoint, path_values, _ = self.schema.match(method, rel)
        if endpoint is None:
            text = f"Method '{method} {rel}' not implemented"
            return _json(501, text, {"data": None, "message": text})
        if ident and ident.tokenid and not endpoint.allowtoken:
            raise ApiError(
                f"Permission check failed (URI {rel} not available with API token, "
                "need proper ticket.)",
                403,
            )
        if ident and ident.ticket and method != "GET":
            token = request.header("CSRFPreventionToken")
            if not check_csrf(self.state["secret"], ident.userid, token, self.clock()):
                return Response(
                    status=401, body=b"", reason="Permission denied - invalid csrf token"
                )
        values = _query_params(request)
        if method in ("POST", "PUT"):
            values = {**_body_params(request), **values}
        params = validate(endpoint, values, path_values)
        if ident:
            check_permissions(endpoint.permissions, ident, params)
        return self._run(endpoint, ident, params, method)

    def _run(self, endpoint: Endpoint, ident: Identity | None, params: dict[str, Any], method):
        handler = self.handlers[endpoint.key]
        if method == "GET":
            result = handler(Ctx(self.state, self.clock(), ident), params)
        else:
            work = clone(self.state)  # copy on write: a failing handler changes nothing
            result = handler(Ctx(work, self.clock(), ident), params)
            self.state.clear()
            self.state.update(work)
        if isinstance(result, Reply):
            return _json(200, "OK", {"data": result.data, **result.extra})
        return _json(200, "OK", {"data": result})
