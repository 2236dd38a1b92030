"""One simulated OPNsense firewall: auth, routing and the shared helpers of the controllers."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from fleet.lab.sim.base import Request, Response
from fleet.lab.sim.opnsense.fields import Field
from fleet.lab.sim.opnsense.http import (
    AUTH_FAILED,
    NOT_FOUND,
    ApiError,
    Call,
    json_response,
    parse_body,
    php_params,
    unexpected,
)
from fleet.lab.sim.opnsense.models import Model, model
from fleet.lab.sim.opnsense.routing import Router
from fleet.lab.sim.opnsense.state import FORMAT, Store, new_state

# /etc/protocols names offered by ProtocolField (upper case, as OPNsense lists them)
PROTOCOLS = ("ICMP", "IGMP", "GGP", "IPENCAP", "ST2", "TCP", "CBT", "EGP", "IGP", "UDP",
             "IPV6", "RSVP", "GRE", "ESP", "AH", "IPV6-ICMP", "EIGRP", "OSPF", "IPIP", "ETHERIP",
             "PIM", "VRRP", "L2TP", "ISIS", "SCTP", "CARP", "PFSYNC", "DIVERT")  # fmt: skip

TOS = {"lowdelay": "lowdelay", "critical": "critical", "inetcontrol": "inetcontrol",
       "netcontrol": "netcontrol", "throughput": "throughput", "reliability": "reliability",
       "ef": "EF", "af11": "AF11", "af12": "AF12", "af13": "AF13", "af21": "AF21",
       "af22": "AF22", "af23": "AF23", "af31": "AF31", "af32": "AF32", "af33": "AF33",
       "af41": "AF41", "af42": "AF42", "af43": "AF43", "cs1": "CS1", "cs2": "CS2", "cs3": "CS3",
       "cs4": "CS4", "cs5": "CS5", "cs6": "CS6", "cs7": "CS7"}  # fmt: skip

# standard DHCPv4 option codes ("kea list dhcp_options"), code → label
DHCP_OPTIONS = {"1": "subnet-mask (1)", "2": "time-offset (2)", "3": "routers (3)",
                "4": "time-servers (4)", "6": "domain-name-servers (6)", "7": "log-servers (7)",
                "12": "host-name (12)", "15": "domain-name (15)", "26": "interface-mtu (26)",
                "28": "broadcast-address (28)", "33": "static-routes (33)",
                "42": "ntp-servers (42)", "43": "vendor-encapsulated-options (43)",
                "44": "netbios-name-servers (44)", "46": "netbios-node-type (46)",
                "60": "vendor-class-identifier (60)", "66": "tftp-server-name (66)",
                "67": "boot-file-name (67)", "119": "domain-search (119)",
                "121": "classless-static-route (121)", "150": "tftp-server-address (150)",
                "252": "wpad-url (252)"}  # fmt: skip

ROLLBACK_SECONDS = 60.0


class OPNsenseDevice:
    """An OPNsense 26.7 firewall's REST API over one state dict.

    `router` and `hooks` are the tables of routes.py, handed in by the factory: the
    controllers see this class, so it must not import them.
    """

    def __init__(
        self,
        name: str,
        state: dict[str, Any],
        router: Router,
        hooks: Mapping[str, Any],  # model key -> crud.Hooks
        clock: Callable[[], float] = time.time,
    ):
        self.name = name
        self.state = state
        self.store = Store(state, clock)
        self.router = router
        self.hooks = hooks
        self.rollback_seconds = ROLLBACK_SECONDS

    # --- Device protocol -----------------------------------------------------------------

    @property
    def clock(self) -> Callable[[], float]:
        return self.store.clock

    @clock.setter
    def clock(self, fn: Callable[[], float]) -> None:
        self.store.clock = fn

    def credentials(self) -> dict[str, str]:
        return {"key": self.state["key"], "secret": self.state["secret"]}

    def snapshot(self) -> dict[str, Any]:
        self.tick()
        # derived, for people reading the state file: subsystems saved but not yet applied
        self.state["pending"] = self.store.pending()
        return self.state

    def error_response(self, status: int) -> Response:
        if status == 500:
            return json_response(unexpected().body, status=500)
        # 502/503 come from the web server in front of PHP, as an HTML page
        reason = {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Error")
        page = (
            '<?xml version="1.0" encoding="iso-8859-1"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
            '         "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
            f" <head>\n  <title>{status} {reason}</title>\n </head>\n"
            f" <body>\n  <h1>{status} {reason}</h1>\n </body>\n</html>\n"
        )
        return Response(
            status=status, body=page.encode(), headers={"Content-Type": "text/html"}, reason=reason
        )

    def handle(self, request: Request) -> Response:
        try:
            return self._handle(request)
        except ApiError as exc:
            return json_response(exc.body, status=exc.status)
        except Exception:  # never a traceback to the client
            return json_response(unexpected().body, status=500)

    # --- request pipeline ----------------------------------------------------------------

    def _authenticated(self, request: Request) -> bool:
        header = request.header("authorization") or ""
        parts = header.split(" ")
        if len(parts) < 2:
            return False
        try:
            decoded = base64.b64decode(parts[1], validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return False
        key, sep, secret = decoded.partition(":")
        if not sep:
            return False
        return hmac.compare_digest(key, self.state["key"]) and hmac.compare_digest(
            secret, self.state["secret"]
        )

    def _handle(self, request: Request) -> Response:
        hit = self.router.resolve(request.path)
        if hit is None:
            return json_response(NOT_FOUND, status=404)
        handler, params = hit
        if not self._authenticated(request):
            return json_response(AUTH_FAILED, status=401)
        self.tick()
        method = request.method.upper()
        post = parse_body(method, request.headers, request.body)
        if method != "POST":
            post = {}
        query = php_params([(k, v) for k, vs in request.query.items() for v in vs])
        call = Call(method, params, query, post, remote=request.remote, path=request.path)
        if method != "POST":  # only POST actions write (OPNsense checks isPost())
            result = handler(self, call)
            return result if isinstance(result, Response) else json_response(result)
        saved = self.store.checkpoint()
        try:
            result = handler(self, call)
        except ApiError:
            self.store.restore(saved)
            raise
        except Exception:
            self.store.restore(saved)
            raise unexpected() from None
        if isinstance(result, Response):
            return result
        return json_response(result)

    # --- helpers for controllers ---------------------------------------------------------

    def model(self, key: str) -> Model:
        return model(key)

    def save(self, call: Call, description: str = "") -> str:
        return self.store.save(
            f"{call.path} made changes", username=f"{call.username}@{call.remote}"
        )

    def tick(self) -> None:
        """Run pending auto-rollbacks whose 60 s timer has expired (apply/{revision})."""
        due = [r for r, t in self.state["rollbacks"].items() if self.store.clock() >= t]
        for revision in due:
            del self.state["rollbacks"][revision]
            backup = self.store.backup(revision)
            if backup is None:
                continue
            self.store.config["rule"] = dict(backup["config"]["rule"])
            self.store.save(f"rollback to savepoint {revision}", username="(system)")
            self.store.apply("filter")

    def interfaces(self) -> dict[str, str]:
        return {k: v["descr"] for k, v in self.state["system"]["interfaces"].items()}

    def alias_names(self, types: tuple[str, ...] | None = None) -> dict[str, str]:
        return {
            i["name"]: i["name"]
            for i in self.store.items("alias").values()
            if types is None or i["type"] in types
        }

    def options(self, m: Model, f: Field) -> dict[str, str]:
        """The option list of a list field (static, or from the device's configuration)."""
        k = f.kind
        if k == "InterfaceField":
            return self.interfaces()
        if k == "ProtocolField":
            return {"any": "any", "TCP/UDP": "TCP/UDP"} | {p: p for p in PROTOCOLS}
        if k == "TosField":
            return TOS
        if k == "ScheduleField":
            return {}
        if k == "VlanInterfaceField":
            devices = {d: d for d in self.state["system"]["devices"]}
            for item in self.store.items("vlan").values():
                devices[item["vlanif"]] = f"{item['vlanif']} {item['descr']}".strip()
            return devices
        if k == "JsonKeyValueStoreField":
            if f.leaf in ("gateway", "replyto"):
                return dict(self.state["system"]["gateways"])
            if f.leaf in ("code", "match_code"):
                return DHCP_OPTIONS
            return {}
        if k == "ModelRelationField":
            return self._relation(m, f)
        if k == "PortField":  # EnableAlias: port aliases
            return self.alias_names(("port",))
        return f.options or {}

    def _relation(self, m: Model, f: Field) -> dict[str, str]:
        items = self.store.items
        if f.leaf == "overload":
            return {u: i["name"] for u, i in items("alias").items()}
        if m.key == "host_alias" and f.leaf == "host":
            return {
                u: f"{i['hostname']}.{i['domain']}".lstrip(".") for u, i in items("host").items()
            }
        if m.key == "reservation" and f.leaf == "subnet":
            return {u: i["subnet"] for u, i in items("subnet4").items()}
        if f.leaf == "option":
            return {u: i["description"] for u, i in items("kea_option").items()}
        return {}  # categories, traffic shaper pipes: none configured in the lab


def build(
    name: str,
    index: int,
    state: dict[str, Any] | None,
    seed: int,
    router: Router,
    hooks: Mapping[str, Any],
) -> OPNsenseDevice:
    if state is None:
        state = new_state(name, index, seed)
    elif state.get("kind") != "opnsense" or state.get("format") != FORMAT:
        # never silently replace a firewall's configuration
        raise ValueError(
            f"saved state is not an OPNsense state of format {FORMAT} "
            f"(kind {state.get('kind')!r}, format {state.get('format')!r})"
        )
    return OPNsenseDevice(name, state, router, hooks)
