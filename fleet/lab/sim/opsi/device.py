"""One simulated opsiconfd 4.3 server: `/rpc` (JSON-RPC), the WebDAV repository used to upload
packages, and opsiconfd's authentication. The server is the config server and master depot of
its site, preloaded with the shared catalogue."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from ..base import Request, Response
from . import auth, interface, master, objects, rpc
from .backend import Backend
from .errors import BackendPermissionDeniedError, OpsiError, OpsiValueError

ADMIN_USER = "adminuser"
ADMIN_GROUPS = ["opsiadmin", "opsifileadmins"]
MAX_REPOSITORY = 256 * 1024 * 1024  # bytes of uploaded packages one device keeps
READ_PREFIXES = ("accessControl_", "backend_")
CLIENT_WRITES = (
    "productOnClient_updateObject",
    "productOnClient_updateObjects",
    "setProductActionRequest",
)
# answered from the caller's session, not by the backend (routes.py has the others)
SESSION_METHODS: dict[str, Callable[[OpsiDevice, auth.Session], Any]] = {
    "accessControl_authenticated": lambda dev, session: True,
    "accessControl_userIsAdmin": lambda dev, session: session.is_admin,
    "accessControl_userIsReadOnlyUser": lambda dev, session: False,
    "accessControl_getUserGroups": lambda dev, session: (
        list(ADMIN_GROUPS) if session.is_admin else []
    ),
    "backend_getInterface": lambda dev, session: [
        interface.describe(n, s) for n, s in dev.interface.items()
    ],
}


def depot_id_for(name: str) -> str:
    """The FQDN of the device's config server: the name itself when it is an FQDN."""
    low = name.lower()
    if re.match(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*){2,}$", low):
        return low
    label = re.sub(r"[^a-z0-9-]", "-", low).strip("-") or "opsi"
    return f"{label}.opsi.lab"


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return Response(
        status=status, body=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


class OpsiDevice:
    """`methods` is the table of routes.py (method name -> implementation), handed in by the
    factory."""

    def __init__(
        self,
        name: str,
        index: int,
        state: dict[str, Any] | None,
        seed: int,
        methods: Mapping[str, Callable[..., Any]],
    ):
        self.name = name
        self.methods = methods
        secret = hashlib.sha256(f"fleet-lab-opsi:{seed}:{name}".encode()).hexdigest()
        if state:
            self.depot_id = state["depot_id"]
            self.password = state["password"]
            host_key = state.get("host_key", secret[:32])
        else:
            self.depot_id = depot_id_for(name)
            self.password = secret[32:56]
            host_key = secret[:32]
        self.fresh_depot = master.is_site_depot(name)
        self.backend = Backend(
            self.depot_id, host_key, state.get("backend") if state else None, self.fresh_depot
        )
        self.repo_b64: dict[str, str] = {}
        for fname, b64 in (state or {}).get("repository", {}).items():
            self.backend.repository[fname] = base64.b64decode(b64)
            self.repo_b64[fname] = b64
        self.backend.depot_files = dict((state or {}).get("depot_files", {}))
        self.host_key = host_key
        self.sessions = auth.Sessions()
        self.interface = interface.load()

    # Device protocol ------------------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        return {"username": ADMIN_USER, "password": self.password, "depot_id": self.depot_id}

    def snapshot(self) -> dict[str, Any]:
        return {
            "depot_id": self.depot_id,
            "password": self.password,
            "host_key": self.host_key,
            "backend": self.backend.dump(),
            "repository": dict(self.repo_b64),
            "depot_files": dict(self.backend.depot_files),
        }

    def error_response(self, status: int) -> Response:
        text = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
            status, "Error"
        )
        body = {
            "id": None,
            "result": None,
            "error": {"message": text, "class": "RuntimeError", "details": None},
        }
        headers = {"Retry-After": "5"} if status == 503 else None
        return _json(status, body, headers)

    def handle(self, request: Request) -> Response:
        try:
            path = request.path
            if path == "/rpc" or path.startswith("/rpc/"):
                return self._rpc(request)
            if path == "/repository" or path.startswith("/repository/"):
                return self._webdav(request)
            return _json(404, {"detail": "Not Found"})
        except Exception as err:  # never a traceback to the client
            return _json(
                500,
                {
                    "id": None,
                    "result": None,
                    "error": {"message": str(err), "class": type(err).__name__, "details": None},
                },
            )

    # authentication ------------------------------------------------------------------------
    def _login(self, request: Request) -> tuple[auth.Session | None, str | None]:
        session = self.sessions.get(auth.cookie_value(request.header("cookie")))
        if session is not None:
            return session, None
        creds = auth.basic_credentials(request.header("authorization"))
        if creds is None:
            return None, None
        user, password = creds
        lifetime = request.header("x-opsi-session-lifetime")
        life = int(lifetime) if lifetime and lifetime.isdigit() else None
        if user == ADMIN_USER and password == self.password:
            session = self.sessions.create(user, True, None, life)
        else:
            host = self.backend.host(user.lower()) if "." in user else None
            if (
                host is None
                or not host.get("opsiHostKey")
                or host["opsiHostKey"] != password.lower()
            ):
                return None, None
            session = self.sessions.create(host["id"], False, host["type"], life)
        return session, self.sessions.set_cookie(session)

    def _auth_failed(self, request: Request, v2: bool) -> Response:
        text = "Authentication error"
        headers = {"x-opsi-error": text[:64]}
        if request.header("x-requested-with", "").lower() != "xmlhttprequest":
            headers["WWW-Authenticate"] = 'Basic realm="opsi", charset="UTF-8"'
        body: dict[str, Any] = {"id": None, "result": None, "error": text}
        if v2:
            body = {"id": None, "error": text, "jsonrpc": "2.0"}
        return _json(401, body, headers)

    # JSON-RPC ------------------------------------------------------------------------------
    def _rpc_body(self, request: Request) -> bytes:
        if request.method == "GET":
            if len(request.query) == 1:
                key, vals = next(iter(request.query.items()))
                if vals in ([""], []):
                    return key.encode()
            flat = {k: vals[0] for k, vals in request.query.items() if vals}
            if "method" in flat:
                call = {
                    "id": flat.get("id", 0),
                    "method": flat["method"],
                    "params": json.loads(flat.get("params") or "[]"),
                }
                return json.dumps(call).encode()
            return b""
        body = request.body
        encoding = (request.header("content-encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding:
            raise OpsiValueError(f"Unsupported content encoding {encoding!r}")
        return body

    def _rpc(self, request: Request) -> Response:
        if request.method == "HEAD":
            return Response(status=200, body=b"", headers={"Content-Type": "application/json"})
        if request.method not in ("GET", "POST"):
            return _json(405, {"detail": "Method Not Allowed"}, {"Allow": "GET, POST, HEAD"})
        session, cookie = self._login(request)
        try:
            body = self._rpc_body(request)
        except (OSError, zlib.error, ValueError) as err:
            if session is None:
                return self._auth_failed(request, False)
            return _json(
                400, rpc.error(0, False, OpsiValueError(f"Failed to decode request: {err}"))
            )
        if session is None:
            return self._auth_failed(request, rpc.wants_v2(body))
        headers = {"Set-Cookie": cookie} if cookie else {}
        content_type = (
            (request.header("content-type") or "application/json").split(";")[0].strip().lower()
        )
        if content_type == "application/msgpack":
            err = OpsiValueError(
                "Content type 'application/msgpack' is not supported by this server"
            )
            return _json(400, rpc.error(0, False, err), headers)
        try:
            calls, batch = rpc.parse_body(body)
        except OpsiError as err:
            return _json(400, rpc.error(0, False, err), headers)
        answers = [self._call(session, call) for call in calls]
        return _json(200, answers if batch else answers[0], headers)

    def _call(self, session: auth.Session, call: rpc.Call) -> dict[str, Any]:
        backend = self.backend
        saved = None
        try:
            spec = self.interface.get(call.method)
            if spec is None:
                raise OpsiValueError(f"Invalid method '{call.method}'")
            self._check_permission(session, call.method)
            bound = rpc.bind(call.method, spec, call.params)
            answer = SESSION_METHODS.get(call.method)
            if answer is not None:
                return rpc.result(call, answer(self, session))
            saved = backend.checkpoint() if not _read_only(call.method) else None
            value = rpc.invoke(self.methods[call.method], backend, bound)
            self._sync_repository()
            return rpc.result(call, value)
        except OpsiError as err:
            if saved is not None and not _keeps_partial(call.method, err):
                backend.rollback(saved)
            return rpc.error(call.id, call.v2, err)
        except Exception as err:  # a bug here must still answer like opsiconfd, and change nothing
            if saved is not None:
                backend.rollback(saved)
            failure = OpsiError(str(err))
            failure.cls = type(err).__name__
            return rpc.error(call.id, call.v2, failure)

    def _check_permission(self, session: auth.Session, method: str) -> None:
        if session.is_admin or (
            session.host_type and objects.is_a(session.host_type, "OpsiDepotserver")
        ):
            return
        if method.startswith(READ_PREFIXES) or "_get" in method or method in CLIENT_WRITES:
            return
        raise BackendPermissionDeniedError("Permission denied")

    def _sync_repository(self) -> None:
        for name in [n for n in self.repo_b64 if n not in self.backend.repository]:
            del self.repo_b64[name]

    # WebDAV repository ---------------------------------------------------------------------
    def _webdav(self, request: Request) -> Response:
        session, cookie = self._login(request)
        if session is None:
            return Response(
                status=401,
                body=b"Authentication error",
                headers={
                    "Content-Type": "text/plain",
                    "x-opsi-error": "Authentication error",
                    "WWW-Authenticate": 'Basic realm="opsi", charset="UTF-8"',
                },
            )
        headers = {"Set-Cookie": cookie} if cookie else {}
        name = request.path[len("/repository") :].strip("/")
        repo = self.backend.repository
        method = request.method
        if method == "OPTIONS":
            return Response(
                status=200,
                body=b"",
                headers={**headers, "Allow": "OPTIONS, GET, HEAD, PUT, DELETE", "DAV": "1"},
            )
        if not name:
            if method in ("GET", "HEAD"):
                listing = "".join(f"{n}\n" for n in sorted(repo)).encode()
                return Response(
                    status=200,
                    body=b"" if method == "HEAD" else listing,
                    headers={**headers, "Content-Type": "text/plain"},
                )
            return Response(
                status=405,
                body=b"Method Not Allowed",
                headers={**headers, "Content-Type": "text/plain"},
            )
        if "/" in name or name in (".", ".."):
            return Response(
                status=404, body=b"Not Found", headers={**headers, "Content-Type": "text/plain"}
            )
        if method in ("GET", "HEAD") and name not in repo and not self.fresh_depot:
            generated = master.package_file(name)  # a master serves the catalogue's packages
            if generated is not None:
                return Response(
                    status=200,
                    body=b"" if method == "HEAD" else generated,
                    headers={
                        **headers,
                        "Content-Type": "application/octet-stream",
                        "ETag": f'"{hashlib.md5(generated).hexdigest()}"',
                    },
                )
        if method in ("GET", "HEAD"):
            if name not in repo:
                return Response(
                    status=404, body=b"Not Found", headers={**headers, "Content-Type": "text/plain"}
                )
            data = repo[name]
            return Response(
                status=200,
                body=b"" if method == "HEAD" else data,
                headers={
                    **headers,
                    "Content-Type": "application/octet-stream",
                    "ETag": f'"{hashlib.md5(data).hexdigest()}"',
                },
            )
        if not session.is_admin and not (
            session.host_type and objects.is_a(session.host_type, "OpsiDepotserver")
        ):
            return Response(
                status=403,
                body=b"Permission denied",
                headers={**headers, "Content-Type": "text/plain"},
            )
        if method == "PUT":
            used = sum(len(d) for n, d in repo.items() if n != name)
            if used + len(request.body) > MAX_REPOSITORY:
                return Response(
                    status=507,
                    body=b"Insufficient Storage",
                    headers={**headers, "Content-Type": "text/plain"},
                )
            existed = name in repo
            repo[name] = request.body
            self.repo_b64[name] = base64.b64encode(request.body).decode()
            return Response(status=204 if existed else 201, body=b"", headers=headers)
        if method == "DELETE":
            if name not in repo:
                return Response(
                    status=404, body=b"Not Found", headers={**headers, "Content-Type": "text/plain"}
                )
            del repo[name]
            self.repo_b64.pop(name, None)
            return Response(status=204, body=b"", headers=headers)
        return Response(
            status=405,
            body=b"Method Not Allowed",
            headers={**headers, "Content-Type": "text/plain"},
        )


def _read_only(method: str) -> bool:
    return "_get" in method or method.startswith(READ_PREFIXES) or method == "getProductOrdering"


def _keeps_partial(method: str, err: OpsiError) -> bool:
    """opsi leaves a product locked when an installation fails after locking it."""
    return (
        method == "depot_installPackage"
        and "currently locked" not in err.message
        and _locked_phase(err)
    )


def _locked_phase(err: OpsiError) -> bool:
    return "Dependent package" in err.message or "Unfulfilled package dependency" in err.message
